#!/usr/bin/env bash
# Regenerates the PostHog browser fixtures in testdata/browser-posthog/ (see README.md): builds
# the app in app/ (the scenarios of ../browser) with the real posthog-js SDK into dist/ with
# esbuild, injects a PostHog chunk ID with mapback (`sourcemaps inject --backends posthog`),
# serves it with serve.mjs on http://127.0.0.1:8766 (which stands in for PostHog's ingestion
# API), opens every scenario in headless Chromium and writes the $exception event the SDK sent:
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
BIN="$HERE/node_modules/.bin"
HOST=127.0.0.1
PORT=8766 # also in app/src/posthog-main.js (api_host)
ORIGIN="http://$HOST:$PORT"
SCENARIOS="method getter async map timeout"
TIMEOUT="${MAPBACK_BROWSER_TIMEOUT:-30}"
# After the first $exception of a page, wait this long (in 0.1 s) for any further one, so that
# manifest.mjs can insist on exactly one: four flush intervals of the SDK (250 ms each).
GRACE=10

# Keep the environment of every tool fixed: no inherited Node flags or colours.
unset NODE_OPTIONS FORCE_COLOR NO_COLOR NODE_ENV
export TZ=UTC LC_ALL=C

die() {
  echo "generate.sh: $*" >&2
  exit 1
}

cd "$HERE"

# --- install ---------------------------------------------------------------------------------------
if [[ "${MAPBACK_FIXTURES_SKIP_INSTALL:-}" != 1 ]]; then
  if ! command -v chromium >/dev/null; then
    sudo=()
    [[ "$(id -u)" == 0 ]] || sudo=(sudo)
    echo "== apt-get install chromium"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
      chromium >/dev/null
  fi
  echo "== npm ci (testdata/browser-posthog/node_modules)"
  npm ci --no-audit --no-fund --loglevel=error
fi
command -v chromium >/dev/null || die "chromium is not installed (apt-get install chromium)"
[[ -x "$BIN/esbuild" ]] || die "esbuild is not installed: run without MAPBACK_FIXTURES_SKIP_INSTALL=1"
[[ -f node_modules/posthog-js/package.json ]] || die "posthog-js is not installed: run without MAPBACK_FIXTURES_SKIP_INSTALL=1"
command -v go >/dev/null || [[ -x /usr/local/go/bin/go ]] || die "go is not installed (needed to build mapback)"
GO="$(command -v go || echo /usr/local/go/bin/go)"

# The app's modules are copies of ../browser/app/src; say so if they have drifted apart.
for f in scenarios.js models services util; do
  if [[ -e "$REPO/testdata/browser/app/src/$f" ]] && ! diff -rq "app/src/$f" "$REPO/testdata/browser/app/src/$f" >/dev/null; then
    echo "generate.sh: warning: app/src/$f differs from testdata/browser/app/src/$f" >&2
  fi
done

work="$(mktemp -d "${TMPDIR:-/tmp}/mapback-browser-posthog.XXXXXX")"
stage="$work/out"
mkdir -p "$stage"
server=""
browser_pid=""
finished=""
# dist/ is rebuilt in place (its map's sources are relative to it); the old one is kept in $work
# and put back unless everything succeeds, so a failed run leaves all output as it was.
cleanup() {
  if [[ -n "$browser_pid" ]]; then kill -KILL -- "-$browser_pid" 2>/dev/null || true; fi
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  if [[ -z "$finished" && -d "$work/dist.old" ]]; then
    rm -rf "$HERE/dist"
    mv "$work/dist.old" "$HERE/dist"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- build -----------------------------------------------------------------------------------------
# Each command is recorded in manifest.json by manifest.mjs; keep the two in step.
echo "== build mapback"
(cd "$REPO" && "$GO" build -o "$work/mapback" ./cmd/mapback) || die "go build ./cmd/mapback failed"

echo "== build dist/app.js (esbuild $("$BIN/esbuild" --version), posthog-js $(node -p 'require("./node_modules/posthog-js/package.json").version'))"
if [[ -d dist ]]; then mv dist "$work/dist.old"; fi
"$BIN/esbuild" app/src/posthog-main.js --bundle --minify --sourcemap --format=iife \
  --log-level=warning --outfile=dist/app.js
# The SDK's own sources would make the map 2 MB; null them (as builds that ship maps without
# library sources do) and keep the app's. Mappings and names are esbuild's, untouched.
node -e '
const fs = require("fs"), p = process.argv[1], m = JSON.parse(fs.readFileSync(p, "utf8"));
m.sourcesContent = m.sources.map((s, i) => s.includes("node_modules/") ? null : m.sourcesContent[i]);
fs.writeFileSync(p, JSON.stringify(m));' dist/app.js.map

echo "== mapback sourcemaps inject --backends posthog dist/"
"$work/mapback" sourcemaps inject --backends posthog dist/ 2>"$work/inject.log" ||
  die "mapback sourcemaps inject failed: $(tail -n1 "$work/inject.log")"
grep -q '_posthogChunkIds' dist/app.js || die "dist/app.js has no _posthogChunkIds snippet after injection"
grep -q '^//# chunkId=' dist/app.js || die "dist/app.js has no //# chunkId= comment after injection"
grep -q '"chunk_id"' dist/app.js.map || die "dist/app.js.map has no chunk_id after injection"

# --- serve and run the browser ---------------------------------------------------------------------
node serve.mjs --root "$HERE" --out "$stage" --host "$HOST" --port "$PORT" \
  >"$work/serve.out" 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do
  grep -q '^listening' "$work/serve.out" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || die "serve.mjs did not start: $(tail -n1 "$work/serve.log")"
  sleep 0.1
done
grep -q '^listening' "$work/serve.out" || die "serve.mjs did not start within 10 s"

# visit SCENARIO: opens ORIGIN/app/index.html?s=SCENARIO in a headless Chromium of its own (own
# process group, fresh profile), waits until serve.mjs has written the scenario's first
# $exception event, then GRACE more, then kills the browser. Fails if the browser exits or
# times out first, or the server stops.
visit() {
  local scenario="$1"
  local url="$ORIGIN/app/index.html?s=$scenario"
  local expect="$stage/exceptions/$scenario/1.json"
  local profile log
  profile="$(mktemp -d "$work/profile.XXXXXX")"
  log="$work/chromium-$scenario.log"
  setsid chromium --headless=new --disable-gpu --no-sandbox --no-first-run \
    --no-default-browser-check --disable-background-networking --disable-component-update \
    --disable-sync --disable-dev-shm-usage --user-data-dir="$profile" "$url" \
    >"$log" 2>&1 </dev/null &
  browser_pid=$!
  local waited=0 status=""
  while [[ ! -s "$expect" ]]; do
    if ! kill -0 "$server" 2>/dev/null; then status="the server stopped: $(tail -n1 "$work/serve.log")"; break; fi
    if ! kill -0 "$browser_pid" 2>/dev/null; then status="it exited after $((waited * 100)) ms"; break; fi
    if ((waited >= TIMEOUT * 10)); then
      status="no \$exception event within ${TIMEOUT} s; the server's last line: $(tail -n1 "$work/serve.log")"
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  if [[ -s "$expect" ]]; then sleep "$((GRACE / 10)).$((GRACE % 10))"; fi
  kill -KILL -- "-$browser_pid" 2>/dev/null || true
  wait "$browser_pid" 2>/dev/null || true
  browser_pid=""
  rm -rf "$profile"
  if [[ ! -s "$expect" ]]; then
    die "chromium did not send an \$exception for scenario '$scenario' ($status; its last line: $(tail -n1 "$log" 2>/dev/null))"
  fi
  printf '   %-8s %4d ms\n' "$scenario" $((waited * 100))
}

echo "== run (serving $ORIGIN)"
for s in $SCENARIOS; do visit "$s"; done

# --- check, write the manifest, and replace the old output --------------------------------------
echo "== check and manifest"
node manifest.mjs "$stage" "$HERE" "$ORIGIN" "$SCENARIOS"

rm -rf events
mkdir -p events
for s in $SCENARIOS; do cp "$stage/exceptions/$s/1.json" "events/$s.json"; done
cp "$stage/manifest.json" manifest.json
finished=1
echo "== done: $(find events -type f | wc -l) events in $HERE/events"
