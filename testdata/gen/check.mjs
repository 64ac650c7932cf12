// Sanity check of the generated fixtures, run by generate.sh after capture.mjs:
// every frame of a raw trace that points into the bundle is looked up in the
// bundle's map with a same-line greatest-lower-bound lookup (the rule mapback
// follows, see shared spec resolve.md §4) and compared with the frame Node
// printed at the same place in <scenario>.node-resolved.txt (source, line and
// column; function names are not compared). Also checks that every trace has
// frames in the bundle and that library-callback has frames in lodash-es.
// Usage: node check.mjs <fixtures-dir>
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { decode } from "@jridgewell/sourcemap-codec";

const fixtures = process.argv[2];
const manifest = JSON.parse(readFileSync(join(fixtures, "manifest.json"), "utf8"));

// The maps are decoded by @jridgewell/sourcemap-codec (what rollup and Vite
// use), not by mapback's decoder: this check is an oracle independent of it.
// decode gives absolute values per generated line: [column] or
// [column, source, line, column(, name)].

// Same-line greatest lower bound; null when unmapped.
function lookup(lines, line, col) {
  const segs = lines[line - 1];
  if (!segs) return null;
  let best = null;
  for (const s of segs) if (s[0] <= col - 1) best = s; else break;
  return best && best.length >= 4 ? best : null;
}

// Frame location at the end of a V8 frame line: (file:line:col) or bare.
const FRAME = /^\s+at (?:.*?\()?(?:async )?(.+):(\d+):(\d+)\)?(?:,| \{)?$/;

let frames = 0, agree = 0, problems = 0;
const fail = (msg) => { problems++; console.error(`   FAIL ${msg}`); };

for (const b of manifest.builds) {
  const dir = join(fixtures, b.name);
  const map = JSON.parse(readFileSync(join(dir, b.map), "utf8"));
  const lines = decode(map.mappings);
  const mapURL = pathToFileURL(join("/fixtures", b.name, b.map)); // placeholder root
  const sourceName = (i) => {
    const u = new URL((map.sourceRoot ?? "") + map.sources[i], mapURL);
    return u.protocol === "file:" ? fileURLToPath(u) : u.href;
  };
  for (const scenario of b.scenarios) {
    const raw = readFileSync(join(dir, "traces", `${scenario}.txt`), "utf8").split("\n");
    const res = readFileSync(join(dir, "traces", `${scenario}.node-resolved.txt`), "utf8").split("\n");
    const rawFrames = raw.filter((l) => /^\s+at /.test(l));
    const resFrames = res.filter((l) => /^\s+at /.test(l));
    if (rawFrames.length !== resFrames.length) {
      fail(`${b.name}/${scenario}: ${rawFrames.length} raw frames vs ${resFrames.length} resolved`);
      continue;
    }
    let inBundle = 0, inLib = 0;
    rawFrames.forEach((l, i) => {
      const m = FRAME.exec(l);
      if (!m || !m[1].endsWith(`/${b.name}/${b.bundle}`)) return;
      inBundle++; frames++;
      const hit = lookup(lines, +m[2], +m[3]);
      const got = hit ? `${sourceName(hit[1])}:${hit[2] + 1}:${hit[3] + 1}` : "(unmapped)";
      const r = FRAME.exec(resFrames[i]);
      const want = r ? `${r[1]}:${r[2]}:${r[3]}` : "(unparsed)";
      if (got === want) agree++;
      else fail(`${b.name}/${scenario}: ${l.trim()} -> same-line ${got}, node ${want}`);
      if (/lodash-es/.test(got)) inLib++;
    });
    if (inBundle < 2) fail(`${b.name}/${scenario}: only ${inBundle} bundle frames`);
    if (scenario === "library-callback" && inLib < 2) fail(`${b.name}/${scenario}: ${inLib} lodash frames`);
    if (!res.some((l) => /\/src\/(index|models|services|util)/.test(l))) fail(`${b.name}/${scenario}: no src/ path in resolved trace`);
  }
}
console.log(`   ${frames} bundle frames in ${manifest.builds.length * manifest.scenarios.length} traces; ${agree} agree with node --enable-source-maps`);
if (problems) process.exit(1);
