"use strict";
// A small TypeScript app for mapback's map-chain fixture: tsc compiles it
// (with its own source map), then terser minifies tsc's output without
// reading that map, so the final map points at out/app.js, not at this file.
// Each scenario throws from a different kind of function.
class Cart {
    constructor() {
        this.items = [];
    }
    add(item) {
        this.items.push(item);
        return this;
    }
    total() {
        return this.items.reduce((sum, item) => {
            if (item.price < 0) {
                throw new RangeError(`negative price for ${item.name}`);
            }
            return sum + item.price;
        }, 0);
    }
    get label() {
        if (this.items.length === 0) {
            throw new Error("empty cart has no label");
        }
        return this.items.map((item) => item.name).join(", ");
    }
}
function checkout(cart) {
    const total = cart.total();
    return `total: ${total.toFixed(2)}`;
}
async function pay(cart, budget) {
    await Promise.resolve();
    if (cart.total() > budget) {
        throw new Error(`over budget by ${cart.total() - budget}`);
    }
}
function main(scenario) {
    const cart = new Cart().add({ name: "tea", price: 3 });
    switch (scenario) {
        case "method":
            cart.add({ name: "refund", price: -1 });
            console.log(checkout(cart));
            break;
        case "getter":
            console.log(new Cart().label);
            break;
        case "async":
            pay(cart.add({ name: "pot", price: 40 }), 10).catch((err) => {
                console.error(err.stack);
                process.exit(1);
            });
            break;
        default:
            console.error("usage: app <method|getter|async>");
            process.exit(2);
    }
}
main(process.argv[2] ?? "");
//# sourceMappingURL=app.js.map