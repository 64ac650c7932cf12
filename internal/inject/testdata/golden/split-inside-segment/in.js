/* c */ var a=1;
//# sourceMappingURL=a.js.map
