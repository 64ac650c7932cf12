'use strict';

!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="e861e35d-c196-59ee-810b-2e01fefed662")}catch(e){}}();
var a=1;
//# sourceMappingURL=a.js.map

//# debugId=e861e35d-c196-59ee-810b-2e01fefed662
