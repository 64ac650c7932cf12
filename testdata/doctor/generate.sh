#!/usr/bin/env bash
# Regenerates the `mapback doctor` fixtures under testdata/doctor/ (see README.md there).
#
# Each directory is one defect. The files are tiny and written here by hand so every byte can be
# checked: one minified bundle (dist/app.js, two code lines) and its map, whose mappings were
# computed once and are hardcoded (segments listed in README.md). Fixtures that need injected
# bundles run this checkout's `mapback sourcemaps inject`, then break one thing with sed.
# "healthy" is an injected copy of the real vite build in testdata/fixtures/vite.
#
# Run from the repository root: testdata/doctor/generate.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
out=testdata/doctor
bin=$(mktemp -d)/mapback
go build -o "$bin" ./cmd/mapback
inject() { "$bin" sourcemaps inject --quiet "$@" >/dev/null 2>&1 || "$bin" sourcemaps inject "$@"; }

# Only this script's directories are replaced: other checks keep their fixtures here too.
for d in healthy inline-map index-map plugin-injected no-sources-content-on-disk no-map-vite \
	no-map-webpack no-map-esbuild no-map-rollup no-map-next no-map-unknown remote-map no-bundles \
	moved-map bad-json wrong-version bad-vlq source-index name-index no-sources-content map-shorter \
	missing-map-file bad-inline-map not-injected map-without-id shared-id rebuilt-map-id \
	rebuilt-snippet plugin-map-without-id stale-map-id map-not-a-map; do
	rm -rf "${out:?}/$d"
done

BUNDLE='function g(n){return"hello "+n}
console.log(g("world"));'
SRC='function greet(name) {
  return "hello " + name;
}
console.log(greet("world"));
'
MAPPINGS='AAAA,SAASA,EAAMC,GACb,eAAkBA;AAEpB,YAAYD'
CONTENT='"function greet(name) {\n  return \"hello \" + name;\n}\nconsole.log(greet(\"world\"));\n"'

# bundle DIR [MAPNAME]: dist/app.js with a sourceMappingURL comment (none when MAPNAME is "-")
bundle() {
	mkdir -p "$1/dist"
	if [ "${2:-app.js.map}" = - ]; then
		printf '%s\n' "$BUNDLE" >"$1/dist/app.js"
	else
		printf '%s\n//# sourceMappingURL=%s\n' "$BUNDLE" "${2:-app.js.map}" >"$1/dist/app.js"
	fi
}
# map DIR [MAPPINGS] [SOURCESCONTENT-MEMBER]: dist/app.js.map
map() {
	local content=${3-\"sourcesContent\":[$CONTENT],}
	printf '{"version":3,"file":"app.js","sources":["../src/app.js"],%s"names":["greet","name"],"mappings":"%s"}\n' \
		"$content" "${2:-$MAPPINGS}" >"$1/dist/app.js.map"
}
pair() { bundle "$1"; map "$1"; }

# --- healthy: a real vite build, injected -------------------------------------------------------
mkdir -p $out/healthy/dist
cp testdata/fixtures/vite/app.mjs testdata/fixtures/vite/app.mjs.map $out/healthy/dist/
inject $out/healthy/dist

# --- 1. maps generated ---------------------------------------------------------------------------
# Bundles without a map, injected (the snippet goes at the end) so only check 1 fails.
d=$out/no-map-vite
bundle $d -
printf '{"name":"shop","private":true,"scripts":{"build":"vite build"}}\n' >$d/package.json
printf "import { defineConfig } from 'vite'\n\nexport default defineConfig({\n  build: { outDir: 'dist', sourcemap: false },\n})\n" >$d/vite.config.ts
inject $d/dist

d=$out/no-map-webpack
bundle $d -
printf '{"name":"shop","private":true,"scripts":{"build":"webpack --mode production"}}\n' >$d/package.json
printf "module.exports = {\n  entry: './src/app.js',\n  devtool: false,\n  output: { filename: 'app.js' },\n};\n" >$d/webpack.config.js
inject $d/dist

d=$out/no-map-esbuild
bundle $d -
printf '{"name":"shop","private":true,"scripts":{"build":"esbuild src/app.js --bundle --minify --outfile=dist/app.js"}}\n' >$d/package.json
inject $d/dist

d=$out/no-map-rollup
bundle $d -
printf "export default {\n  input: 'src/app.js',\n  output: { file: 'dist/app.js', format: 'es' },\n};\n" >$d/rollup.config.mjs
inject $d/dist

d=$out/no-map-next
bundle $d -
printf "/** @type {import('next').NextConfig} */\nmodule.exports = {\n  reactStrictMode: true,\n};\n" >$d/next.config.js
printf '{"name":"shop","private":true,"scripts":{"build":"next build"}}\n' >$d/package.json
inject $d/dist

d=$out/no-map-unknown
bundle $d -
printf '{"name":"shop","private":true,"scripts":{"build":"make"}}\n' >$d/package.json
inject $d/dist

# A sourceMappingURL to a remote map and nothing local to upload.
d=$out/remote-map
bundle $d https://cdn.example.com/app.js.map
inject $d/dist

# No bundles at all: doctor pointed at something that is not build output.
mkdir -p $out/no-bundles/dist
printf '<!doctype html><title>shop</title>\n' >$out/no-bundles/dist/index.html

# The comment names maps/app.js.map, which is not there; the map beside the bundle is used.
d=$out/moved-map
bundle $d maps/app.js.map
map $d
inject $d/dist

# --- 2. maps valid -------------------------------------------------------------------------------
d=$out/bad-json
pair $d
inject $d/dist
# truncate the map in the middle of "mappings", as an interrupted copy does
head -c 150 $d/dist/app.js.map >$d/dist/app.js.map.tmp && mv $d/dist/app.js.map.tmp $d/dist/app.js.map

d=$out/wrong-version
pair $d
inject $d/dist
sed -i 's/"version":3/"version":2/' $d/dist/app.js.map

d=$out/bad-vlq
pair $d
inject $d/dist
# a character outside the base64 alphabet in the middle of the first code line's group; the
# next line is valid, so only a walk over every line finds it
sed -i "s/,GACb,/,G!Cb,/" $d/dist/app.js.map

d=$out/source-index
bundle $d
map $d 'AAAA,SAASA,EAAMC,GACb,eAAkBA;AAEpB,YGAYD' # the last segment names source #3 of 1
inject $d/dist

d=$out/name-index
bundle $d
map $d 'AAAA,SAASA,EAAMC,GACb,eAAkBA;AAEpB,YAAYI' # the last segment names name #5 of 2
inject $d/dist

d=$out/no-sources-content
bundle $d
map $d "$MAPPINGS" ''
inject $d/dist

d=$out/no-sources-content-on-disk
bundle $d
map $d "$MAPPINGS" ''
mkdir -p $d/src && printf '%s' "$SRC" >$d/src/app.js
inject $d/dist

# A banner step added two lines of code on top after the map was written.
d=$out/map-shorter
pair $d
{ printf 'var __BUILD__="2026-11-21";\nvar __ENV__="production";\n'; cat $d/dist/app.js; } >$d/dist/app.js.tmp && mv $d/dist/app.js.tmp $d/dist/app.js
inject $d/dist

# The map named by sourceMappingURL was deleted (e.g. by a deploy step) before upload.
d=$out/missing-map-file
bundle $d
inject $d/dist

# The sourceMappingURL names the bundle itself (a misconfigured build step), not a map.
d=$out/map-not-a-map
pair $d
inject $d/dist
sed -i 's,^//# sourceMappingURL=app.js.map$,//# sourceMappingURL=app.js,' $d/dist/app.js
rm $d/dist/app.js.map

# An inline map whose base64 does not decode.
d=$out/bad-inline-map
mkdir -p $d/dist
printf '%s\n//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjoz!!!\n' "$BUNDLE" >$d/dist/app.js

# A healthy inline map (data: URL), injected.
d=$out/inline-map
mkdir -p $d/dist
b64=$(printf '{"version":3,"file":"app.js","sources":["../src/app.js"],"sourcesContent":[%s],"names":["greet","name"],"mappings":"%s"}' "$CONTENT" "$MAPPINGS" | base64 | tr -d '\n')
printf '%s\n//# sourceMappingURL=data:application/json;base64,%s\n' "$BUNDLE" "$b64" >$d/dist/app.js
inject $d/dist

# A healthy index map: one section per bundle line.
d=$out/index-map
bundle $d
printf '{"version":3,"file":"app.js","sections":[{"offset":{"line":0,"column":0},"map":{"version":3,"sources":["../src/greet.js"],"sourcesContent":["function greet(name) {\\n  return \\"hello \\" + name;\\n}\\n"],"names":["greet","name"],"mappings":"AAAA,SAASA,EAAMC,GACb,eAAkBA"}},{"offset":{"line":1,"column":0},"map":{"version":3,"sources":["../src/main.js"],"sourcesContent":["console.log(greet(\\"world\\"));\\n"],"names":["greet"],"mappings":"AAAA,YAAYA"}}]}\n' >$d/dist/app.js.map
inject $d/dist

# --- 3. debug IDs --------------------------------------------------------------------------------
d=$out/not-injected
pair $d

d=$out/map-without-id
pair $d
inject $d/dist
sed -i 's/,"debugId":"[0-9a-f-]*","debug_id":"[0-9a-f-]*"//' $d/dist/app.js.map

# Two different bundles, the second given the first's ID (a copied comment and snippet).
d=$out/shared-id
pair $d
sed 's/"world"/"moon"/' $d/dist/app.js | sed 's/app.js.map/other.js.map/' >$d/dist/other.js
sed 's/"world\\"/"moon\\"/; s/"app.js"/"other.js"/' $d/dist/app.js.map >$d/dist/other.js.map
inject $d/dist
a=$(sed -n 's,^//# debugId=,,p' $d/dist/app.js)
o=$(sed -n 's,^//# debugId=,,p' $d/dist/other.js)
sed -i "s/$o/$a/g" $d/dist/other.js $d/dist/other.js.map

# Injected, then the map was written again by a later build (its ID differs).
d=$out/rebuilt-map-id
pair $d
inject $d/dist
id=$(sed -n 's,^//# debugId=,,p' $d/dist/app.js)
sed -i "s/$id/4a1b2c3d-0000-5000-8000-00000000cafe/g" $d/dist/app.js.map

# Injected, then rebuilt with the old comment carried over: comment and snippet disagree.
d=$out/rebuilt-snippet
pair $d
inject $d/dist
id=$(sed -n 's,^//# debugId=,,p' $d/dist/app.js)
sed -i "s,^//# debugId=$id,//# debugId=4a1b2c3d-0000-5000-8000-00000000cafe," $d/dist/app.js

# A fresh bundle beside the map of an earlier, injected build: the map has a debugId (and its
# mappings moved down by the snippet) while the bundle has neither. Injecting this pair would
# shift the map a second time.
d=$out/stale-map-id
pair $d
cp $d/dist/app.js $d/app.js.fresh
inject $d/dist
mv $d/app.js.fresh $d/dist/app.js

# Injected by a Sentry bundler plugin (its snippet, no comment), map with the same ID: ok.
PLUGIN_ID=7f3d3a8e-2b7c-4e55-9a51-0d9c6d5e4a11
plugin() {
	mkdir -p "$1/dist"
	printf '!function(){try{var e="undefined"!=typeof window?window:"undefined"!=typeof global?global:"undefined"!=typeof globalThis?globalThis:"undefined"!=typeof self?self:{},n=(new e.Error).stack;n&&(e._sentryDebugIds=e._sentryDebugIds||{},e._sentryDebugIds[n]="%s",e._sentryDebugIdIdentifier="sentry-dbid-%s")}catch(e){}}();\n%s\n//# sourceMappingURL=app.js.map\n' \
		$PLUGIN_ID $PLUGIN_ID "$BUNDLE" >"$1/dist/app.js"
}
d=$out/plugin-injected
plugin $d
printf '{"version":3,"file":"app.js","sources":["../src/app.js"],"sourcesContent":[%s],"names":["greet","name"],"mappings":";%s","debugId":"%s"}\n' "$CONTENT" "$MAPPINGS" $PLUGIN_ID >$d/dist/app.js.map

# The same, as the plugin leaves it on disk: the map without the ID (only its upload adds it).
d=$out/plugin-map-without-id
plugin $d
printf '{"version":3,"file":"app.js","sources":["../src/app.js"],"sourcesContent":[%s],"names":["greet","name"],"mappings":";%s"}\n' "$CONTENT" "$MAPPINGS" >$d/dist/app.js.map

rm -rf "$(dirname "$bin")"
echo "fixtures written to $out"
