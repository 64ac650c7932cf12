// Scenarios "keep-names" and "map-callback". wrangler bundles with esbuild's
// keepNames, so these functions are wrapped in __name(...) in the bundle.

export const formatLabel = (sku, qty) => {
  if (qty < 0) {
    throw new RangeError(`negative quantity ${qty} for ${sku}`);
  }
  return `${qty} x ${sku}`;
};

export function labelAll(lines) {
  return lines.map((line) => formatLabel(line.sku, line.qty));
}

export function parseQuantities(text) {
  return text.split(",").map(function toQuantity(part) {
    const n = Number(part);
    if (!Number.isInteger(n)) {
      throw new SyntaxError(`not a whole number: "${part}"`);
    }
    return n;
  });
}
