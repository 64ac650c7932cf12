#!/usr/bin/env bash
# The npm distribution, end to end (issue 16): builds mapback for this machine, generates the npm
# packages with internal/npmdist, packs them with `npm pack`, installs the tarballs into a scratch
# project with the network off (--offline: nothing but the tarballs), and runs `npx mapback version`,
# a real `npx mapback sourcemaps inject` on a fixture build, and the launcher without its platform
# package (a clear error naming it). Run by `make npm-check` and CI.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
log() { echo "npm-check: $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

version="0.0.0-check.$(date +%s)"
goos="$(go env GOOS)" goarch="$(go env GOARCH)"
log "building mapback $version for $goos/$goarch"
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/mapback/mapback/internal/buildinfo.version=$version" \
  -o "$work/mapback" ./cmd/mapback
go run ./internal/npmdist -version "$version" -out "$work/pkgs" -bin "$goos/$goarch=$work/mapback"

# No install scripts, in any package: the whole point of this layout.
for pj in "$work"/pkgs/*/package.json; do
  if node -e 'const p=require(process.argv[1]); process.exit(p.scripts ? 1 : 0)' "$pj"; then :; else
    fail "$pj has scripts"
  fi
done

mkdir -p "$work/tarballs"
for dir in "$work"/pkgs/*/; do
  (cd "$dir" && npm pack --silent --pack-destination "$work/tarballs" >/dev/null)
done
# npm's names for this platform (process.platform, process.arch).
npm_os="$(node -p process.platform)" npm_cpu="$(node -p process.arch)"
main_tgz="$work/tarballs/mapback-cli-$version.tgz"
platform_tgz="$work/tarballs/mapback-cli-$npm_os-$npm_cpu-$version.tgz"
[[ -f "$main_tgz" && -f "$platform_tgz" ]] || fail "npm pack made $(ls "$work/tarballs")"

# The binary keeps its executable bit through npm pack.
listing="$(tar -tvzf "$platform_tgz")"
[[ "$listing" =~ -rwx[^$'\n']*\ package/bin/mapback ]] || fail "the packed binary is not executable: $listing"

project="$work/project"
mkdir -p "$project"
cd "$project"
npm init -y >/dev/null
log "installing the tarballs offline"
npm install --offline --no-audit --no-fund --loglevel=error "$main_tgz" "$platform_tgz" >/dev/null

out="$(npx --offline mapback version)"
[[ "$out" == *"$version"* ]] || fail "npx mapback version printed: $out"
log "npx mapback version: $out"

cp -R "$root/testdata/fixtures/esbuild-cjs" "$work/dist"
rm -rf "$work/dist/traces"
npx --offline mapback sourcemaps inject -q "$work/dist"
grep -q '^//# debugId=' "$work/dist/app.js" || fail "inject through npx left app.js without a debug ID"
grep -q '"debugId"' "$work/dist/app.js.map" || fail "inject through npx left app.js.map without a debug ID"
log "npx mapback sourcemaps inject: app.js and app.js.map have their debug ID"

# Exit codes pass through the launcher.
set +e
npx --offline mapback sourcemaps inject "$work/does-not-exist" 2>/dev/null
code=$?
set -e
[[ $code -ne 0 ]] || fail "a failing mapback exited 0 through npx"

# Without the platform package, the launcher says which one is missing.
rm -rf "$project/node_modules/@mapback/cli-"*
set +e
msg="$(npx --offline mapback version 2>&1)"
code=$?
set -e
[[ $code -eq 1 && "$msg" == *"@mapback/cli-"* && "$msg" == *"is not installed"* ]] ||
  fail "without the platform package: exit $code, $msg"
log "without the platform package: $msg"
log "ok"
