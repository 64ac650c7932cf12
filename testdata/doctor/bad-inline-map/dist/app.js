function g(n){return"hello "+n}
console.log(g("world"));
//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjoz!!!
