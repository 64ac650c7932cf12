import { Invoice } from './models/invoice.js';
import { convertInvoice } from './services/rates.js';
import { scheduleReminder } from './services/reminders.js';
import { parseQuantities } from './util/format.js';

const EUR = { code: 'EUR', symbol: '€' };

// Each scenario ends in an error. `method`, `map` and `timeout` are uncaught
// (window "error" event), `async` is an unhandled rejection, and `getter` is
// caught here and handed to `onCaught` (try/catch).
const scenarios = {
  method() {
    const invoice = new Invoice('INV-7', 'Ada', [], EUR);
    return invoice.finalize();
  },
  getter(onCaught) {
    const invoice = new Invoice('INV-8', 'Grace', [{ unitCents: 1250, quantity: 2 }]);
    try {
      document.title = invoice.label;
    } catch (e) {
      onCaught(e);
    }
  },
  async() {
    const invoice = new Invoice('INV-9', 'Linus', [{ unitCents: 990, quantity: 3 }], EUR);
    convertInvoice(invoice, 'XYZ').then((cents) => {
      document.title = String(cents);
    });
  },
  map() {
    const rows = [{ id: 1, qty: '2' }, { id: 2, qty: 'two' }];
    return parseQuantities(rows);
  },
  timeout() {
    const invoice = new Invoice('INV-10', 'Barbara', [{ unitCents: 100, quantity: 1 }], EUR);
    scheduleReminder(invoice, 10);
  },
};

export const SCENARIOS = Object.keys(scenarios);

export function runScenario(name, onCaught) {
  const run = scenarios[name];
  if (!run) throw new Error(`unknown scenario ${JSON.stringify(name)}; want one of ${SCENARIOS.join(', ')}`);
  return run(onCaught);
}
