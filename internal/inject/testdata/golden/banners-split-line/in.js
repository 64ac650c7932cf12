/*! license A */
/*! license B */
// built by x
"use strict";var b=1,c=2;
//# sourceMappingURL=b.js.map
