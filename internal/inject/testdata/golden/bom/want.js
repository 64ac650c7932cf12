
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="501bb2d2-f4af-519d-a667-6838495c2450")}catch(e){}}();
var a=1;
//# sourceMappingURL=a.js.map

//# debugId=501bb2d2-f4af-519d-a667-6838495c2450
