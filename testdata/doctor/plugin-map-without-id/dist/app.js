!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="7f3d3a8e-2b7c-4e55-9a51-0d9c6d5e4a11",e._sentryDebugIdIdentifier="sentry-dbid-7f3d3a8e-2b7c-4e55-9a51-0d9c6d5e4a11")}catch(e){}}();
function g(n){return"hello "+n}
console.log(g("world"));
//# sourceMappingURL=app.js.map
