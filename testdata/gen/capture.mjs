// Runs every built bundle with every scenario, raw and with
// `node --enable-source-maps`, and writes traces/<scenario>.txt,
// traces/<scenario>.node-resolved.txt and ../fixtures/manifest.json.
// Called by generate.sh: node capture.mjs <build-list.tsv> <fixtures-dir>
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [listFile, fixturesArg] = process.argv.slice(2);
const gen = dirname(fileURLToPath(import.meta.url));
const fixtures = realpathSync(fixturesArg);
const testdata = dirname(fixtures); // <repo>/testdata, shown as "/" in traces

// Only these variables reach node: no NODE_OPTIONS, no colours.
const env = { PATH: process.env.PATH, LC_ALL: "C", TZ: "UTC" };

// The scenario list comes from the app itself: with no argument it prints
// "usage: app <a|b|c>" and exits 2.
function scenarioList() {
  const r = spawnSync(process.execPath, ["app/src/index.js"], { cwd: gen, env, encoding: "utf8" });
  const m = /^usage: app <([^>]+)>$/m.exec(r.stderr);
  if (r.status !== 2 || !m) throw new Error(`cannot read scenarios from app usage: ${r.stderr}`);
  return m[1].split("|");
}

// Absolute paths of this checkout become paths under a fake root: the
// testdata directory is "/", so <repo>/testdata/fixtures/x/app.js is printed
// as /fixtures/x/app.js (and file:///fixtures/x/app.js), and the app sources
// <repo>/testdata/gen/app/src/... as /gen/app/src/....
function placeholder(text) {
  const url = pathToFileURL(testdata).href + "/";
  let out = text.split(url).join("file:///").split(testdata + "/").join("/");
  if (out.includes(testdata)) throw new Error(`unreplaced path ${testdata} in:\n${out}`);
  return out;
}

function run(dir, bundle, scenario, flags) {
  const r = spawnSync(process.execPath, [...flags, `./${bundle}`, scenario], {
    cwd: dir,
    env,
    encoding: "utf8",
    timeout: 30_000,
  });
  const what = `node ${[...flags, bundle, scenario].join(" ")} in ${dir}`;
  if (r.error) throw r.error;
  if (r.status !== 1) throw new Error(`${what}: exit ${r.status}, expected 1\n${r.stderr}`);
  if (r.stdout !== "") throw new Error(`${what}: unexpected stdout\n${r.stdout}`);
  if (!/^    at /m.test(r.stderr)) throw new Error(`${what}: no stack frames\n${r.stderr}`);
  return placeholder(r.stderr);
}

function version(pkg) {
  return JSON.parse(readFileSync(join(gen, "node_modules", pkg, "package.json"), "utf8")).version;
}

const scenarios = scenarioList();
const builds = [];
for (const line of readFileSync(listFile, "utf8").split("\n")) {
  if (!line) continue;
  const [name, bundler, bundle, map, command] = line.split("\t");
  const dir = join(fixtures, name);
  const traces = join(dir, "traces");
  mkdirSync(traces, { recursive: true });
  for (const scenario of scenarios) {
    writeFileSync(join(traces, `${scenario}.txt`), run(dir, bundle, scenario, []));
    writeFileSync(
      join(traces, `${scenario}.node-resolved.txt`),
      run(dir, bundle, scenario, ["--enable-source-maps"]),
    );
  }
  const mapJSON = JSON.parse(readFileSync(join(dir, map), "utf8"));
  builds.push({
    name,
    bundler,
    version: version(bundler),
    command: `${command}   (cwd testdata/gen)`,
    bundle,
    map,
    sourceRoot: mapJSON.sourceRoot ?? null,
    sources: mapJSON.sources.length,
    run: `node ./${bundle} <scenario>   (cwd testdata/fixtures/${name})`,
    scenarios,
    traces: `traces/<scenario>.txt, traces/<scenario>.node-resolved.txt`,
  });
  console.log(`   ${name}: ${scenarios.length} scenarios x 2`);
}

const tools = {};
for (const pkg of [
  "esbuild", "webpack", "webpack-cli", "terser-webpack-plugin", "terser", "rollup",
  "@rollup/plugin-node-resolve", "@rollup/plugin-terser", "vite", "lodash-es",
]) {
  tools[pkg] = version(pkg);
}

const manifest = {
  generator: "testdata/gen/generate.sh",
  node: process.version,
  pathPlaceholder: {
    note: "absolute paths in traces are rewritten: <repo>/testdata/ -> /, both as paths and as file:// URLs",
    "/fixtures/": "testdata/fixtures/",
    "/gen/": "testdata/gen/",
  },
  tools,
  scenarios,
  builds,
};
writeFileSync(join(fixtures, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
