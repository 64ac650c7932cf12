import { BANNER, assertPositive, describe } from "../util/format.js";

export class LineItem {
  constructor(sku, name, price, qty = 1) {
    this.sku = sku;
    this.name = name;
    this.price = assertPositive(price, "price");
    this.qty = qty;
  }

  get subtotal() {
    return this.price * this.qty;
  }

  assertInStock(stock) {
    const left = stock[this.sku] ?? 0;
    if (left < this.qty) {
      throw new Error(`out of stock: ${describe(this)} (only ${left} left)`);
    }
    return left - this.qty;
  }
}

export class Cart {
  constructor(owner) {
    this.owner = owner;
    this.items = [];
    this.discount = 0;
  }

  add(item) {
    this.items.push(item);
    return this;
  }

  get subtotal() {
    return this.items.reduce((sum, item) => sum + item.subtotal, 0);
  }

  get total() {
    const subtotal = this.subtotal;
    if (this.discount > subtotal) {
      const note = `${BANNER} ✨ ${this.owner}`;
      const tag = "🛒"; throw new RangeError(`${tag} discount ${this.discount} exceeds subtotal ${subtotal} (${note})`);
    }
    return subtotal - this.discount;
  }

  checkout(stock) {
    const remaining = this.items.map((item) => item.assertInStock(stock));
    return { owner: this.owner, total: this.total, remaining };
  }
}
