import { InvoiceError } from '../util/errors.js';
import { formatMoney } from '../util/format.js';

export class Invoice {
  constructor(id, customer, lines, currency) {
    this.id = id;
    this.customer = customer;
    this.lines = lines;
    this.currency = currency;
  }

  // A getter that throws a native TypeError: `currency` is undefined for an
  // invoice built without one, and reading `.symbol` of it fails right here.
  get label() {
    const symbol = this.currency.symbol;
    return `${this.customer} (${symbol})`;
  }

  subtotal() {
    let cents = 0;
    for (const line of this.lines) cents += line.unitCents * line.quantity;
    return cents;
  }

  // A method that throws an Error of our own class.
  finalize() {
    if (this.lines.length === 0) {
      throw new InvoiceError(`Invoice ${this.id} for ${this.customer} has no lines`, this.id);
    }
    return { id: this.id, total: formatMoney(this.subtotal(), this.currency) };
  }
}
