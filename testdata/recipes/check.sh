#!/usr/bin/env bash
# Runs the recipes of docs/recipes.md marked "tested", exactly as written there: for each, a scratch
# project with the small app of testdata/gen/app, the recipe's files (each code block preceded by a
# `<!-- recipe NAME FILE -->` marker), the bundlers pinned in testdata/gen (installed with npm ci if
# missing), mapback on the PATH and the connection in the environment; then `npm run build`, whose
# postbuild injects, uploads to a `mapback dev-server` and deletes the maps. Checks: no .map left in
# dist, every bundle has a debug ID, and the server holds each bundle's map under that ID.
# Run by `make recipes-check` and CI.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
work="$(mktemp -d)"
server=""
cleanup() {
  [[ -z "$server" ]] || kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "recipes-check: $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }

if [[ ! -x testdata/gen/node_modules/.bin/esbuild ]]; then
  log "installing the pinned bundlers (npm ci in testdata/gen)"
  (cd testdata/gen && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
mkdir -p "$work/bin"
CGO_ENABLED=0 go build -trimpath -o "$work/bin/mapback" ./cmd/mapback

token="recipes-check-token-$(date +%s)"
"$work/bin/mapback" dev-server --addr 127.0.0.1:0 --dir "$work/store" --token "$token" >"$work/server.url" 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do [[ -s "$work/server.url" ]] && break; sleep 0.05; done
url="$(head -1 "$work/server.url")"
[[ "$url" == http://127.0.0.1:* ]] || fail "dev-server did not start: $(cat "$work/server.log")"

# extract NAME DIR: write the recipe's files into DIR; package.json gets the recipe's scripts.
extract() {
  python3 - "$root/docs/recipes.md" "$1" "$2" <<'PY'
import json, os, re, sys
doc, name, out = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(doc, encoding="utf-8").read()
blocks = re.findall(r"<!-- recipe (\S+) (\S+) -->\n```\w*\n(.*?)```", text, re.S)
files = [(f, body) for n, f, body in blocks if n == name]
if not files:
    sys.exit(f"no recipe {name} in {doc}")
for f, body in files:
    if f == "package.json":
        pkg = {"name": "recipe-" + name, "version": "1.0.0", "private": True, "type": "module"}
        pkg.update(json.loads(body))
        body = json.dumps(pkg, indent=2) + "\n"
    with open(os.path.join(out, f), "w", encoding="utf-8") as fh:
        fh.write(body)
PY
}

recipes="$(sed -n 's/^## \(.*\) (tested)$/\1/p' docs/recipes.md | tr '[:upper:]' '[:lower:]')"
[[ -n "$recipes" ]] || fail "docs/recipes.md has no tested recipe"
for name in $recipes; do
  project="$work/$name"
  mkdir -p "$project"
  cp -R testdata/gen/app/src "$project/src"
  ln -s "$root/testdata/gen/node_modules" "$project/node_modules"
  extract "$name" "$project"
  log "$name: npm run build"
  (
    cd "$project"
    PATH="$work/bin:$PATH" SENTRY_URL="$url" SENTRY_ORG=acme SENTRY_PROJECT="$name" SENTRY_AUTH_TOKEN="$token" \
      npm run build --silent
  ) >"$work/$name.log" 2>&1 || fail "$name: npm run build failed: $(tail -20 "$work/$name.log")"
  if grep -q "$token" "$work/$name.log"; then fail "$name: the token appears in the build output"; fi
  [[ -d "$project/dist" ]] || fail "$name: no dist directory"
  if find "$project/dist" -name '*.map' | grep -q .; then fail "$name: maps left in dist: $(find "$project/dist" -name '*.map')"; fi
  bundles=0
  while IFS= read -r js; do
    id="$(sed -n 's|^//# debugId=||p' "$js" | tail -1)"
    [[ -n "$id" ]] || fail "$name: $js has no debug ID"
    found="$(curl -fsS -H "Authorization: Bearer $token" "$url/api/0/projects/acme/$name/artifact-lookup/?debug_id=$id")"
    download="$(python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[0]["url"] if r else "")' <<<"$found")"
    [[ -n "$download" ]] || fail "$name: the server has nothing for $js ($id)"
    curl -fsS -H "Authorization: Bearer $token" -o "$work/bundle" "$download"
    python3 - "$work/bundle" "$id" <<'PY' || fail "$name: the uploaded bundle has no map with debug ID $id"
import json, sys, zipfile
m = json.loads(zipfile.ZipFile(sys.argv[1]).read("manifest.json"))
assert any(f["type"] == "source_map" and f["headers"].get("debug-id") == sys.argv[2] for f in m["files"].values()), m
PY
    bundles=$((bundles + 1))
  done < <(find "$project/dist" -type f \( -name '*.js' -o -name '*.mjs' -o -name '*.cjs' \))
  [[ $bundles -gt 0 ]] || fail "$name: no bundle in dist"
  log "$name: $bundles bundle(s) injected, uploaded with their maps, maps deleted"
done
log "ok"
