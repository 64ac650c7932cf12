
!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="c83cb768-1bd8-54d6-8f3b-653ecc3fd09d")}catch(e){}}();
function g(n){return"hello "+n}
console.log(g("world"));
//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozLCJmaWxlIjoiYXBwLmpzIiwic291cmNlcyI6WyIuLi9zcmMvYXBwLmpzIl0sInNvdXJjZXNDb250ZW50IjpbImZ1bmN0aW9uIGdyZWV0KG5hbWUpIHtcbiAgcmV0dXJuIFwiaGVsbG8gXCIgKyBuYW1lO1xufVxuY29uc29sZS5sb2coZ3JlZXQoXCJ3b3JsZFwiKSk7XG4iXSwibmFtZXMiOlsiZ3JlZXQiLCJuYW1lIl0sIm1hcHBpbmdzIjoiOztBQUFBLFNBQVNBLEVBQU1DLEdBQ2IsZUFBa0JBO0FBRXBCLFlBQVlEIiwiZGVidWdJZCI6ImM4M2NiNzY4LTFiZDgtNTRkNi04ZjNiLTY1M2VjYzNmZDA5ZCJ9

//# debugId=c83cb768-1bd8-54d6-8f3b-653ecc3fd09d
