
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="3dc45839-3715-55fe-9bc4-1e110780d2c4")}catch(e){}}();
function g(n){return"hello "+n}
console.log(g("world"));
//# sourceMappingURL=app.js.map

//# debugId=3dc45839-3715-55fe-9bc4-1e110780d2c4
