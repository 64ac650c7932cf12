
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="747cc3a3-fa49-5aa8-ae61-cd8ec1570163")}catch(e){}}();
function g(n){return"hello "+n}
console.log(g("world"));
//# sourceMappingURL=app.js.map

//# debugId=747cc3a3-fa49-5aa8-ae61-cd8ec1570163
