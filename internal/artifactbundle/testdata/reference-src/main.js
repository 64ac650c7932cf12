
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="646f9421-8f7e-518a-9b10-073842e20271")}catch(e){}}();
function hello(n){console.log("hi "+n)}hello("a");
//# sourceMappingURL=main.js.map

//# debugId=646f9421-8f7e-518a-9b10-073842e20271
