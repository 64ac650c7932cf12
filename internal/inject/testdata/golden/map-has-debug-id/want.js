
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="09417d58-a204-5946-be70-beaec140d1cc")}catch(e){}}();
var a=1;
//# sourceMappingURL=a.js.map

//# debugId=09417d58-a204-5946-be70-beaec140d1cc
