
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="426c2454-0fe6-542f-9eda-01246987e82a")}catch(e){}}();
function add(a,b){return a+b}
//# sourceMappingURL=app.min.js.map

//# debugId=426c2454-0fe6-542f-9eda-01246987e82a
