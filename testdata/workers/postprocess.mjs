// Run by generate.sh after the servers have stopped. Turns what they printed
// into the committed files, changing nothing but what README.md lists:
//   - ANSI colour codes are removed;
//   - this checkout's absolute path of testdata/workers is replaced by /workers
//     (also inside file:// URLs), and the random part of the names of
//     wrangler's temporary directories (.wrangler/tmp/dev-<6 random
//     characters>, .wrangler/tmp/bundle-<6>) by XXXXXX;
//   - the tail Worker's "MAPBACK_TAIL_EVENTS <json>" console lines are taken
//     out of the logs and written, pretty-printed, to tail-events/.
// Usage: node postprocess.mjs <testdata/workers> <tmp> "<scenarios>"
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

process.on("uncaughtException", (e) => {
  console.error(`postprocess.mjs: ${e.message}`);
  process.exit(1);
});

const [here, tmp, scenarioList] = process.argv.slice(2);
const scenarios = scenarioList.split(/\s+/).filter(Boolean);
const at = (...p) => join(here, ...p);
const read = (p) => readFileSync(p, "utf8");

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const TMPDIR = /(\.wrangler\/tmp\/(?:dev|bundle))-[A-Za-z0-9]{6}(?=\/|")/g;
function sanitize(text) {
  let out = text.replace(ANSI, "");
  out = out.replaceAll(pathToFileURL(here).href, "file:///workers");
  out = out.replaceAll(here, "/workers");
  out = out.replace(TMPDIR, "$1-XXXXXX");
  out = out.replace(/(\.\.\/bundle)-[A-Za-z0-9]{6}\//g, "$1-XXXXXX/"); // relative, in the dev map
  return out;
}
const rewrite = (p) => writeFileSync(p, sanitize(read(p)));

// 1. Traces (response bodies).
for (const s of scenarios) {
  rewrite(at("traces", `${s}.txt`));
  rewrite(at("traces", `${s}.wrangler-resolved.txt`));
  rewrite(at("traces", `${s}.workerd.txt`));
}

// 2. The dev bundle's map names the absolute directory wrangler bundled into
// (its sourceRoot): same placeholder as in the traces.
rewrite(at("dev", "index.js.map"));
rewrite(at("dev", "index.js"));
if (sanitize(read(join(tmp, "debug-index.js"))) !== read(at("dev", "index.js"))) {
  throw new Error("wrangler dev --log-level debug ran a different bundle than wrangler dev");
}

// 3. Consoles; tail-event lines go to tail-events/<run>/.
const TAIL = /MAPBACK_TAIL_EVENTS (.*)$/;
function splitConsole(file, run, keep) {
  const kept = [];
  let events = 0;
  for (const line of sanitize(read(file)).split("\n")) {
    const m = TAIL.exec(line);
    if (!m) {
      kept.push(line);
      continue;
    }
    const batch = JSON.parse(m[1]);
    events += batch.length;
    const path = new URL(batch[0].event.request.url).pathname; // /<mode>/<scenario>
    const [mode, scenario] = path.split("/").filter(Boolean);
    if (batch.length === 1 && keep(mode, scenario)) {
      writeFileSync(at("tail-events", run, `${scenario}.${mode}.json`), JSON.stringify(batch, null, 2) + "\n");
    }
  }
  if (events === 0) throw new Error(`no tail events in ${file}`);
  return kept.join("\n");
}

writeFileSync(
  at("logs", "wrangler-dev.txt"),
  splitConsole(join(tmp, "wrangler-dev.console"), "wrangler-dev",
    (mode, s) => mode === "waituntil" || mode === "logged" || (mode === "uncaught" && s === "class-method")),
);
writeFileSync(
  at("logs", "workerd.txt"),
  splitConsole(join(tmp, "workerd.console"), "workerd",
    (mode) => mode === "waituntil" || mode === "uncaught" || mode === "logged"),
);

// 4. workerd's own lines in `wrangler dev --log-level debug`: each
// "uncaught exception; source = ..." line with the frame lines after it.
const debug = sanitize(read(join(tmp, "wrangler-dev-debug.console"))).split("\n");
const blocks = [];
for (let i = 0; i < debug.length; i++) {
  if (!debug[i].startsWith("uncaught exception; source = ")) continue;
  blocks.push(debug[i]);
  while (i + 1 < debug.length && /^ {4}at /.test(debug[i + 1])) blocks.push(debug[++i]);
}
writeFileSync(at("logs", "wrangler-dev-debug-workerd.txt"), blocks.join("\n") + "\n");
