#!/usr/bin/env bash
# Bytes on the wire: uploads the same injected tree with mapback and with the reference client, each
# to a dev-server with an empty store (mapback with --no-cache: a fresh CI runner, which has measured
# no link yet and so sends the fewest bytes, see internal/upload/link.go), and reads what arrived from the server's link counter
# (GET /_mapback/link: request bodies as sent, compressed where the client compressed). Called by
# run.sh after the timed cases; writes one tab-separated row per tree to $RESULTS/wire.tsv:
#   tree  files  input bytes  mapback bytes  reference bytes
# Needs MAPBACK, SENTRY_CLI, SCRATCH (and the trees upload-prep.sh makes) from run.sh.
set -euo pipefail

: "${MAPBACK:?}" "${SENTRY_CLI:?}" "${SCRATCH:?}" "${RESULTS:?}"
bench="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
addr="${DEVSERVER_ADDR:-127.0.0.1:18765}"

received() { curl -fsS "http://$addr/_mapback/link" | sed -n 's/.*"request_body_bytes":\([0-9]*\).*/\1/p'; }

# measure NAME DIR: one row for the tree at DIR.
measure() {
  local name="$1" dir="$2" files input m r
  files="$(find "$dir" -type f \( -name '*.js' -o -name '*.mjs' -o -name '*.cjs' -o -name '*.map' \) | wc -l)"
  input="$(find "$dir" -type f \( -name '*.js' -o -name '*.mjs' -o -name '*.cjs' -o -name '*.map' \) -printf '%s\n' | awk '{ s += $1 } END { print s }')"
  THROTTLE='' "$bench/upload-prep.sh" fresh >/dev/null
  "$MAPBACK" --url "http://$addr" --auth-token bench -o bench -p bench sourcemaps upload -q --no-cache "$dir"
  m="$(received)"
  THROTTLE='' "$bench/upload-prep.sh" fresh >/dev/null
  "$SENTRY_CLI" --url "http://$addr" --auth-token bench sourcemaps upload -o bench -p bench --no-rewrite "$dir" >/dev/null 2>&1
  r="$(received)"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$files" "$input" "$m" "$r" >>"$RESULTS/wire.tsv"
  echo "wire-bytes: $name: mapback $m bytes, reference $r bytes (input $input bytes in $files files)" >&2
}

: >"$RESULTS/wire.tsv"
THROTTLE='' "$bench/upload-prep.sh" fresh >/dev/null # makes the trees
measure "corpus bundles + maps" "$SCRATCH/upload"
if [[ -d "$SCRATCH/scale-upload" ]]; then
  measure "scale build" "$SCRATCH/scale-upload"
fi
