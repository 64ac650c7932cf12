# shellcheck shell=bash disable=SC2016 # commands are single-quoted on purpose: run.sh expands them
# Benchmark cases, sourced by testdata/bench/run.sh. One `bench_case` call per case:
#
#   bench_case <id> <description> <data> <mapback command> <reference command> [<prepare command>] [<runs>]
#
#   id           short name: the hyperfine export is .cache/bench/results/<id>.json
#   description  what the case measures, shown in docs/benchmarks.md
#   data         which corpus data it works on, shown in the table
#   commands     run by hyperfine side by side in one invocation; both must do the same work on the
#                same data. Use single quotes: run.sh replaces the variables below itself, and
#                docs/benchmarks.md shows the machine-independent form. A case whose commands use no
#                shell syntax runs without a shell (hyperfine -N); otherwise through sh.
#   prepare      optional; run before every timed run of either command (hyperfine --prepare) and
#                before the peak-RSS run. Use it for commands that change files, e.g. inject.
#   runs         optional; timed runs per command (default $BENCH_RUNS, which defaults to 10)
#
# Variables available to the commands (exported by run.sh, all absolute paths):
#   $MAPBACK     the mapback binary built from this tree
#   $SENTRY_CLI  the reference client, sentry-cli 3.8.0
#   $SCALE       .cache/bench/scale, the scale build (dist/) and its log (log.txt), see make-scale.sh
#   $CORPUS      .cache/bench/corpus, with one directory per corpus.txt entry (e.g. $CORPUS/babylonjs@9.34.0)
#   $SCRATCH     .cache/bench/scratch, a writable directory for prepared copies
#   $BENCH       testdata/bench (for helper scripts such as upload-prep.sh)
#   $DEVSERVER   host:port of the dev-server upload-prep.sh runs

bench_case startup \
  "Process start-up: print the version and exit. Measures binary start-up only, no source map work." \
  "none" \
  '$MAPBACK version' \
  '$SENTRY_CLI --version' \
  '' 30

# Inject debug IDs into a fresh copy of the whole corpus (1814 bundles, 140 maps, ~470 MB). --prepare
# copies the pristine tree before every run, untimed, so both clients always start from uninjected files
# (inject rewrites files in place), then syncs so the copy's writeback does not overlap the timed run.
bench_case inject-corpus \
  "sourcemaps inject into every bundle and map of the corpus (fresh copy each run)" \
  "whole corpus (6 packages, 470 MB)" \
  '$MAPBACK sourcemaps inject -q $SCRATCH/inject' \
  '$SENTRY_CLI sourcemaps inject $SCRATCH/inject' \
  'rm -rf $SCRATCH/inject && cp -R $CORPUS $SCRATCH/inject && sync' 5

# Resolve one trace with 10 frames spread over the three largest maps (babylon 31 MB, tfjs 17 MB, monaco
# 13 MB; go run ./testdata/bench/make-resolve-trace wrote it) in one process, with scope-based names, next to the
# reference client resolving ONE position in the largest map (it resolves one position per call).
bench_case resolve-3maps \
  "resolve a 10-frame trace over the three largest maps (mapback, scope names) vs one position in the largest (reference)" \
  "babylon.js.map, tf.min.js.map, editor.main.js.map" \
  '$MAPBACK resolve --maps $CORPUS/babylonjs@9.34.0/babylon.js --maps $CORPUS/@tensorflow/tfjs@4.22.0/dist/tf.min.js --maps $CORPUS/monaco-editor@0.52.2/min/vs/editor/editor.main.js testdata/bench/resolve-trace.txt' \
  '$SENTRY_CLI sourcemaps resolve $CORPUS/babylonjs@9.34.0/babylon.js.map -l 1 -c 1259084' \
  '' 10

# Upload the injected corpus files (every bundle and map corpus.txt lists, ~85 MB: upload-prep.sh
# copies and injects them once) to a local `mapback dev-server`, both clients against the same server
# with Sentry's default capability. The reference runs with --no-rewrite: that is the same work
# (files as on disk) and the bundle mapback's manifest is proven identical to (make conformance).
# First upload: upload-prep.sh fresh restarts the server with an empty store before every run.
bench_case upload-first \
  "sourcemaps upload of the injected corpus files to mapback dev-server, empty server store (first upload)" \
  "corpus bundles + maps (12 files, ~85 MB)" \
  '$MAPBACK --url http://$DEVSERVER --auth-token bench -o bench -p bench sourcemaps upload -q $SCRATCH/upload' \
  '$SENTRY_CLI --url http://$DEVSERVER --auth-token bench sourcemaps upload -o bench -p bench --no-rewrite $SCRATCH/upload' \
  '$BENCH/upload-prep.sh fresh' 5

# Second upload of the unchanged tree: every chunk is already on the server (hyperfine's warm-up
# run of each client uploads it once), so only the capability and two assemble calls go out.
# mapback finds the bundle in its build cache (~/.cache/mapback/upload, filled by the warm-up) and
# does not build it again; upload-again-cold below measures the same with --no-cache, as on a CI
# runner that starts with an empty cache.
bench_case upload-again \
  "sourcemaps upload of the same unchanged tree again (every chunk already on the server)" \
  "corpus bundles + maps (12 files, ~85 MB)" \
  '$MAPBACK --url http://$DEVSERVER --auth-token bench -o bench -p bench sourcemaps upload -q $SCRATCH/upload' \
  '$SENTRY_CLI --url http://$DEVSERVER --auth-token bench sourcemaps upload -o bench -p bench --no-rewrite $SCRATCH/upload' \
  '$BENCH/upload-prep.sh keep' 5

# The same second upload without the build cache: mapback builds and hashes the bundle again, as on
# a fresh CI runner, then finds every chunk on the server.
bench_case upload-again-cold \
  "sourcemaps upload of the same unchanged tree again, mapback with --no-cache (rebuilds the bundle)" \
  "corpus bundles + maps (12 files, ~85 MB)" \
  '$MAPBACK --url http://$DEVSERVER --auth-token bench -o bench -p bench sourcemaps upload -q --no-cache $SCRATCH/upload' \
  '$SENTRY_CLI --url http://$DEVSERVER --auth-token bench sourcemaps upload -o bench -p bench --no-rewrite $SCRATCH/upload' \
  '$BENCH/upload-prep.sh keep' 5

# The same first upload over a link of a CI runner's kind: the dev-server receives request bodies at
# 50 Mbit/s or 1 Gbit/s (dev-server --throttle, shared by all connections), so the bytes each client
# sends cost what they would on the real uplink. The issue bar is 0.8x at 50 Mbit/s.
bench_case upload-first-50mbit \
  "sourcemaps upload of the injected corpus files, empty store, server receiving at 50 Mbit/s" \
  "corpus bundles + maps (12 files, ~85 MB)" \
  '$MAPBACK --url http://$DEVSERVER --auth-token bench -o bench -p bench sourcemaps upload -q $SCRATCH/upload' \
  '$SENTRY_CLI --url http://$DEVSERVER --auth-token bench sourcemaps upload -o bench -p bench --no-rewrite $SCRATCH/upload' \
  'THROTTLE=50mbit $BENCH/upload-prep.sh fresh' 3

bench_case upload-first-1gbit \
  "sourcemaps upload of the injected corpus files, empty store, server receiving at 1 Gbit/s" \
  "corpus bundles + maps (12 files, ~85 MB)" \
  '$MAPBACK --url http://$DEVSERVER --auth-token bench -o bench -p bench sourcemaps upload -q $SCRATCH/upload' \
  '$SENTRY_CLI --url http://$DEVSERVER --auth-token bench sourcemaps upload -o bench -p bench --no-rewrite $SCRATCH/upload' \
  'THROTTLE=1gbit $BENCH/upload-prep.sh fresh' 3

# PostHog: upload the corpus files injected with PostHog chunk IDs (upload-prep.sh makes the copy) to
# the dev-server's PostHog API with an empty store: one zstd symbol-data object per bundle, over the
# check / start / presigned POST / finish flow. PostHog's CLI cannot be installed from the npm registry
# alone (its package downloads the binary), so the yardstick is the work it cannot avoid: compressing the
# same bytes with zstd at level 3 on every core. Issue bar: at most 1.5x that.
bench_case upload-posthog \
  "sourcemaps upload --backends posthog of the injected corpus files to mapback dev-server (empty store), next to zstd -3 -T0 of the same bytes" \
  "corpus bundles + maps (12 files, ~85 MB)" \
  '$MAPBACK --backends posthog --posthog-host http://$DEVSERVER --posthog-project-id 1 --posthog-api-key phx_benchbenchbenchbench sourcemaps upload -q $SCRATCH/upload-posthog' \
  'find $SCRATCH/upload-posthog -type f \( -name "*.js" -o -name "*.map" \) -exec cat {} + | zstd -3 -T0 -q -c >/dev/null' \
  '$BENCH/upload-prep.sh fresh' 5

# Scale (issue 15): a Next.js-sized code-split build, 5,000 dynamically imported routes built by esbuild
# with --splitting into 10,040 bundles and maps (~120 MB), and a log of 2,000 real V8 traces its routes
# threw in Node (6,000 frames); make-scale.sh builds both once (testdata/gen/scale.mjs).
bench_case scale-inject \
  "sourcemaps inject into every bundle and map of the scale build (fresh copy each run)" \
  "scale build (10,040 files, 120 MB)" \
  '$MAPBACK sourcemaps inject -q $SCRATCH/scale-inject' \
  '$SENTRY_CLI sourcemaps inject $SCRATCH/scale-inject' \
  'rm -rf $SCRATCH/scale-inject && cp -R $SCALE/dist $SCRATCH/scale-inject && sync' 3

bench_case scale-upload-first \
  "sourcemaps upload of the injected scale build to mapback dev-server, empty server store" \
  "scale build (10,040 files, 120 MB)" \
  '$MAPBACK --url http://$DEVSERVER --auth-token bench -o bench -p bench sourcemaps upload -q $SCRATCH/scale-upload' \
  '$SENTRY_CLI --url http://$DEVSERVER --auth-token bench sourcemaps upload -o bench -p bench --no-rewrite $SCRATCH/scale-upload' \
  '$BENCH/upload-prep.sh fresh' 3

bench_case scale-upload-first-50mbit \
  "sourcemaps upload of the injected scale build, empty store, server receiving at 50 Mbit/s" \
  "scale build (10,040 files, 120 MB)" \
  '$MAPBACK --url http://$DEVSERVER --auth-token bench -o bench -p bench sourcemaps upload -q $SCRATCH/scale-upload' \
  '$SENTRY_CLI --url http://$DEVSERVER --auth-token bench sourcemaps upload -o bench -p bench --no-rewrite $SCRATCH/scale-upload' \
  'THROTTLE=50mbit $BENCH/upload-prep.sh fresh' 3

bench_case scale-upload-again \
  "sourcemaps upload of the unchanged scale build again (every chunk already on the server)" \
  "scale build (10,040 files, 120 MB)" \
  '$MAPBACK --url http://$DEVSERVER --auth-token bench -o bench -p bench sourcemaps upload -q $SCRATCH/scale-upload' \
  '$SENTRY_CLI --url http://$DEVSERVER --auth-token bench sourcemaps upload -o bench -p bench --no-rewrite $SCRATCH/scale-upload' \
  '$BENCH/upload-prep.sh keep' 3

bench_case scale-upload-again-cold \
  "sourcemaps upload of the unchanged scale build again, mapback with --no-cache (rebuilds the bundle)" \
  "scale build (10,040 files, 120 MB)" \
  '$MAPBACK --url http://$DEVSERVER --auth-token bench -o bench -p bench sourcemaps upload -q --no-cache $SCRATCH/scale-upload' \
  '$SENTRY_CLI --url http://$DEVSERVER --auth-token bench sourcemaps upload -o bench -p bench --no-rewrite $SCRATCH/scale-upload' \
  '$BENCH/upload-prep.sh keep' 3

# The reference has no checklist; its nearest work is `upload --validate`, which checks every map of
# the tree (and then finds every chunk already on the server).
bench_case scale-doctor \
  "doctor --offline over the injected scale build vs the reference's upload --validate of it (already uploaded)" \
  "scale build (10,040 files, 120 MB)" \
  '$MAPBACK doctor --offline $SCRATCH/scale-upload' \
  '$SENTRY_CLI --url http://$DEVSERVER --auth-token bench sourcemaps upload -o bench -p bench --no-rewrite --validate $SCRATCH/scale-upload' \
  '$BENCH/upload-prep.sh keep' 3

# The reference resolves one position per call; mapback resolves the whole log in one.
bench_case scale-resolve-log \
  "resolve the scale log (2,000 traces, 6,000 frames) over the build (mapback) vs one position of one route (reference)" \
  "scale build and log" \
  '$MAPBACK resolve --maps $SCALE/dist $SCALE/log.txt' \
  '$SENTRY_CLI sourcemaps resolve $SCALE/dist/entry.js.map -l 1 -c 10' \
  '' 5
