// Scenario "async": an async function throws after an await.

const knownRates = { EUR: 1, USD: 1.08 };

async function fetchRate(currency) {
  await new Promise((resolve) => setTimeout(resolve, 1));
  const rate = knownRates[currency];
  if (rate === undefined) {
    throw new Error(`no exchange rate for ${currency}`);
  }
  return rate;
}

export async function convert(amount, currency) {
  const rate = await fetchRate(currency);
  return amount * rate;
}
