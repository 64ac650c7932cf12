// The second app of the Turborepo recipe check: small, and different from web's bundle so that
// the two apps get different debug IDs.
function parseLimit(text) {
  const limit = Number.parseInt(text, 10);
  if (!Number.isFinite(limit) || limit <= 0) throw new TypeError(`bad limit: ${text}`);
  return limit;
}

export function main(args) {
  const limit = parseLimit(args[0] ?? "10");
  console.log(`admin: showing ${limit} orders`);
}

main(process.argv.slice(2));
