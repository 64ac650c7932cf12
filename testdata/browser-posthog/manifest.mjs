// Checks what ../browser/serve.mjs captured and writes STAGE/manifest.json (see README.md).
//
//   node manifest.mjs STAGE HERE ORIGIN "SCENARIOS"
//
// Fails (exit 1, one line per problem) unless, for every scenario, exactly one $exception event
// arrived; its properties.$exception_list has frames on ORIGIN/dist/app.js; every such frame
// carries a chunk_id equal to the chunk ID mapback injected (the bundle's `//# chunkId=` comment
// and the map's chunk_id, which must agree); and the innermost bundle frame, looked up in
// dist/app.js.map with @jridgewell/trace-mapping (greatest lower bound), lands on the app's
// throw site.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { TraceMap, originalPositionFor, sourceContentFor } from '@jridgewell/trace-mapping';
import {
  SCENARIOS, THROW_SITE, NULL_LIBRARY_SOURCES, chromium, esbuildCommand, exitOnProblems, pkgVersion, readJSON,
  writeManifest,
} from '../browser/lib.mjs';

const [stage, here, origin, scenarioList] = process.argv.slice(2);
const scenarios = scenarioList.split(/\s+/).filter(Boolean);

const problems = [];

const CAUGHT_BY = {
  method: 'window.onerror (the SDK’s exception autocapture)',
  getter: 'try/catch → posthog.captureException(error)',
  async: 'window.onunhandledrejection (the SDK’s exception autocapture)',
  map: 'window.onerror (the SDK’s exception autocapture)',
  timeout: 'window.onerror (the SDK’s exception autocapture; it does not wrap setTimeout)',
};

// --- the injected chunk ID -------------------------------------------------------------------------
const bundleText = readFileSync(join(here, 'dist', 'app.js'), 'utf8');
const mapJSON = readJSON(join(here, 'dist', 'app.js.map'));
const comments = [...bundleText.matchAll(/^\/\/# chunkId=(\S+)/gm)].map((m) => m[1]);
const chunkId = comments.at(-1);
if (!chunkId) problems.push('dist/app.js has no //# chunkId= comment');
if (mapJSON.chunk_id !== chunkId) problems.push(`dist/app.js.map has chunk_id ${mapJSON.chunk_id}, the bundle ${chunkId}`);
if (!bundleText.includes(`e._posthogChunkIds[n]=${JSON.stringify(chunkId)}`)) {
  problems.push('dist/app.js has no _posthogChunkIds snippet with the chunk ID');
}
const bundleLines = bundleText.split('\n');

// --- the events ------------------------------------------------------------------------------------
const tracer = new TraceMap(mapJSON);
const bundleURL = `${origin}/dist/app.js`;

// where returns the original position of a 1-based line and column of the bundle as
// "source:line:column" (1-based; source relative to this directory) and its line's text.
function where(line, column) {
  const pos = originalPositionFor(tracer, { line, column: column - 1 });
  if (pos.source === null) return null;
  const text = (sourceContentFor(tracer, pos.source) ?? '').split('\n')[pos.line - 1] ?? '';
  return { at: `${posix.join('dist', pos.source)}:${pos.line}:${pos.column + 1}`, text };
}

const facts = {};
for (const s of scenarios) {
  const dir = join(stage, 'exceptions', s);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
  if (files.length !== 1) {
    problems.push(`${s}: ${files.length} $exception events, want 1`);
    if (files.length === 0) continue;
  }
  const e = readJSON(join(dir, '1.json'));
  const list = e.properties?.$exception_list ?? [];
  const frames = list.flatMap((x) => x.stacktrace?.frames ?? []);
  const inBundle = frames.filter((f) => f.filename === bundleURL);
  if (inBundle.length === 0) {
    problems.push(`${s}: no frame in properties.$exception_list[].stacktrace.frames is on ${bundleURL}`);
    continue;
  }
  const wrong = inBundle.filter((f) => f.chunk_id !== chunkId);
  if (wrong.length) {
    problems.push(`${s}: ${wrong.length} of ${inBundle.length} bundle frames lack chunk_id ${chunkId} (e.g. ${JSON.stringify(wrong[0].chunk_id)})`);
  }
  const innermost = inBundle[inBundle.length - 1]; // frames are listed outermost first
  const pos = where(innermost.lineno, innermost.colno);
  if (!pos) {
    problems.push(`${s}: the innermost bundle frame ${innermost.lineno}:${innermost.colno} has no mapping`);
  } else if (!THROW_SITE[s].some((t) => pos.text.includes(t))) {
    problems.push(`${s}: the innermost bundle frame maps to ${pos.at} ${JSON.stringify(pos.text.trim())}, not the throw site`);
  }
  const other = frames.filter((f) => f.filename !== bundleURL);
  facts[s] = {
    file: `events/${s}.json`,
    exception: list.map((x) => ({
      type: x.type,
      value: x.value,
      mechanism: x.mechanism,
      frames: x.stacktrace?.frames?.length ?? 0,
      stacktraceType: x.stacktrace?.type,
    })),
    framesWithChunkId: `${inBundle.filter((f) => f.chunk_id === chunkId).length} of ${frames.length}`,
    framesOffBundle: other.map((f) => ({ filename: f.filename, function: f.function, chunk_id: f.chunk_id ?? null })),
    innermostFrame: {
      function: innermost.function,
      lineno: innermost.lineno,
      colno: innermost.colno,
      mapsTo: pos?.at ?? null,
      originalLine: pos?.text.trim() ?? null,
    },
  };
}

// The request that carried each event (the first POST whose batch holds it).
const requestFacts = {};
const reqDir = join(stage, 'requests');
for (const f of existsSync(reqDir) ? readdirSync(reqDir).sort() : []) {
  const r = readJSON(join(reqDir, f));
  const batch = Array.isArray(r.body) ? r.body : r.body?.batch ?? [r.body];
  for (const ev of batch) {
    if (ev?.event !== '$exception') continue;
    const s = new URL(ev.properties.$current_url).searchParams.get('s');
    requestFacts[s] ??= {
      method: r.method,
      url: r.url,
      contentType: r.contentType,
      ...(r.contentEncoding ? { contentEncoding: r.contentEncoding } : {}),
      compression: r.compression,
      bodyKeys: Array.isArray(r.body) ? '[array]' : Object.keys(r.body),
      events: batch.map((x) => x.event),
    };
  }
}

exitOnProblems(problems);

// --- the manifest ------------------------------------------------------------------------------------
const anyEvent = readJSON(join(stage, 'exceptions', scenarios[0], '1.json'));
const manifest = {
  generator: 'testdata/browser-posthog/generate.sh',
  origin,
  page: `${origin}/app/index.html?s=<scenario>`,
  browser: chromium(anyEvent.properties.$raw_user_agent),
  tools: {
    node: process.version,
    esbuild: pkgVersion(here, 'esbuild'),
    'posthog-js': pkgVersion(here, 'posthog-js'),
    '@posthog/core': pkgVersion(here, '@posthog/core'),
    '@jridgewell/trace-mapping': pkgVersion(here, '@jridgewell/trace-mapping'),
    mapback: 'built from this repository (go build ./cmd/mapback)',
  },
  build: {
    bundle: 'dist/app.js',
    map: 'dist/app.js.map',
    bundleLines: bundleLines.length,
    chunkId,
    apiHost: origin,
    projectKey: anyEvent.properties.token,
    commands: [
      esbuildCommand('app/src/posthog-main.js', 'dist'),
      NULL_LIBRARY_SOURCES,
      'mapback sourcemaps inject --backends posthog dist/',
    ],
  },
  scenarios: Object.fromEntries(
    scenarios.map((s) => [s, { ...SCENARIOS[s], caughtBy: CAUGHT_BY[s], event: facts[s], request: requestFacts[s] ?? null }]),
  ),
};
writeManifest(stage, manifest);
console.log(`   ${scenarios.length} events checked; every bundle frame has chunk_id ${chunkId}`);
