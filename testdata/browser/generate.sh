#!/usr/bin/env bash
# Regenerates the browser fixtures in testdata/browser/ (see README.md): builds the app in app/
# with esbuild twice (plain: dist/; with @sentry/browser, debug IDs injected by sentry-cli:
# dist-sentry/), serves both with serve.mjs on http://127.0.0.1:8765, opens every scenario in
# headless Chromium and headless Firefox ESR, and writes what they reported:
#   traces/<browser>/<scenario>.txt        error.stack, as a user would paste it
#   events/<scenario>.json                 the @sentry/browser event (Chromium)
#   events/firefox/<scenario>.json         the @sentry/browser event (Firefox ESR)
#   manifest.json                          browser and tool versions, builds, scenarios
# The new output replaces the old only when every browser reported every scenario.
#
# Usage: testdata/browser/generate.sh        (from any directory; idempotent)
# Env:   MAPBACK_FIXTURES_SKIP_INSTALL=1     skip apt-get and `npm ci`
#        MAPBACK_BROWSER_TIMEOUT=30          seconds to wait for one page's report
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
PORT=8765
cd "$HERE"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

SENTRY_CLI="$HERE/node_modules/@sentry/cli-linux-x64/bin/sentry-cli"
BROWSERS="chromium firefox"
export SENTRY_DISABLE_UPDATE_CHECK=1 MOZ_CRASHREPORTER_DISABLE=1

# --- install ---------------------------------------------------------------------------------------
install_tools chromium firefox-esr
[[ -x "$SENTRY_CLI" ]] || die "sentry-cli is not installed ($SENTRY_CLI): needs linux x64 and npm ci"

# --- build -----------------------------------------------------------------------------------------
# Each command is recorded in manifest.json by manifest.mjs (through lib.mjs); keep them in step.
rm -rf dist dist-sentry
echo "== build dist/app.js (esbuild $("$BIN/esbuild" --version))"
build_app app/src/main.js dist
echo "== build dist-sentry/app.js (with @sentry/browser), then sentry-cli sourcemaps inject"
build_app app/src/sentry-main.js dist-sentry
null_library_sources dist-sentry/app.js.map
"$SENTRY_CLI" sourcemaps inject dist-sentry >/dev/null

# --- serve and run the browsers ------------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/mapback-browser.XXXXXX")"
stage="$work/out"
mkdir -p "$stage"
server=""
browser_pid=""
cleanup() {
  stop_processes
  rm -rf "$work"
}
trap cleanup EXIT

start_server sentry

# visit BROWSER PAGE SCENARIO EXPECT: opens ORIGIN/app/PAGE?s=SCENARIO&b=BROWSER (open_page) and
# waits until serve.mjs has written EXPECT.
visit() {
  local browser="$1" page="$2" scenario="$3" expect="$4"
  open_page "$browser" "$ORIGIN/app/$page?s=$scenario&b=$browser" "$expect" 0 \
    "$browser did not report scenario '$scenario' of $page"
  printf '   %-8s %-11s %-8s %4d ms\n' "$browser" "$page" "$scenario" $((waited * 100))
}

echo "== run (serving $ORIGIN)"
for browser in $BROWSERS; do
  for s in $SCENARIOS; do
    visit "$browser" index.html "$s" "$stage/traces/$browser/$s.txt"
    visit "$browser" sentry.html "$s" "$stage/events/$browser/$s.json"
  done
done

# --- check, write the manifest, and replace the old output --------------------------------------
echo "== check and manifest"
node manifest.mjs "$stage" "$HERE" "$ORIGIN" "$SCENARIOS" "$BROWSERS"

rm -rf traces events
mkdir -p traces events/firefox
for browser in $BROWSERS; do cp -R "$stage/traces/$browser" traces/; done
cp "$stage"/events/chromium/*.json events/
cp "$stage"/events/firefox/*.json events/firefox/
cp "$stage/manifest.json" manifest.json
echo "== done: $(find traces events -type f | wc -l) files in $HERE/{traces,events}"
