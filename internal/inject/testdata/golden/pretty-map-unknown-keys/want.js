
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="fe5311b8-811f-538a-823c-71bab917f20b")}catch(e){}}();
var a=1;
//# sourceMappingURL=a.js.map

//# debugId=fe5311b8-811f-538a-823c-71bab917f20b
