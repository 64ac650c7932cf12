function greet(name) {
  return "hello " + name;
}
console.log(greet("world"));
