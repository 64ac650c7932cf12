// The function-name oracle: for every bundle frame of the committed Node
// traces, the function that encloses the frame's ORIGINAL position (the
// position node --enable-source-maps printed), found by parsing the original
// source file with acorn, a real JavaScript parser independent of mapback,
// and named the way DevTools and V8 name functions in unbundled code. Writes
// ../fixtures/names-oracle.json; internal/resolve's name test compares
// mapback's names with it (exact / acceptable / wrong).
// Usage: node names-oracle.mjs <fixtures-dir>
import { readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import * as acorn from "acorn";

const fixtures = process.argv[2];
const gen = dirname(fileURLToPath(import.meta.url));
const manifest = JSON.parse(readFileSync(join(fixtures, "manifest.json"), "utf8"));

// The original file a resolved frame names, on disk: the fixtures' placeholder
// root "/gen/" is testdata/gen/; webpack://<ns>/ URLs are relative to app/
// (Node prints webpack://<ns>/../node_modules/x as webpack://<ns>/node_modules/x).
function originalPath(file) {
  if (file.startsWith("/gen/")) return join(gen, file.slice("/gen/".length));
  const w = /^webpack:\/\/[^/]*\/(.*)$/.exec(file);
  if (w) return w[1].startsWith("node_modules/") ? join(gen, w[1]) : join(gen, "app", w[1]);
  const h = /^https:\/\/example\.com\/(?:src\/)?gen\/(.*)$/.exec(file);
  if (h) return join(gen, h[1]);
  throw new Error(`no original file for ${file}`);
}

const parsed = new Map();
function parse(path) {
  if (!parsed.has(path)) {
    const text = readFileSync(path, "utf8");
    parsed.set(path, acorn.parse(text, { ecmaVersion: "latest", sourceType: "module", locations: true }));
  }
  return parsed.get(path);
}

const isFunction = (n) => n && (n.type === "FunctionDeclaration" || n.type === "FunctionExpression" || n.type === "ArrowFunctionExpression");

// innermost returns the chain of nodes from the root to the innermost
// function containing (line, col) (1-based line, 0-based UTF-16 column).
function innermost(ast, line, col) {
  const inside = (n) => {
    const s = n.loc.start, e = n.loc.end;
    const after = line > s.line || (line === s.line && col >= s.column);
    const before = line < e.line || (line === e.line && col < e.column);
    return after && before;
  };
  let best = null;
  const walk = (n, chain) => {
    if (!n || typeof n.type !== "string" || !n.loc || !inside(n)) return;
    chain = [...chain, n];
    if (isFunction(n)) best = chain;
    for (const k of Object.keys(n)) {
      if (k === "loc") continue;
      const v = n[k];
      if (Array.isArray(v)) v.forEach((c) => walk(c, chain));
      else if (v && typeof v.type === "string") walk(v, chain);
    }
  };
  walk(ast, []);
  return best;
}

const keyName = (k) => (k.type === "Identifier" ? k.name : k.type === "Literal" ? String(k.value) : k.type === "PrivateIdentifier" ? "#" + k.name : null);
const memberText = (m) => {
  if (m.type === "Identifier") return m.name;
  if (m.type === "ThisExpression") return "this";
  if (m.type === "MemberExpression" && !m.computed) {
    const o = memberText(m.object);
    return o === null ? null : `${o}.${m.property.name}`;
  }
  return null;
};

// name names the function at the end of chain as V8 and DevTools do for
// the unbundled code: exact, plus the other spellings that say the same.
function name(chain) {
  const fn = chain[chain.length - 1];
  const parent = chain[chain.length - 2];
  const grand = chain[chain.length - 3];
  if (fn.id) return { exact: fn.id.name, acceptable: [] };
  if (parent && parent.type === "MethodDefinition") {
    const cls = grand && grand.type === "ClassBody" ? chain[chain.length - 4] : null;
    let clsName = cls && cls.id ? cls.id.name : null;
    if (!clsName && cls) {
      const holder = chain[chain.length - 5];
      if (holder && holder.type === "VariableDeclarator") clsName = holder.id.name;
    }
    const key = keyName(parent.key);
    if (parent.kind === "constructor") return { exact: clsName, acceptable: [`new ${clsName}`] };
    const prefix = parent.kind === "get" || parent.kind === "set" ? `${parent.kind} ` : "";
    return { exact: `${clsName}.${prefix}${key}`, acceptable: [`${clsName}.${key}`, `${prefix}${key}`, key] };
  }
  if (parent && parent.type === "Property") {
    const key = keyName(parent.key);
    return { exact: key, acceptable: [`Object.${key}`] };
  }
  if (parent && parent.type === "PropertyDefinition") {
    const key = keyName(parent.key);
    return { exact: key, acceptable: [] };
  }
  if (parent && parent.type === "VariableDeclarator" && parent.id.type === "Identifier") return { exact: parent.id.name, acceptable: [] };
  if (parent && parent.type === "AssignmentExpression" && parent.right === fn) {
    const t = memberText(parent.left);
    if (t) return { exact: t.replace(/^this\./, ""), acceptable: [t.split(".").pop()] };
  }
  return { exact: "<anonymous>", acceptable: [""] };
}

const FRAME = /^\s+at (?:async )?(?:new )?(.*?) ?\(?((?:file:\/\/|webpack:\/\/|https:\/\/|\/)[^()]*?):(\d+):(\d+)\)?(?:,| \{)?$/;
const out = [];
for (const b of manifest.builds) {
  const dir = join(fixtures, b.name);
  for (const scenario of b.scenarios) {
    const raw = readFileSync(join(dir, "traces", `${scenario}.txt`), "utf8").split("\n");
    const res = readFileSync(join(dir, "traces", `${scenario}.node-resolved.txt`), "utf8").split("\n");
    const rawFrames = raw.filter((l) => /^\s+at /.test(l));
    const resFrames = res.filter((l) => /^\s+at /.test(l));
    rawFrames.forEach((line, k) => {
      if (!line.includes(`/fixtures/${b.name}/`)) return;
      const m = FRAME.exec(resFrames[k]);
      if (!m) throw new Error(`${b.name}/${scenario}: cannot read ${resFrames[k]}`);
      const [, , file, l, c] = m;
      const path = originalPath(file);
      const chain = innermost(parse(path), Number(l), Number(c) - 1);
      const entry = { build: b.name, scenario, frame: k, file: path.slice(gen.length + 1), line: Number(l), column: Number(c) };
      if (!chain) Object.assign(entry, { exact: "(top level)", acceptable: [] });
      else Object.assign(entry, name(chain));
      out.push(entry);
    });
  }
}
writeFileSync(join(fixtures, "names-oracle.json"), JSON.stringify({
  about: "testdata/gen/names-oracle.mjs: for every bundle frame (k-th 'at' line of traces/<scenario>.txt), the function enclosing its original position, found with acorn in the original source and named as V8/DevTools name unbundled code. (top level): no enclosing function.",
  acorn: acorn.version,
  frames: out,
}, null, 1) + "\n");
console.log(`   names-oracle.json: ${out.length} frames`);
