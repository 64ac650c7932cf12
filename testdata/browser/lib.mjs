// What manifest.mjs here and ../browser-posthog/manifest.mjs share: the scenarios of app/src
// (what throws, and text on each throw site's line), the commands both record, and small helpers.
// Node built-ins only, so that it runs with either directory's node_modules.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const readJSON = (p) => JSON.parse(readFileSync(p, 'utf8'));
// stderr ignored: Debian's /usr/bin/chromium wrapper prints a harmless `[: …: unexpected operator`.
export const run = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
// pkgVersion(here, name): the version of the package NAME installed in HERE/node_modules.
export const pkgVersion = (here, name) => readJSON(join(here, 'node_modules', name, 'package.json')).version;
export const debVersion = (pkg) => run('dpkg-query', ['-W', '-f=${Version}', pkg]);

// The scenarios of app/src/scenarios.js: what throws, and the path to it.
export const SCENARIOS = {
  method: {
    throws: 'Invoice#finalize (app/src/models/invoice.js) throws `new InvoiceError(…)`, a subclass of Error whose constructor sets name',
    path: 'runScenario → scenarios.method → Invoice#finalize → new InvoiceError',
  },
  getter: {
    throws: 'the getter `get label()` of Invoice reads `this.currency.symbol` with currency undefined: a native TypeError',
    path: 'runScenario → scenarios.getter (try/catch) → get label',
  },
  async: {
    throws: 'async fetchRate (app/src/services/rates.js) throws after `await delay(5)`; awaited by async convertInvoice; the rejection is never handled',
    path: 'scenarios.async → convertInvoice → await fetchRate → (timer) → throw',
  },
  map: {
    throws: 'the arrow callback that parseQuantities (app/src/util/format.js) passes to Array.prototype.map throws a RangeError on the second row',
    path: 'runScenario → scenarios.map → parseQuantities → Array.prototype.map → arrow',
  },
  timeout: {
    throws: 'function onReminderDue, passed to setTimeout by scheduleReminder (app/src/services/reminders.js), calls sendReminder, which throws',
    path: '(timer) → onReminderDue → sendReminder',
  },
};

// The original line of each scenario's throw site contains one of these.
export const THROW_SITE = {
  method: ['throw new InvoiceError('],
  getter: ['this.currency.symbol'],
  async: ['throw new Error(`No exchange rate'],
  map: ['throw new RangeError('],
  timeout: ['throw new Error(`Cannot remind'],
};

// The commands generate.sh runs (lib.sh: build_app, null_library_sources, open_page), as recorded.
export const esbuildCommand = (entry, outdir) =>
  `esbuild ${entry} --bundle --minify --sourcemap --format=iife --log-level=warning --outfile=${outdir}/app.js`;
export const NULL_LIBRARY_SOURCES = 'sourcesContent of node_modules/ sources set to null (generate.sh)';

// chromium(userAgent): the facts about the Chromium that ran the pages.
export const chromium = (userAgent) => ({
  debianPackage: `chromium ${debVersion('chromium')}`,
  version: run('chromium', ['--version']),
  userAgent,
  command: 'chromium --headless=new --disable-gpu --no-sandbox --no-first-run --no-default-browser-check --disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage --user-data-dir=<fresh dir> <page URL>',
});

// exitOnProblems prints one line per problem and exits 1 if there is any.
export function exitOnProblems(problems) {
  if (!problems.length) return;
  for (const p of problems) console.error(`manifest.mjs: ${p}`);
  process.exit(1);
}

export const writeManifest = (stage, manifest) =>
  writeFileSync(join(stage, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
