#!/usr/bin/env node
/* c */ "use strict";
var a=1;
//# sourceMappingURL=a.js.map
