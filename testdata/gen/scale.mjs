// Writes a Next.js-sized app and builds it: ROUTES route modules, each
// imported dynamically by one entry, built by esbuild with code splitting
// into a chunk and a map per route (plus shared chunks), as a code-split
// Vite or Next.js app emits them. Then it runs every route in Node, each
// throwing from a few frames deep, and records the stacks as a log of real
// V8 traces over the build.
//
// Usage: node scale.mjs OUT_DIR [ROUTES] [TRACES]
//   OUT_DIR/src     the generated sources
//   OUT_DIR/dist    the build (esbuild --bundle --splitting --minify --sourcemap)
//   OUT_DIR/log.txt TRACES traces (with their frames), one after another
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const out = resolve(process.argv[2] ?? '');
const routes = Number(process.argv[3] ?? 5000);
const traces = Number(process.argv[4] ?? 2000);
if (!process.argv[2] || !(routes > 0) || !(traces > 0)) {
  console.error('usage: node scale.mjs OUT_DIR [ROUTES] [TRACES]');
  process.exit(2);
}
rmSync(out, { recursive: true, force: true });
const src = join(out, 'src');
mkdirSync(join(src, 'routes'), { recursive: true });
mkdirSync(join(src, 'shared'), { recursive: true });

// A few shared modules the routes use, so the build has shared chunks too.
for (let s = 0; s < 20; s++) {
  writeFileSync(join(src, 'shared', `util${s}.js`), `
export function format${s}(value, unit) {
  if (typeof value !== 'number') throw new TypeError('format${s}: not a number: ' + value);
  return value.toFixed(${s % 4}) + ' ' + unit;
}
export class Store${s} {
  constructor(name) { this.name = name; this.items = new Map(); }
  put(key, value) { this.items.set(key, value); return this; }
  get(key) {
    if (!this.items.has(key)) throw new Error('Store${s} ' + this.name + ': no ' + key);
    return this.items.get(key);
  }
}
`);
}
// Each route: a component-like render function, helpers, and a handler that
// fails in a route-specific way a few frames deep. Sizes vary like real routes.
for (let r = 0; r < routes; r++) {
  const s = r % 20;
  // 5 to 60 helpers: routes from a few to ~15 KB, as real pages vary.
  const extra = Array.from({ length: 5 + (r * 37) % 56 }, (_, i) =>
    `export function helper${i}(xs, label = 'route${r}-${i}') {\n  const seen = new Set();\n  return xs.map((x) => x * ${i + 2} + ${r % 13}).filter((x) => {\n    if (seen.has(x)) return false;\n    seen.add(x);\n    return x % ${i + 3} !== 0 || label.length > ${i};\n  });\n}`).join('\n');
  writeFileSync(join(src, 'routes', `route${r}.js`), `
import { format${s}, Store${s} } from '../shared/util${s}.js';
${extra}
function render(props) {
  const store = new Store${s}('route${r}');
  store.put('title', props.title);
  return '<h1>' + store.get('title') + '</h1>' + format${s}(props.count, 'items') + store.get('missing-${r % 97}');
}
export function handle(request) {
  const items = helper0([1, 2, 3, ${r}]);
  return render({ title: 'Route ${r}', count: items.length + request.n });
}
`);
}
writeFileSync(join(src, 'entry.js'), `export const routes = [\n${
  Array.from({ length: routes }, (_, r) => `  () => import('./routes/route${r}.js'),`).join('\n')
}\n];\n`);

await build({
  entryPoints: [join(src, 'entry.js')],
  bundle: true,
  splitting: true,
  format: 'esm',
  minify: true,
  sourcemap: true,
  outdir: join(out, 'dist'),
  chunkNames: 'chunks/[name]-[hash]',
  logLevel: 'warning',
});

// Run routes and keep their stacks: real V8 traces over the build.
const { routes: loaders } = await import(pathToFileURL(join(out, 'dist', 'entry.js')).href);
const log = [];
for (let t = 0; t < traces; t++) {
  const r = (t * 7919) % routes;
  const route = await loaders[r]();
  try {
    route.handle({ n: t });
  } catch (err) {
    log.push(err.stack);
  }
}
// The frames of this script (the caller) are not the build's: left out.
const own = pathToFileURL(process.argv[1]).href;
writeFileSync(join(out, 'log.txt'), log.map((s) => s.split('\n').filter((l) => !l.includes(own)).join('\n')).join('\n') + '\n');
console.log(`${routes} routes, ${log.length} traces`);
