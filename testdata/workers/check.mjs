// Sanity check of the recorded Workers fixture, run by generate.sh last.
//
// For every scenario:
//  - traces/<s>.txt (wrangler dev, err.stack) starts with "Name: message" and
//    has frames in the dev bundle (file:///workers/worker/.wrangler/tmp/
//    dev-XXXXXX/index.js); each such frame is looked up in dev/index.js.map
//    with a same-line greatest-lower-bound lookup and compared with the frame
//    wrangler printed at the same place in traces/<s>.wrangler-resolved.txt
//    (the same error object, rethrown: same stack); source URL, line and
//    column must agree. Frames wrangler did not resolve (`Array.map
//    (<anonymous>)`, printed by it as `[object Object]`) are skipped, and
//    wrangler drops its own middleware frames at the end.
//  - traces/<s>.workerd.txt (plain workerd, dist bundle as module "index.js")
//    has the same functions; its frames, looked up in dist/index.js.map, must
//    give the same original positions as the dev trace's frames.
//  - the tail events carry the same name, message and frames.
// Maps are decoded with @jridgewell/sourcemap-codec, independently of
// mapback's decoder. Sources are resolved as ECMA-426 says: sourceRoot, a "/"
// if it lacks one, the source; then against the map's location (its
// placeholder location /workers/..., see README.md).
// Usage: node check.mjs <testdata/workers> "<scenarios>"
import { readFileSync, existsSync } from "node:fs";
import { join, posix } from "node:path";
import { decode } from "@jridgewell/sourcemap-codec";

const [here, scenarioList] = process.argv.slice(2);
const scenarios = scenarioList.split(/\s+/).filter(Boolean);
const read = (...p) => readFileSync(join(here, ...p), "utf8");
const json = (...p) => JSON.parse(read(...p));

let problems = 0, compared = 0;
const fail = (msg) => { problems++; console.error(`   FAIL ${msg}`); };

const DEV_BUNDLE = "file:///workers/worker/.wrangler/tmp/dev-XXXXXX/index.js";

// mapPath: where the map is, with the placeholder root (/workers/...).
function loadMap(file, mapPath) {
  const map = json(file);
  const lines = decode(map.mappings);
  const source = (i) => {
    let root = map.sourceRoot ?? "";
    if (root !== "" && !root.endsWith("/")) root += "/";
    // Both maps have file paths only. Resolved with path.posix, not with
    // new URL(): Node's URL parser (ada, in Node 20.20.2 and 22.23.5) leaves
    // "../" unresolved in a path that has a segment starting with "." (such
    // as .wrangler): new URL("/w/.x/d/../c.js", "file:///").href is
    // "file:///w/.x/d/../c.js".
    return "file://" + posix.resolve(posix.dirname(mapPath), root + map.sources[i]);
  };
  // Same-line greatest lower bound; null when unmapped.
  const lookup = (line, col) => {
    let best = null;
    for (const s of lines[line - 1] ?? []) if (s[0] <= col - 1) best = s; else break;
    return best && best.length >= 4 ? `${source(best[1])}:${best[2] + 1}:${best[3] + 1}` : null;
  };
  return { map, lookup };
}
const dev = loadMap("dev/index.js.map", "/workers/worker/.wrangler/tmp/dev-XXXXXX/index.js.map");
const dist = loadMap("dist/index.js.map", "/workers/dist/index.js.map");

// "    at [async ]name (location)" or "    at [async ]location".
const FRAME = /^ {4}at (?:async )?(?:(.*?) \()?(.+?):(\d+):(\d+)\)?$/;
const framesOf = (text) => text.split("\n").filter((l) => l.startsWith("    at "));
function parse(line) {
  const m = FRAME.exec(line);
  return m ? { name: m[1] ?? "", file: m[2], line: +m[3], col: +m[4] } : null;
}

for (const s of scenarios) {
  const raw = read("traces", `${s}.txt`);
  const resolved = read("traces", `${s}.wrangler-resolved.txt`);
  const direct = read("traces", `${s}.workerd.txt`);
  const header = raw.split("\n")[0];
  if (!/^[A-Za-z]*Error: ./.test(header)) fail(`${s}: first line is not "Name: message": ${header}`);
  if (resolved.split("\n")[0] !== header) fail(`${s}: wrangler-resolved header differs`);
  if (direct.split("\n")[0] !== header) fail(`${s}: workerd header differs`);

  // 1. wrangler dev: raw frames vs wrangler's own resolution.
  const rawFrames = framesOf(raw), resFrames = framesOf(resolved);
  const inDev = rawFrames.map(parse).filter((f) => f && f.file === DEV_BUNDLE);
  if (inDev.length < 2) fail(`${s}: ${inDev.length} frames in ${DEV_BUNDLE}`);
  resFrames.forEach((resLine, i) => {
    const f = parse(rawFrames[i] ?? "");
    if (!f || f.file !== DEV_BUNDLE) {
      if (resLine !== "    at [object Object]") fail(`${s}: frame ${i}: ${rawFrames[i]} vs ${resLine}`);
      return;
    }
    const r = parse(resLine);
    const got = dev.lookup(f.line, f.col) ?? "(unmapped)";
    const want = r ? `${r.file}:${r.line}:${r.col}` : "(unparsed)";
    compared++;
    if (got !== want) fail(`${s}: ${rawFrames[i].trim()} -> ${got}, wrangler printed ${want}`);
  });

  // 2. Plain workerd on the deploy bundle: same functions, same original positions
  // (up to the Object.fetch frame: after it the dev trace has wrangler's middleware).
  const directFrames = framesOf(direct).map(parse);
  directFrames.forEach((f, i) => {
    const d = parse(rawFrames[i] ?? "");
    if (f === null && d === null) return; // Array.map (<anonymous>) in both
    if (!f || !d || f.name !== d.name) return fail(`${s}: workerd frame ${i} differs from the dev trace's`);
    if (f.file !== "index.js") return fail(`${s}: workerd frame ${i} names ${f.file}, expected index.js`);
    const a = dist.lookup(f.line, f.col), b = dev.lookup(d.line, d.col);
    compared++;
    if (a === null || a !== b) fail(`${s}: workerd frame ${i}: dist map gives ${a}, dev map gives ${b}`);
  });

  // 3. Tail events: name, message, and the frames of the raw traces.
  const check = (file, kind, expectFrames) => {
    if (!existsSync(join(here, file))) return fail(`${s}: no ${file}`);
    const [item, ...more] = json(file);
    if (more.length) fail(`${file}: ${more.length + 1} items, expected 1`);
    const e = kind === "exception" ? item.exceptions[0] : item.logs[0]?.errorInfo?.[1];
    if (!e) return fail(`${file}: no ${kind}`);
    if (`${e.name}: ${e.message}` !== header) fail(`${file}: ${e.name}: ${e.message} vs ${header}`);
    const got = framesOf(e.stack);
    // Frames up to runScenario are the same whichever route ran the scenario.
    const n = expectFrames.findIndex((l) => /at (async )?runScenario /.test(l)) + 1;
    if (n < 2 || got.slice(0, n).join("\n") !== expectFrames.slice(0, n).join("\n")) {
      fail(`${file}: stack differs from the trace's first ${n} frames`);
    }
  };
  check(`tail-events/wrangler-dev/${s}.waituntil.json`, "exception", rawFrames);
  check(`tail-events/wrangler-dev/${s}.logged.json`, "errorInfo", rawFrames);
  check(`tail-events/workerd/${s}.uncaught.json`, "exception", framesOf(direct));
  check(`tail-events/workerd/${s}.waituntil.json`, "exception", framesOf(direct));
  check(`tail-events/workerd/${s}.logged.json`, "errorInfo", framesOf(direct));
  if (json(`tail-events/workerd/${s}.uncaught.json`)[0].outcome !== "exception") {
    fail(`${s}: workerd uncaught tail event outcome is not "exception"`);
  }
}

// 4. Logs: one entry per scenario where one is expected.
const count = (text, re) => (text.match(re) ?? []).length;
const n = scenarios.length;
const devLog = read("logs", "wrangler-dev.txt");
const debugLog = read("logs", "wrangler-dev-debug-workerd.txt");
const workerdLog = read("logs", "workerd.txt");
for (const [what, got, want] of [
  ["[wrangler:error] in logs/wrangler-dev.txt", count(devLog, /^\[wrangler:error\] /gm), n],
  ["✘ [ERROR] scenario failed in logs/wrangler-dev.txt", count(devLog, /^✘ \[ERROR\] scenario failed: /gm), n],
  ["Uncaught (async) in logs/wrangler-dev-debug-workerd.txt", count(debugLog, /source = Uncaught \(async\)/g), n],
  ["Uncaught (in response) in logs/workerd.txt", count(workerdLog, /source = Uncaught \(in response\)/g), n],
  ["Uncaught (async) in logs/workerd.txt", count(workerdLog, /source = Uncaught \(async\)/g), n],
  ["absolute paths in logs", count(devLog + debugLog + workerdLog, new RegExp(here.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g")), 0],
]) {
  if (got !== want) fail(`${what}: ${got}, expected ${want}`);
}
for (const f of ["dev/index.js", "dist/index.js"]) {
  if (!read(f).endsWith("//# sourceMappingURL=index.js.map\n")) fail(`${f}: no sourceMappingURL comment at its end`);
}

console.log(`   ${n} scenarios; ${compared} bundle frames looked up, ${problems} problems`);
if (problems) process.exit(1);
