#!/usr/bin/env bash
# Prepare the upload benchmarks (cases.sh, upload-*): an injected copy of the corpus files and a
# running `mapback dev-server` for both clients to upload to.
#
# Usage: testdata/bench/upload-prep.sh fresh   # (re)start the server with an EMPTY store: a first upload
#                                               # (also prepares $SCRATCH/upload-posthog, injected for PostHog)
#        testdata/bench/upload-prep.sh keep    # start the server only if it is not running: re-uploads
#        testdata/bench/upload-prep.sh stop    # stop the server
#
# With THROTTLE set (e.g. THROTTLE=50mbit), the server receives request bodies at that bandwidth
# (dev-server --throttle), as over a CI runner's uplink; `keep` restarts a server whose throttle differs.
#
# The tree ($SCRATCH/upload) holds every bundle and map corpus.txt lists, at the same relative paths
# (monaco's map stays in its own min-maps tree), injected once with mapback so both clients upload
# the same debug IDs. The server listens on $DEVSERVER_ADDR (default 127.0.0.1:18765) with Sentry's
# default capability (8 MiB chunks, 64 per request, 32 MiB per request, 8 in flight, gzip) and keeps
# its store under $SCRATCH/devserver. Needs MAPBACK, CORPUS and SCRATCH from run.sh.
set -euo pipefail

: "${MAPBACK:?}" "${CORPUS:?}" "${SCRATCH:?}"
addr="${DEVSERVER_ADDR:-127.0.0.1:18765}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tree="$SCRATCH/upload"
store="$SCRATCH/devserver"
pidfile="$SCRATCH/devserver.pid"
throttlefile="$SCRATCH/devserver.throttle"
throttle="${THROTTLE:-}"

# copy_tree DIR [INJECT FLAGS...]: the corpus files corpus.txt lists, copied to DIR and injected
# once (a .complete marker says so).
copy_tree() {
  local dir="$1"
  shift
  [[ -f "$dir/.complete" ]] && return 0
  rm -rf "$dir"
  mkdir -p "$dir"
  while read -r spec paths; do
    [[ -z "$spec" || "$spec" == \#* ]] && continue
    for p in $paths; do
      mkdir -p "$(dirname "$dir/$spec/$p")"
      cp "$CORPUS/$spec/$p" "$dir/$spec/$p"
    done
  done <"$root/testdata/bench/corpus.txt"
  "$MAPBACK" sourcemaps inject -q "$@" "$dir"
  touch "$dir/.complete"
}

make_tree() { copy_tree "$tree"; }

# The same files injected for PostHog (chunk IDs), for upload-posthog.
make_tree_posthog() { copy_tree "$SCRATCH/upload-posthog" --backends posthog; }

# The scale build (make-scale.sh) injected once, for the scale-upload cases.
make_tree_scale() {
  local dir="$SCRATCH/scale-upload"
  [[ -f "$dir/.complete" ]] && return 0
  rm -rf "$dir"
  cp -R "$SCALE/dist" "$dir"
  "$MAPBACK" sourcemaps inject -q "$dir"
  touch "$dir/.complete"
}

stop_server() {
  if [[ -f "$pidfile" ]]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    # Wait until the port is free, so the next start cannot fail on it.
    for _ in $(seq 100); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.05; done
    rm -f "$pidfile"
  fi
}

start_server() {
  mkdir -p "$store"
  nohup "$MAPBACK" dev-server --addr "$addr" --dir "$store" ${throttle:+--throttle "$throttle"} >"$SCRATCH/devserver.log" 2>&1 &
  echo $! >"$pidfile"
  printf '%s' "$throttle" >"$throttlefile"
  for _ in $(seq 200); do
    if curl -fsS -o /dev/null "http://$addr/api/0/organizations/bench/chunk-upload/"; then
      # The answer must come from the server just started: one left over from an earlier run (its
      # pidfile gone with the scratch directory) would answer while ours failed to bind, and store
      # nothing, since its directory was deleted.
      kill -0 "$(cat "$pidfile")" 2>/dev/null && return 0
      echo "upload-prep: $addr is held by another process (a dev-server left from an earlier run?); see $SCRATCH/devserver.log" >&2
      exit 1
    fi
    sleep 0.05
  done
  echo "upload-prep: dev-server did not start; see $SCRATCH/devserver.log" >&2
  exit 1
}

case "${1:-}" in
  fresh)
    make_tree
    make_tree_posthog
    [[ -n "${SCALE:-}" ]] && make_tree_scale
    stop_server
    rm -rf "$store"
    start_server
    ;;
  keep)
    make_tree
    [[ -n "${SCALE:-}" ]] && make_tree_scale
    if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      [[ "$(cat "$throttlefile" 2>/dev/null)" == "$throttle" ]] && exit 0
      stop_server
    fi
    start_server
    ;;
  stop) stop_server ;;
  *) echo "usage: $0 fresh|keep|stop" >&2; exit 2 ;;
esac
# Let the page cache settle so the timed run does not share the disk with the copy's writeback.
sync
