#!/usr/bin/env bash
# Regenerates testdata/fixtures/ from the app in testdata/gen/app with real,
# pinned bundlers, then records real Node stack traces of every bundle, raw and
# as resolved by `node --enable-source-maps`. See README.md.
#
# Usage: testdata/gen/generate.sh        (from any directory; idempotent)
# Env:   MAPBACK_FIXTURES_SKIP_INSTALL=1 skip `npm ci` (node_modules already current)
set -euo pipefail

GEN="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
FIX="$(cd "$GEN/.." && pwd -P)/fixtures"
BIN="$GEN/node_modules/.bin"
BUILDS="esbuild-cjs esbuild-esm webpack rollup vite"

# Keep the environment of every tool fixed: no inherited Node flags or colours.
unset NODE_OPTIONS FORCE_COLOR NO_COLOR NODE_ENV
export TZ=UTC LC_ALL=C

cd "$GEN"

if [[ "${MAPBACK_FIXTURES_SKIP_INSTALL:-}" != 1 ]]; then
  echo "== npm ci (testdata/gen/node_modules)"
  npm ci --no-audit --no-fund --loglevel=error
fi

mkdir -p "$FIX"
for b in $BUILDS; do rm -rf "${FIX:?}/$b"; done
rm -f "$FIX/manifest.json"

list="$(mktemp)"
trap 'rm -f "$list"' EXIT

# build NAME PACKAGE BUNDLE MAP CMD...: runs CMD (cwd testdata/gen) and records
# the build for capture.mjs. CMD is recorded verbatim in manifest.json.
build() {
  local name="$1" pkg="$2" bundle="$3" map="$4"
  shift 4
  echo "== $name: $*"
  mkdir -p "$FIX/$name"
  "$@"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$pkg" "$bundle" "$map" "${*#"$BIN/"}" >>"$list"
}

build esbuild-cjs esbuild app.js app.js.map \
  "$BIN/esbuild" app/src/index.js --bundle --minify --platform=node --format=cjs \
  --sourcemap --log-level=warning --outfile=../fixtures/esbuild-cjs/app.js

# --charset=utf8 keeps the emoji and other non-ASCII literals raw in the bundle
# (esbuild escapes them to \uXXXX by default, as in esbuild-cjs).
build esbuild-esm esbuild app.mjs app.mjs.map \
  "$BIN/esbuild" app/src/index.js --bundle --minify --platform=node --format=esm \
  --sourcemap --source-root=https://example.com/src/ --charset=utf8 \
  --log-level=warning --outfile=../fixtures/esbuild-esm/app.mjs

build webpack webpack main.js main.js.map \
  "$BIN/webpack" --config webpack.config.cjs

build rollup rollup app.cjs app.cjs.map \
  "$BIN/rollup" --config rollup.config.mjs --silent

build vite vite app.mjs app.mjs.map \
  "$BIN/vite" build --config vite.config.mjs

# Traces contain node:internal frames and a "Node.js vX" trailer: regenerate
# with the Node version recorded in manifest.json to keep them unchanged.
NODE_EXPECTED=v20.20.2
if [[ "$(node --version)" != "$NODE_EXPECTED" ]]; then
  echo "warning: node $(node --version), fixtures were made with $NODE_EXPECTED: traces will differ" >&2
fi

echo "== traces (node $(node --version))"
node "$GEN/capture.mjs" "$list" "$FIX"

echo "== check"
node "$GEN/check.mjs" "$FIX"

echo "== function-name oracle"
node "$GEN/names-oracle.mjs" "$FIX"

echo "== done: $(du -sh "$FIX" | cut -f1) in $FIX"
