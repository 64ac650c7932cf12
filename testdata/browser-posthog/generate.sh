#!/usr/bin/env bash
# Regenerates the PostHog browser fixtures in testdata/browser-posthog/ (see README.md): builds
# the app (app/src/posthog-main.js with the scenarios of ../browser/app/src) with the real
# posthog-js SDK into dist/ with esbuild, injects a PostHog chunk ID with mapback (`sourcemaps
# inject --backends posthog`), serves it with ../browser/serve.mjs on http://127.0.0.1:8766 (which
# stands in for PostHog's ingestion API), opens every scenario in headless Chromium and writes the
# $exception event the SDK sent:
#   events/<scenario>.json     the event, decoded from the SDK's gzipped batch, otherwise as sent
#   manifest.json              versions, build, chunk ID, where each innermost frame maps to
# The new output replaces the old only when every scenario produced one checked event.
#
# Usage: testdata/browser-posthog/generate.sh        (from any directory; idempotent)
# Env:   MAPBACK_FIXTURES_SKIP_INSTALL=1             skip apt-get and `npm ci`
#        MAPBACK_BROWSER_TIMEOUT=30                  seconds to wait for one page's event
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
REPO="$(cd "$HERE/../.." && pwd -P)"
PORT=8766 # also in app/src/posthog-main.js (api_host)
cd "$HERE"
# shellcheck source-path=SCRIPTDIR source=../browser/lib.sh
. "$REPO/testdata/browser/lib.sh"

# After the first $exception of a page, wait this long (in 0.1 s) for any further one, so that
# manifest.mjs can insist on exactly one: four flush intervals of the SDK (250 ms each).
GRACE=10
# The app's modules other than its entry are testdata/browser's: copied into app/src/ for the
# build (git-ignored, removed on exit), so that the map names them ../app/src/… like the entry.
APP="$REPO/testdata/browser/app/src"
SHARED="scenarios.js models services util"

# --- install ---------------------------------------------------------------------------------------
install_tools chromium
[[ -f node_modules/posthog-js/package.json ]] || die "posthog-js is not installed: run without MAPBACK_FIXTURES_SKIP_INSTALL=1"
command -v go >/dev/null || [[ -x /usr/local/go/bin/go ]] || die "go is not installed (needed to build mapback)"
GO="$(command -v go || echo /usr/local/go/bin/go)"

work="$(mktemp -d "${TMPDIR:-/tmp}/mapback-browser-posthog.XXXXXX")"
stage="$work/out"
mkdir -p "$stage"
server=""
browser_pid=""
finished=""
# dist/ is rebuilt in place (its map's sources are relative to it); the old one is kept in $work
# and put back unless everything succeeds, so a failed run leaves all output as it was.
cleanup() {
  stop_processes
  if [[ -z "$finished" && -d "$work/dist.old" ]]; then
    rm -rf "$HERE/dist"
    mv "$work/dist.old" "$HERE/dist"
  fi
  for f in $SHARED; do rm -rf "${HERE:?}/app/src/$f"; done
  rm -rf "$work"
}
trap cleanup EXIT

# --- build -----------------------------------------------------------------------------------------
# Each command is recorded in manifest.json by manifest.mjs (through ../browser/lib.mjs); keep them
# in step.
echo "== build mapback"
(cd "$REPO" && "$GO" build -o "$work/mapback" ./cmd/mapback) || die "go build ./cmd/mapback failed"

echo "== build dist/app.js (esbuild $("$BIN/esbuild" --version), posthog-js $(node -p 'require("./node_modules/posthog-js/package.json").version'))"
for f in $SHARED; do
  rm -rf "app/src/$f"
  cp -R "$APP/$f" "app/src/$f"
done
if [[ -d dist ]]; then mv dist "$work/dist.old"; fi
build_app app/src/posthog-main.js dist
null_library_sources dist/app.js.map

echo "== mapback sourcemaps inject --backends posthog dist/"
"$work/mapback" sourcemaps inject --backends posthog dist/ 2>"$work/inject.log" ||
  die "mapback sourcemaps inject failed: $(tail -n1 "$work/inject.log")"
grep -q '_posthogChunkIds' dist/app.js || die "dist/app.js has no _posthogChunkIds snippet after injection"
grep -q '^//# chunkId=' dist/app.js || die "dist/app.js has no //# chunkId= comment after injection"
grep -q '"chunk_id"' dist/app.js.map || die "dist/app.js.map has no chunk_id after injection"

# --- serve and run the browser ---------------------------------------------------------------------
start_server posthog

echo "== run (serving $ORIGIN)"
for s in $SCENARIOS; do
  open_page chromium "$ORIGIN/app/index.html?s=$s" "$stage/exceptions/$s/1.json" "$GRACE" \
    "chromium did not send an \$exception for scenario '$s'"
  printf '   %-8s %4d ms\n' "$s" $((waited * 100))
done

# --- check, write the manifest, and replace the old output --------------------------------------
echo "== check and manifest"
node manifest.mjs "$stage" "$HERE" "$ORIGIN" "$SCENARIOS"

rm -rf events
mkdir -p events
for s in $SCENARIOS; do cp "$stage/exceptions/$s/1.json" "events/$s.json"; done
cp "$stage/manifest.json" manifest.json
finished=1
echo "== done: $(find events -type f | wc -l) events in $HERE/events"
