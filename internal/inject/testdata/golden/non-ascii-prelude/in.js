/* héllo 🎉 */ "use strict";var b=1;
//# sourceMappingURL=a.js.map
