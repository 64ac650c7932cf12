// Checks what serve.mjs captured and writes STAGE/manifest.json (see README.md).
//
//   node manifest.mjs STAGE HERE ORIGIN "SCENARIOS" "BROWSERS"
//
// Fails (exit 1, one line per problem) unless, for every browser and scenario, the plain page's
// trace has a "Name: message" header and at least one frame on ORIGIN/dist/app.js, and the Sentry
// page's event has an exception whose frames include ORIGIN/dist-sentry/app.js, and unless the
// innermost bundle frame of each, looked up in the bundle's map (decoded with
// @jridgewell/sourcemap-codec, same-line greatest lower bound), lands on the app's throw site.
// Warns when an event has no debug_meta image with the bundle's debug ID.
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { decode } from '@jridgewell/sourcemap-codec';
import {
  SCENARIOS, THROW_SITE as SITES, NULL_LIBRARY_SOURCES, chromium, debVersion, esbuildCommand, exitOnProblems,
  pkgVersion, readJSON, run, writeManifest,
} from './lib.mjs';

const [stage, here, origin, scenarioList, browserList] = process.argv.slice(2);
const scenarios = scenarioList.split(/\s+/).filter(Boolean);
const browsers = browserList.split(/\s+/).filter(Boolean);

const problems = [];

// The getter's TypeError message is the browser's own.
const DESCRIPTIONS = {
  ...SCENARIOS,
  getter: { ...SCENARIOS.getter, throws: `${SCENARIOS.getter.throws}, whose message differs by browser` },
};

// Firefox's innermost frame of `method` is the InvoiceError constructor's super() call; V8 leaves
// that frame out.
const THROW_SITE = { ...SITES, method: [...SITES.method, 'super(message)'] };

// lookup(mapFile) returns (line, column) 1-based → {source, line, column, text}, 1-based, or null.
function lookup(mapFile) {
  const m = readJSON(join(here, mapFile));
  const lines = decode(m.mappings);
  return (line, column) => {
    let best = null;
    for (const seg of lines[line - 1] ?? []) if (seg.length >= 4 && seg[0] <= column - 1) best = seg;
    if (!best) return null;
    const source = posix.join(posix.dirname(mapFile), (m.sourceRoot ?? '') + m.sources[best[1]]);
    const text = (m.sourcesContent?.[best[1]] ?? '').split('\n')[best[2]] ?? '';
    return { source, line: best[2] + 1, column: best[3] + 1, text };
  };
}
const plainLookup = lookup('dist/app.js.map');
const sentryLookup = lookup('dist-sentry/app.js.map');
const FRAME_LOCATION = /(https?:\/\/[^\s()@]+):(\d+):(\d+)\)?$/;

// checkThrowSite returns "source:line:column" of the position, and records a problem unless it
// is the scenario's throw site.
function checkThrowSite(what, s, pos) {
  if (!pos) {
    problems.push(`${what}: the innermost bundle frame has no mapping`);
    return null;
  }
  const where = `${pos.source}:${pos.line}:${pos.column}`;
  if (!THROW_SITE[s].some((t) => pos.text.includes(t))) {
    problems.push(`${what}: the innermost bundle frame maps to ${where} ${JSON.stringify(pos.text.trim())}, not the throw site`);
  }
  return where;
}

const chromeStackHeader = (r) => (r.message ? `${r.name}: ${r.message}` : r.name);

// --- traces from the plain build ---------------------------------------------------------------------
const reports = {};
for (const b of browsers) {
  reports[b] = {};
  for (const s of scenarios) {
    const p = join(stage, 'reports', b, `${s}.json`);
    if (!existsSync(p)) {
      problems.push(`${b}/${s}: no report`);
      continue;
    }
    const r = readJSON(p);
    reports[b][s] = r;
    const text = readFileSync(join(stage, 'traces', b, `${s}.txt`), 'utf8');
    const lines = text.split('\n');
    if (b === 'chromium' && lines[0] !== chromeStackHeader(r)) {
      problems.push(`${b}/${s}: first line ${JSON.stringify(lines[0])} is not "${chromeStackHeader(r)}"`);
    }
    const frames = lines.filter((l) => l.includes(`${origin}/dist/app.js:`));
    if (frames.length < 1) {
      problems.push(`${b}/${s}: no frame on ${origin}/dist/app.js`);
      continue;
    }
    const [, , line, column] = frames[0].match(FRAME_LOCATION);
    r.throwSite = checkThrowSite(`traces/${b}/${s}.txt`, s, plainLookup(Number(line), Number(column)));
  }
}

// --- events from the Sentry build --------------------------------------------------------------------
const map = readJSON(join(here, 'dist-sentry', 'app.js.map'));
const debugId = map.debugId ?? map.debug_id;
if (!debugId) problems.push('dist-sentry/app.js.map has no debugId: did sentry-cli sourcemaps inject run?');
const sentryBundle = `${origin}/dist-sentry/app.js`;
const eventFacts = {};
for (const b of browsers) {
  eventFacts[b] = {};
  for (const s of scenarios) {
    const p = join(stage, 'events', b, `${s}.json`);
    if (!existsSync(p)) {
      problems.push(`${b}/${s}: no Sentry event`);
      continue;
    }
    const e = readJSON(p);
    const values = e.exception?.values ?? [];
    const frames = values.flatMap((v) => v.stacktrace?.frames ?? []);
    const inBundle = frames.filter((f) => f.filename === sentryBundle);
    if (inBundle.length === 0) {
      problems.push(`${b}/${s}: the event has no exception frame on ${sentryBundle}`);
      continue;
    }
    const innermost = inBundle[inBundle.length - 1]; // Sentry lists frames outermost first
    const throwSite = checkThrowSite(`${b}/${s} event`, s, sentryLookup(innermost.lineno, innermost.colno));
    const images = e.debug_meta?.images ?? [];
    const hasId = images.some((i) => i.debug_id === debugId && i.code_file === sentryBundle);
    if (!hasId) console.error(`manifest.mjs: warning: ${b}/${s}: no debug_meta image with ${debugId}`);
    eventFacts[b][s] = {
      exception: values.map((v) => ({
        type: v.type,
        value: v.value,
        mechanism: v.mechanism && { type: v.mechanism.type, handled: v.mechanism.handled },
        frames: v.stacktrace?.frames?.length ?? 0,
      })),
      throwSite,
      debugMeta: hasId,
      sdk: e.sdk && `${e.sdk.name} ${e.sdk.version}`,
    };
  }
}

exitOnProblems(problems);

// --- the manifest ------------------------------------------------------------------------------------
const oneUserAgent = (b) => {
  const uas = [...new Set(Object.values(reports[b]).map((r) => r.userAgent))];
  return uas.length === 1 ? uas[0] : uas;
};
const manifest = {
  generator: 'testdata/browser/generate.sh',
  origin,
  pages: {
    plain: `${origin}/app/index.html?s=<scenario>&b=<browser>`,
    sentry: `${origin}/app/sentry.html?s=<scenario>&b=<browser>`,
  },
  browsers: {
    chromium: chromium(oneUserAgent('chromium')),
    firefox: {
      debianPackage: `firefox-esr ${debVersion('firefox-esr')}`,
      version: run('firefox-esr', ['--version']),
      userAgent: oneUserAgent('firefox'),
      command: 'firefox-esr --headless --no-remote --profile <fresh dir with user.js> <page URL>',
    },
  },
  tools: {
    node: process.version,
    esbuild: pkgVersion(here, 'esbuild'),
    '@sentry/browser': pkgVersion(here, '@sentry/browser'),
    'sentry-cli': run(join(here, 'node_modules/@sentry/cli-linux-x64/bin/sentry-cli'), ['--version']),
  },
  builds: {
    plain: {
      bundle: 'dist/app.js',
      map: 'dist/app.js.map',
      commands: [esbuildCommand('app/src/main.js', 'dist')],
    },
    sentry: {
      bundle: 'dist-sentry/app.js',
      map: 'dist-sentry/app.js.map',
      debugId,
      dsn: `http://public@${origin.replace(/^http:\/\//, '')}/1`,
      commands: [
        esbuildCommand('app/src/sentry-main.js', 'dist-sentry'),
        NULL_LIBRARY_SOURCES,
        'sentry-cli sourcemaps inject dist-sentry',
      ],
    },
  },
  scenarios: Object.fromEntries(
    scenarios.map((s) => [
      s,
      {
        ...DESCRIPTIONS[s],
        caughtBy: Object.fromEntries(browsers.map((b) => [b, reports[b][s].how])),
        header: Object.fromEntries(browsers.map((b) => [b, `${reports[b][s].name}: ${reports[b][s].message}`])),
        traces: Object.fromEntries(
          browsers.map((b) => [b, { file: `traces/${b}/${s}.txt`, throwSite: reports[b][s].throwSite }]),
        ),
        events: Object.fromEntries(
          browsers.map((b) => [b, { file: b === 'chromium' ? `events/${s}.json` : `events/${b}/${s}.json`, ...eventFacts[b][s] }]),
        ),
      },
    ]),
  ),
};
writeManifest(stage, manifest);
console.log(`   ${browsers.length * scenarios.length} traces and ${browsers.length * scenarios.length} events checked`);
