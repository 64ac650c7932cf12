#!/usr/bin/env node
"use strict";
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="32c2cd3e-8e98-57ec-9bec-ff13fdb4c8af")}catch(e){}}();

console.log(1);
//# sourceMappingURL=cli.js.map

//# debugId=32c2cd3e-8e98-57ec-9bec-ff13fdb4c8af
