export class CheckoutError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = "CheckoutError";
  }
}

export class CouponError extends Error {
  constructor(code, options) {
    super(`invalid coupon "${code}"`, options);
    this.name = "CouponError";
    this.code = code;
  }
}
