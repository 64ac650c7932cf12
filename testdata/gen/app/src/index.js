import { Cart, LineItem } from "./models/cart.js";
import { applyCoupon, bulkDiscount, quote } from "./services/pricing.js";
import { scheduleReminder } from "./services/reminders.js";
import { formatMoney } from "./util/format.js";

function sampleCart(owner) {
  return new Cart(owner)
    .add(new LineItem("TEA-B", "Green tea", 450, 4))
    .add(new LineItem("MUG", "Mug ☕", 1200))
    .add(new LineItem("X-SPOON", "Spoon", 300, 2));
}

const scenarios = {
  "class-method": () => sampleCart("ana").checkout({ "TEA-B": 10, MUG: 1 }),
  getter: () => {
    const cart = sampleCart("bo");
    cart.discount = 99999;
    return formatMoney(cart.total);
  },
  async: async () => {
    const totals = await quote(sampleCart("chen"), ["EUR", "GBP", "JPY"]);
    return totals;
  },
  timer: () => scheduleReminder(sampleCart("dee"), 5),
  cause: () => applyCoupon(sampleCart("eli"), "FREE-LUNCH"),
  "library-callback": () => bulkDiscount(sampleCart("fay")),
};

const SCENARIOS = Object.keys(scenarios);

function main(argv) {
  const name = argv[2];
  const run = scenarios[name];
  if (!run) {
    process.stderr.write(`usage: app <${SCENARIOS.join("|")}>\n`);
    process.exitCode = 2;
    return;
  }
  // Errors are never caught here: Node prints them (uncaught exception or
  // unhandled rejection) and exits with status 1.
  run();
}

main(process.argv);
