#!/usr/bin/env node
"use strict";!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="1a8e65da-0c5b-5ae1-bf75-059bf924f866")}catch(e){}}();
/* c */ "use strict";
var a=1;
//# sourceMappingURL=a.js.map

//# debugId=1a8e65da-0c5b-5ae1-bf75-059bf924f866
