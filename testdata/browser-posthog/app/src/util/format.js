export function formatMoney(cents, currency) {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${currency.symbol}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

// Called through Array.prototype.map: the arrow callback throws on a bad row.
export function parseQuantities(rows) {
  return rows.map((row) => {
    const quantity = Number(row.qty);
    if (!Number.isInteger(quantity) || quantity <= 0) {
      throw new RangeError(`Bad quantity "${row.qty}" in row ${row.id}`);
    }
    return quantity;
  });
}
