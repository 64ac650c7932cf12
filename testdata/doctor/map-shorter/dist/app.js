
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="585e5a16-cdb1-54be-be67-0fb90b5ff9a2")}catch(e){}}();
var __BUILD__="2026-11-21";
var __ENV__="production";
function g(n){return"hello "+n}
console.log(g("world"));
//# sourceMappingURL=app.js.map

//# debugId=585e5a16-cdb1-54be-be67-0fb90b5ff9a2
