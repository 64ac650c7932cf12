/* héllo 🎉 */ "use strict";
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="cd9d0578-a696-5ebe-b9c1-997247d02dcd")}catch(e){}}();
var b=1;
//# sourceMappingURL=a.js.map

//# debugId=cd9d0578-a696-5ebe-b9c1-997247d02dcd
