#!/usr/bin/env bash
# shellcheck disable=SC2088 # "~/static" is an artifact URL prefix, not a home directory
# The GitHub Action's shell steps (.github/actions/sourcemaps), run here as the runner would run them:
# a release archive and checksums.txt laid out like goreleaser's, served over HTTP on loopback;
# install.sh must install it (and refuse a tampered archive); run.sh, with the inputs as the action
# passes them and the token only in the environment, must inject a fixture build and upload it to a
# `mapback dev-server` that requires that token, and the server must then find the bundle by its
# debug ID. The token must appear in no output. Run by `make action-check` and CI.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
action="$root/.github/actions/sourcemaps"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "action-check: $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
if ! command -v python3 >/dev/null || ! command -v curl >/dev/null; then
  fail "needs python3 and curl"
fi

version="0.0.$(date +%s)"
case "$(uname -m)" in x86_64 | amd64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) fail "arch $(uname -m)" ;; esac
os="$(uname -s | tr '[:upper:]' '[:lower:]')"
archive="mapback_${version}_${os}_${arch}.tar.gz"

log "building release $version and its archive"
mkdir -p "$work/release" "$work/stage"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/mapback/mapback/internal/buildinfo.version=$version" \
  -o "$work/stage/mapback" ./cmd/mapback
cp README.md LICENSE "$work/stage/"
tar -czf "$work/release/$archive" -C "$work/stage" mapback README.md LICENSE
(cd "$work/release" && sha256sum "$archive" >checksums.txt)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port="$(free_port)"
python3 -m http.server --bind 127.0.0.1 --directory "$work/release" "$port" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/checksums.txt" 2>/dev/null && break; sleep 0.05; done

# 1. install.sh installs the archive and puts it on the PATH file.
export RUNNER_TEMP="$work/runner-temp" GITHUB_PATH="$work/github-path"
mkdir -p "$RUNNER_TEMP"
: >"$GITHUB_PATH"
MAPBACK_VERSION="v$version" MAPBACK_DOWNLOAD_BASE="http://127.0.0.1:$port" "$action/install.sh" >"$work/install.out"
bindir="$(cat "$GITHUB_PATH")"
[[ -x "$bindir/mapback" ]] || fail "install.sh did not install mapback (GITHUB_PATH: $bindir)"
grep -q "$version" "$work/install.out" || fail "install.sh printed: $(cat "$work/install.out")"
log "install.sh: $(cat "$work/install.out")"

# 2. A tampered archive is refused.
cp -R "$work/release" "$work/tampered"
echo garbage >>"$work/tampered/$archive"
port2="$(free_port)"
python3 -m http.server --bind 127.0.0.1 --directory "$work/tampered" "$port2" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port2/checksums.txt" 2>/dev/null && break; sleep 0.05; done
set +e
msg="$(RUNNER_TEMP="$work/t2" GITHUB_PATH="$work/t2-path" MAPBACK_VERSION="$version" MAPBACK_DOWNLOAD_BASE="http://127.0.0.1:$port2" "$action/install.sh" 2>&1)"
code=$?
set -e
[[ $code -ne 0 && "$msg" == *"checksums.txt lists"* ]] || fail "a tampered archive: exit $code, $msg"
log "tampered archive refused: $msg"

# 3. run.sh injects and uploads to a dev-server that wants the token.
token="sntrys_actioncheck_$(date +%s)_secret"
"$bindir/mapback" dev-server --addr 127.0.0.1:0 --dir "$work/store" --token "$token" >"$work/server.url" 2>"$work/server.log" &
pids+=($!)
for _ in $(seq 100); do [[ -s "$work/server.url" ]] && break; sleep 0.05; done
url="$(head -1 "$work/server.url")"
[[ "$url" == http://127.0.0.1:* ]] || fail "dev-server did not start: $(cat "$work/server.log")"

mkdir -p "$work/app"
cp -R testdata/fixtures/esbuild-cjs "$work/app/dist"
rm -rf "$work/app/dist/traces"
(
  cd "$work/app"
  PATH="$bindir:$PATH" \
    INPUT_PATHS="dist" INPUT_INJECT=true INPUT_UPLOAD=true INPUT_URL_PREFIX='~/static' \
    MAPBACK_URL="$url" MAPBACK_ORG=acme MAPBACK_PROJECT=web MAPBACK_RELEASE="" MAPBACK_DIST="" \
    MAPBACK_BACKENDS="" MAPBACK_POSTHOG_HOST="" MAPBACK_POSTHOG_PROJECT_ID="" \
    SENTRY_AUTH_TOKEN="$token" "$action/run.sh"
) >"$work/run.out" 2>&1 || fail "run.sh failed: $(cat "$work/run.out")"
if grep -q "$token" "$work/run.out" "$work/install.out"; then fail "the token appears in the output"; fi

id="$(sed -n 's|^//# debugId=||p' "$work/app/dist/app.js")"
[[ -n "$id" ]] || fail "run.sh did not inject app.js"
found="$(curl -fsS -H "Authorization: Bearer $token" "$url/api/0/projects/acme/web/artifact-lookup/?debug_id=$id")"
[[ "$found" == *'"resolved_with":"debug-id"'* ]] || fail "the server does not find $id: $found"
# The bundle it serves holds app.js under the url-prefix input.
download="$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["url"])' <<<"$found")"
curl -fsS -H "Authorization: Bearer $token" -o "$work/bundle" "$download"
python3 - "$work/bundle" "$id" <<'PY' || fail "the uploaded bundle lacks ~/static/app.js with debug ID $id"
import json, sys, zipfile
m = json.loads(zipfile.ZipFile(sys.argv[1]).read("manifest.json"))
assert any(f["url"] == "~/static/app.js" and f["headers"].get("debug-id") == sys.argv[2] for f in m["files"].values()), m
PY
log "run.sh: injected and uploaded; the server finds debug ID $id, in a bundle holding ~/static/app.js"
log "ok"
