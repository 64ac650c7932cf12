const KNOWN = { EUR: 1, USD: 1.08 };

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// An async function that throws after an await: the rejection is not handled.
export async function fetchRate(code) {
  await delay(5);
  const rate = KNOWN[code];
  if (rate === undefined) {
    throw new Error(`No exchange rate for ${code}`);
  }
  return rate;
}

export async function convertInvoice(invoice, code) {
  const rate = await fetchRate(code);
  return Math.round(invoice.subtotal() * rate);
}
