var q=1;
//# sourceMappingURL=missing.js.map
var after=2;
