var q=1;
var after=2;
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="f018021d-88a0-519f-9500-76cb1f2f1023")}catch(e){}}();
//# sourceMappingURL=missing.js.map
//# debugId=f018021d-88a0-519f-9500-76cb1f2f1023
