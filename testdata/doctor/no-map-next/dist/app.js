function g(n){return"hello "+n}
console.log(g("world"));
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="0dc59076-10f6-52e8-bf85-9c578c20564a")}catch(e){}}();
//# debugId=0dc59076-10f6-52e8-bf85-9c578c20564a
