
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="df8ec43b-5ada-5daa-aef2-8ff564cd278a")}catch(e){}}();
function g(n){return"hello "+n}
console.log(g("world"));
//# sourceMappingURL=maps/app.js.map

//# debugId=df8ec43b-5ada-5daa-aef2-8ff564cd278a
