// Scenario "class-method": a method of a class throws.

export class OutOfStockError extends Error {
  constructor(sku) {
    super(`item ${sku} is out of stock`);
    this.name = "OutOfStockError";
  }
}

export class Cart {
  constructor(items) {
    this.items = items;
  }

  total() {
    let sum = 0;
    for (const item of this.items) {
      sum += this.priceOf(item);
    }
    return sum;
  }

  priceOf(item) {
    if (item.stock === 0) {
      throw new OutOfStockError(item.sku);
    }
    return item.price * item.qty;
  }
}

export function checkoutCart() {
  const cart = new Cart([
    { sku: "tea", price: 4, qty: 2, stock: 9 },
    { sku: "kettle", price: 30, qty: 1, stock: 0 },
  ]);
  return cart.total();
}
