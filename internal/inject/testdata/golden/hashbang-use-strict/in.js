#!/usr/bin/env node
"use strict";
console.log(1);
//# sourceMappingURL=cli.js.map
