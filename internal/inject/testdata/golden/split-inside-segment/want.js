/* c */ 
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="1ede45e7-c0f3-531b-9d6e-b9f9b54dae52")}catch(e){}}();
var a=1;
//# sourceMappingURL=a.js.map

//# debugId=1ede45e7-c0f3-531b-9d6e-b9f9b54dae52
