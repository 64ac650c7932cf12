function g(n){return"hello "+n}
console.log(g("world"));
//# sourceMappingURL=app.js.map
