
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="5a8ad21b-e9a8-5511-bb1f-442567a8a077")}catch(e){}}();
var x=1;console.log(x);
//# sourceMappingURL=other.js.map

//# debugId=5a8ad21b-e9a8-5511-bb1f-442567a8a077
