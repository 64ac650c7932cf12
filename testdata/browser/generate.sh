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
BIN="$HERE/node_modules/.bin"
SENTRY_CLI="$HERE/node_modules/@sentry/cli-linux-x64/bin/sentry-cli"
HOST=127.0.0.1
PORT=8765
ORIGIN="http://$HOST:$PORT"
SCENARIOS="method getter async map timeout"
BROWSERS="chromium firefox"
TIMEOUT="${MAPBACK_BROWSER_TIMEOUT:-30}"

# Keep the environment of every tool fixed: no inherited Node flags or colours.
unset NODE_OPTIONS FORCE_COLOR NO_COLOR NODE_ENV
export TZ=UTC LC_ALL=C SENTRY_DISABLE_UPDATE_CHECK=1 MOZ_CRASHREPORTER_DISABLE=1

die() {
  echo "generate.sh: $*" >&2
  exit 1
}

cd "$HERE"

# --- install ---------------------------------------------------------------------------------------
if [[ "${MAPBACK_FIXTURES_SKIP_INSTALL:-}" != 1 ]]; then
  missing=()
  command -v chromium >/dev/null || missing+=(chromium)
  command -v firefox-esr >/dev/null || missing+=(firefox-esr)
  if ((${#missing[@]})); then
    sudo=()
    [[ "$(id -u)" == 0 ]] || sudo=(sudo)
    echo "== apt-get install ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
  echo "== npm ci (testdata/browser/node_modules)"
  npm ci --no-audit --no-fund --loglevel=error
fi
command -v chromium >/dev/null || die "chromium is not installed (apt-get install chromium)"
command -v firefox-esr >/dev/null || die "firefox-esr is not installed (apt-get install firefox-esr)"
[[ -x "$BIN/esbuild" ]] || die "esbuild is not installed: run without MAPBACK_FIXTURES_SKIP_INSTALL=1"
[[ -x "$SENTRY_CLI" ]] || die "sentry-cli is not installed ($SENTRY_CLI): needs linux x64 and npm ci"

# --- build -----------------------------------------------------------------------------------------
# Each command is recorded in manifest.json by manifest.mjs; keep the two in step.
rm -rf dist dist-sentry
echo "== build dist/app.js (esbuild $("$BIN/esbuild" --version))"
"$BIN/esbuild" app/src/main.js --bundle --minify --sourcemap --format=iife \
  --log-level=warning --outfile=dist/app.js
echo "== build dist-sentry/app.js (with @sentry/browser), then sentry-cli sourcemaps inject"
"$BIN/esbuild" app/src/sentry-main.js --bundle --minify --sourcemap --format=iife \
  --log-level=warning --outfile=dist-sentry/app.js
# The SDK's own sources would make the map 1.6 MB; null them (as builds that ship maps without
# library sources do) and keep the app's. Mappings and names are esbuild's, untouched.
node -e '
const fs = require("fs"), p = process.argv[1], m = JSON.parse(fs.readFileSync(p, "utf8"));
m.sourcesContent = m.sources.map((s, i) => s.includes("node_modules/") ? null : m.sourcesContent[i]);
fs.writeFileSync(p, JSON.stringify(m));' dist-sentry/app.js.map
"$SENTRY_CLI" sourcemaps inject dist-sentry >/dev/null

# --- serve and run the browsers ------------------------------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/mapback-browser.XXXXXX")"
stage="$work/out"
mkdir -p "$stage"
server=""
browser_pid=""
cleanup() {
  if [[ -n "$browser_pid" ]]; then kill -KILL -- "-$browser_pid" 2>/dev/null || true; fi
  if [[ -n "$server" ]]; then kill "$server" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

node serve.mjs --root "$HERE" --out "$stage" --host "$HOST" --port "$PORT" \
  >"$work/serve.out" 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do
  grep -q '^listening' "$work/serve.out" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || die "serve.mjs did not start: $(tail -n1 "$work/serve.log")"
  sleep 0.1
done
grep -q '^listening' "$work/serve.out" || die "serve.mjs did not start within 10 s"

# A fresh profile per page: no cache, no state from an earlier page.
firefox_profile() {
  cat >"$1/user.js" <<'EOF'
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.startup.homepage_override.mstone", "ignore");
user_pref("browser.aboutwelcome.enabled", false);
user_pref("startup.homepage_welcome_url", "about:blank");
user_pref("startup.homepage_welcome_url.additional", "");
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("app.update.enabled", false);
user_pref("app.normandy.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("browser.safebrowsing.downloads.enabled", false);
EOF
}

# visit BROWSER PAGE SCENARIO EXPECT: opens ORIGIN/app/PAGE?s=SCENARIO&b=BROWSER in a headless
# browser of its own (own process group, fresh profile), waits until serve.mjs has written
# EXPECT, then kills the browser. Fails if the browser exits or times out first.
visit() {
  local browser="$1" page="$2" scenario="$3" expect="$4"
  local url="$ORIGIN/app/$page?s=$scenario&b=$browser"
  local profile log cmd
  profile="$(mktemp -d "$work/profile.XXXXXX")"
  log="$work/$browser-${page%.html}-$scenario.log"
  case "$browser" in
  chromium)
    cmd=(chromium --headless=new --disable-gpu --no-sandbox --no-first-run
      --no-default-browser-check --disable-background-networking --disable-component-update
      --disable-sync --disable-dev-shm-usage --user-data-dir="$profile" "$url")
    ;;
  firefox)
    firefox_profile "$profile"
    cmd=(firefox-esr --headless --no-remote --profile "$profile" "$url")
    ;;
  esac
  setsid "${cmd[@]}" >"$log" 2>&1 </dev/null &
  browser_pid=$!
  local waited=0 status=""
  while [[ ! -s "$expect" ]]; do
    if ! kill -0 "$browser_pid" 2>/dev/null; then status="it exited after $((waited * 100)) ms"; break; fi
    if ((waited >= TIMEOUT * 10)); then status="no report within ${TIMEOUT} s"; break; fi
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -KILL -- "-$browser_pid" 2>/dev/null || true
  wait "$browser_pid" 2>/dev/null || true
  browser_pid=""
  rm -rf "$profile"
  if [[ ! -s "$expect" ]]; then
    die "$browser did not report scenario '$scenario' of $page ($status; its last line: $(tail -n1 "$log" 2>/dev/null))"
  fi
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
