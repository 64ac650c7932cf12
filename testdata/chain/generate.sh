#!/usr/bin/env bash
# Regenerates the map-chain fixture: src/app.ts built in two stages with real,
# pinned tools (tsc with its own source map into out/, then terser on out/app.js
# WITHOUT tsc's map as input into dist/), and Node traces of every scenario:
#   traces/<s>.txt               node dist/app.min.js <s>: the trace to resolve
#   traces/<s>.node-resolved.txt node --enable-source-maps dist/app.min.js <s>:
#                                Node follows one map, to out/app.js
#   traces/<s>.first-stage.txt   node --enable-source-maps out/app.js <s>:
#                                the positions in src/app.ts (the oracle)
# Absolute paths of this directory are written as /chain. See README.md.
#
# Usage: testdata/chain/generate.sh   (idempotent; needs Node 20 and the npm registry)
# Env:   MAPBACK_FIXTURES_SKIP_INSTALL=1 skip `npm ci`
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
cd "$DIR"
unset NODE_OPTIONS FORCE_COLOR NO_COLOR NODE_ENV
export TZ=UTC LC_ALL=C

if [[ "${MAPBACK_FIXTURES_SKIP_INSTALL:-}" != 1 ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

rm -rf out dist traces
node_modules/.bin/tsc -p .
mkdir -p dist traces
# base='dist' writes the map's sources relative to dist/ ("../out/app.js").
node_modules/.bin/terser out/app.js --compress --mangle \
  --source-map "base='dist',url='app.min.js.map'" --output dist/app.min.js

# trace FILE ARGS...: runs node ARGS, which must fail with exit 1, into FILE.
trace() {
  local file="$1" status=0
  shift
  node "$@" 2>"$file" >/dev/null || status=$?
  if [[ $status != 1 ]]; then
    echo "node $*: exit $status, expected 1" >&2
    exit 1
  fi
  sed -i "s|$DIR|/chain|g" "$file"
}

for s in method getter async; do
  trace "traces/$s.txt" dist/app.min.js "$s"
  trace "traces/$s.node-resolved.txt" --enable-source-maps dist/app.min.js "$s"
  trace "traces/$s.first-stage.txt" --enable-source-maps out/app.js "$s"
done
echo "== done: $(du -sh out dist traces | tr '\n' ' ')"
