# shellcheck shell=bash disable=SC2034,SC2154 # sets variables for the caller; uses its work, stage
# What generate.sh here and ../browser-posthog/generate.sh share; sourced by both once they have
# set HERE (their directory) and PORT and cd'd into HERE: the fixed environment, the install step,
# the esbuild command, the local server (serve.mjs here) and the headless browsers. The commands
# are recorded by manifest.mjs through lib.mjs; keep the two in step.

BROWSER_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
BIN="$HERE/node_modules/.bin"
HOST=127.0.0.1
ORIGIN="http://$HOST:$PORT"
SCENARIOS="method getter async map timeout"
TIMEOUT="${MAPBACK_BROWSER_TIMEOUT:-30}"

# Keep the environment of every tool fixed: no inherited Node flags or colours.
unset NODE_OPTIONS FORCE_COLOR NO_COLOR NODE_ENV
export TZ=UTC LC_ALL=C

die() {
  echo "generate.sh: $*" >&2
  exit 1
}

# install_tools DEB...: unless MAPBACK_FIXTURES_SKIP_INSTALL=1, installs with apt-get (root, or
# sudo) each Debian package whose command of the same name is missing, then runs npm ci into
# HERE/node_modules. Then dies unless the commands and esbuild are there.
install_tools() {
  local p
  if [[ "${MAPBACK_FIXTURES_SKIP_INSTALL:-}" != 1 ]]; then
    local missing=() sudo=()
    for p in "$@"; do command -v "$p" >/dev/null || missing+=("$p"); done
    if ((${#missing[@]})); then
      [[ "$(id -u)" == 0 ]] || sudo=(sudo)
      echo "== apt-get install ${missing[*]}"
      "${sudo[@]}" apt-get update -qq
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
    fi
    echo "== npm ci (testdata/${HERE##*/}/node_modules)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
  for p in "$@"; do
    command -v "$p" >/dev/null || die "$p is not installed (apt-get install $p)"
  done
  [[ -x "$BIN/esbuild" ]] || die "esbuild is not installed: run without MAPBACK_FIXTURES_SKIP_INSTALL=1"
}

# build_app ENTRY OUTDIR: bundles ENTRY into OUTDIR/app.js and OUTDIR/app.js.map (lib.mjs
# esbuildCommand).
build_app() {
  "$BIN/esbuild" "$1" --bundle --minify --sourcemap --format=iife \
    --log-level=warning --outfile="$2/app.js"
}

# null_library_sources MAP: an SDK's own sources would make the map 1.6–2 MB; null them (as builds
# that ship maps without library sources do) and keep the app's. Mappings and names are esbuild's,
# untouched.
null_library_sources() {
  node -e '
const fs = require("fs"), p = process.argv[1], m = JSON.parse(fs.readFileSync(p, "utf8"));
m.sourcesContent = m.sources.map((s, i) => s.includes("node_modules/") ? null : m.sourcesContent[i]);
fs.writeFileSync(p, JSON.stringify(m));' "$1"
}

# start_server SDK: starts serve.mjs --sdk SDK on ORIGIN, serving HERE and writing what it
# captures to $stage, its console in $work/serve.{out,log}; sets server and returns once it
# listens (10 s at most).
start_server() {
  node "$BROWSER_LIB/serve.mjs" --sdk "$1" --root "$HERE" --out "$stage" --host "$HOST" --port "$PORT" \
    >"$work/serve.out" 2>"$work/serve.log" &
  server=$!
  for _ in $(seq 100); do
    grep -q '^listening' "$work/serve.out" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || die "serve.mjs did not start: $(tail -n1 "$work/serve.log")"
    sleep 0.1
  done
  grep -q '^listening' "$work/serve.out" || die "serve.mjs did not start within 10 s"
}

# stop_processes: kills the browser's process group and the server, if they run (for EXIT traps).
stop_processes() {
  if [[ -n "${browser_pid:-}" ]]; then kill -KILL -- "-$browser_pid" 2>/dev/null || true; fi
  if [[ -n "${server:-}" ]]; then kill "$server" 2>/dev/null || true; fi
  wait 2>/dev/null || true
}

# firefox_profile DIR: the prefs of a fresh Firefox profile (no first-run pages, no updates,
# telemetry or other background requests).
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

# open_page BROWSER URL EXPECT GRACE WHAT: opens URL in a headless BROWSER (chromium or firefox)
# of its own (own process group, fresh profile), waits until the server has written the file
# EXPECT, then GRACE tenths of a second more, then kills the browser's process group. Dies with
# "WHAT (why; its last line: …)" if the browser exits, the server stops or
# MAPBACK_BROWSER_TIMEOUT seconds pass first. Sets waited (tenths of a second until EXPECT).
open_page() {
  local browser="$1" url="$2" expect="$3" grace="$4" what="$5"
  local profile log status="" cmd
  profile="$(mktemp -d "$work/profile.XXXXXX")"
  log="$profile.log"
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
  *) die "open_page: unknown browser $browser" ;;
  esac
  setsid "${cmd[@]}" >"$log" 2>&1 </dev/null &
  browser_pid=$!
  waited=0
  while [[ ! -s "$expect" ]]; do
    if ! kill -0 "$server" 2>/dev/null; then status="the server stopped: $(tail -n1 "$work/serve.log")"; break; fi
    if ! kill -0 "$browser_pid" 2>/dev/null; then status="it exited after $((waited * 100)) ms"; break; fi
    if ((waited >= TIMEOUT * 10)); then
      status="nothing within ${TIMEOUT} s; the server's last line: $(tail -n1 "$work/serve.log")"
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  if [[ -s "$expect" ]] && ((grace > 0)); then sleep "$((grace / 10)).$((grace % 10))"; fi
  kill -KILL -- "-$browser_pid" 2>/dev/null || true
  wait "$browser_pid" 2>/dev/null || true
  browser_pid=""
  rm -rf "$profile"
  [[ -s "$expect" ]] || die "$what ($status; its last line: $(tail -n1 "$log" 2>/dev/null))"
}
