function g(n){return"hello "+n}
console.log(g("world"));
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="7ad90942-edf0-5bc7-8dea-29a9b03652a2")}catch(e){}}();
//# sourceMappingURL=app.js.map
//# debugId=7ad90942-edf0-5bc7-8dea-29a9b03652a2
