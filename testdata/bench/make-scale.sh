#!/usr/bin/env bash
# Builds the scale corpus for the scale-* bench cases (cases.sh), once: a Next.js-sized code-split app
# (5,000 dynamically imported routes, esbuild --splitting: 10,040 bundles and maps, ~120 MB) and a log
# of 2,000 real V8 traces (6,000 frames) thrown by its routes in Node. See testdata/gen/scale.mjs.
#
# It lives in .cache/bench/scale, next to the corpus, and outlives run.sh's scratch directory: the
# generator is deterministic, so a complete copy is reused.
#
# Usage: testdata/bench/make-scale.sh   # prints the directory
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/.cache/bench/scale"
if [[ ! -f "$out/.complete" ]]; then
  if [[ ! -x "$root/testdata/gen/node_modules/.bin/esbuild" ]]; then
    (cd "$root/testdata/gen" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
  (cd "$root/testdata/gen" && node scale.mjs "$out" 5000 2000 >&2)
  touch "$out/.complete"
fi
echo "$out"
