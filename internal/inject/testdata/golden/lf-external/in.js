function add(a,b){return a+b}
//# sourceMappingURL=app.min.js.map
