/*! license A */
/*! license B */
// built by x
"use strict";
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="530ce2cc-00ce-5b0e-97e4-a715fd34f68f")}catch(e){}}();
var b=1,c=2;
//# sourceMappingURL=b.js.map

//# debugId=530ce2cc-00ce-5b0e-97e4-a715fd34f68f
