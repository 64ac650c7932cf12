// What PostHog's CLI writes into a bundle, computed with PostHog's own code:
// @posthog/plugin-utils 2.0.0, whose chunk-ids.ts is "a byte-for-byte
// contract with posthog-cli". The CLI's placement: the snippet prepended at
// byte 0, "\n//# chunkId=<id>" appended. The chunk ID: the bundle's
// //# debugId= comment, else its map's debugId, else createStableChunkId of
// the bundle's bytes as read (the CLI hashes the file on disk).
//
// Usage: node oracle.mjs OUT_DIR < pairs.tsv
// Each input line is "BUNDLE<TAB>MAP<TAB>REL"; the injected bundle is
// written to OUT_DIR/REL.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  createChunkIdSnippet,
  createChunkIdComment,
  createStableChunkId,
} from '@posthog/plugin-utils';

const out = process.argv[2];
if (!out) {
  console.error('usage: node oracle.mjs OUT_DIR < pairs.tsv');
  process.exit(2);
}
const UUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

// The CLI's ECMA-426 debug ID: the last "//# debugId=" comment of the file.
function debugIdComment(code) {
  const lines = code.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = /^\/\/# debugId=(\S+)/.exec(lines[i].trim());
    if (m && UUID.test(m[1])) return m[1];
  }
  return undefined;
}

const input = readFileSync(0, 'utf8').split('\n').filter(Boolean);
for (const line of input) {
  const [bundle, map, rel] = line.split('\t');
  const code = readFileSync(bundle, 'utf8');
  let id = debugIdComment(code);
  if (!id && map) {
    const m = JSON.parse(readFileSync(map, 'utf8'));
    if (typeof m.debugId === 'string' && UUID.test(m.debugId)) id = m.debugId;
  }
  if (!id) id = createStableChunkId(code);
  const dest = join(out, rel);
  mkdirSync(dirname(dest), { recursive: true });
  writeFileSync(dest, createChunkIdSnippet(id) + code + createChunkIdComment(id));
}
console.log(`${input.length} bundles`);
