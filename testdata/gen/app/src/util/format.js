// Formatting helpers. The string literals below deliberately contain
// non-ASCII and astral characters: in a minified bundle they end up on the
// same generated line as the throw sites, so UTF-16 columns differ from byte
// and code-point columns.

export const BANNER = "🧾 Receipt — ünïcödé";

export function formatMoney(cents, currency = "EUR") {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  const whole = Math.floor(abs / 100);
  const frac = String(abs % 100).padStart(2, "0");
  const symbol = currency === "EUR" ? "€" : currency === "GBP" ? "£" : "$";
  return `${sign}${symbol}${whole}.${frac}`;
}

export const describe = (item) => `${item.name} ×${item.qty} @ ${formatMoney(item.price)}`;

export function assertPositive(value, what) {
  if (!(value > 0)) {
    throw new TypeError(`${what} must be positive, got ${value}`);
  }
  return value;
}
