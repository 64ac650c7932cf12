import { negate, times } from "lodash-es";
import { CheckoutError, CouponError } from "../util/errors.js";

const RATES = { EUR: 1, GBP: 0.85 };

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function lookupRate(currency) {
  await delay(1);
  const rate = RATES[currency];
  if (rate === undefined) {
    throw new Error(`no exchange rate for ${currency}`);
  }
  return rate;
}

export async function convertCart(cart, currency) {
  const rate = await lookupRate(currency);
  return Math.round(cart.total * rate);
}

export async function quote(cart, currencies) {
  const totals = {};
  for (const currency of currencies) {
    totals[currency] = await convertCart(cart, currency);
  }
  return totals;
}

function parseCoupon(code) {
  const match = /^SAVE(\d+)$/.exec(code);
  if (!match) {
    throw new CouponError(code);
  }
  return Number(match[1]);
}

export function applyCoupon(cart, code) {
  try {
    cart.discount = parseCoupon(code);
  } catch (err) {
    throw new CheckoutError(`cannot apply coupon to ${cart.owner}'s cart`, { cause: err });
  }
  return cart;
}

// A throw inside a predicate wrapped by lodash's negate(), called from a
// callback run by lodash's times(): lodash frames sit between the app frames.
const isDiscontinued = (item) => {
  if (item.sku.startsWith("X-")) {
    const hint = "🚫 discontinued";
    throw new TypeError(`no pricing rule for ${item.sku}: ${hint}`);
  }
  return false;
};
const isAvailable = negate(isDiscontinued);

export function bulkDiscount(cart) {
  let discount = 0;
  times(cart.items.length, (i) => {
    const item = cart.items[i];
    if (isAvailable(item) && item.sku.endsWith("-B") && item.qty >= 3) {
      discount += Math.floor(item.subtotal / 10);
    }
  });
  return discount;
}
