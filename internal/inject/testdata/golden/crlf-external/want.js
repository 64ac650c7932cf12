/* banner */

!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="36933ec6-276f-5b1a-9665-65a28a7a9be0")}catch(e){}}();
function add(a,b){return a+b}
//# sourceMappingURL=app.min.js.map

//# debugId=36933ec6-276f-5b1a-9665-65a28a7a9be0
