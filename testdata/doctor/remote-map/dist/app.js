function g(n){return"hello "+n}
console.log(g("world"));
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="f0281793-82aa-5def-92f8-ba29af6d2b7d")}catch(e){}}();
//# sourceMappingURL=https://cdn.example.com/app.js.map
//# debugId=f0281793-82aa-5def-92f8-ba29af6d2b7d
