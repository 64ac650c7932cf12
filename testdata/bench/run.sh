#!/usr/bin/env bash
# `make bench`: measure mapback against the reference client (sentry-cli 3.8.0) and rewrite the
# results table in docs/benchmarks.md.
#
# Steps: make sure hyperfine and GNU time are installed, fetch the corpus, install the reference
# client, build mapback, then for every case in testdata/bench/cases.sh run both commands side by side
# in ONE hyperfine invocation (same warm-up, same runs, interleaved on the same machine state) and
# once more each under /usr/bin/time -v for peak RSS. Cases that need no shell syntax run without a
# shell (hyperfine -N). Finally internal/benchreport renders the table.
#
# Usage: testdata/bench/run.sh [case-id ...]    (no ids: every case)
# Env:   BENCH_RUNS  timed runs per command for cases that do not set their own (default 10)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
bench="$root/testdata/bench"
results="$root/.cache/bench/results"
BENCH_RUNS="${BENCH_RUNS:-10}"

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

# apt_install PACKAGE: install a Debian package when we can (root), else say what is missing.
apt_install() {
  if [[ "$(id -u)" -ne 0 ]]; then
    die "$1 is not installed and we are not root; install it (e.g. sudo apt-get install $1) and re-run"
  fi
  log "installing $1 with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}
command -v hyperfine >/dev/null || apt_install hyperfine
[[ -x /usr/bin/time ]] || apt_install time
command -v zstd >/dev/null || apt_install zstd # the yardstick of upload-posthog

log "fetching corpus"
"$bench/fetch-corpus.sh" >/dev/null
log "installing reference client"
SENTRY_CLI="$("$bench/install-reference.sh")"
log "building mapback"
mkdir -p .cache/bin
# Built as `make build` and the releases build it (static, trimmed, stripped): the binary users run.
# A default cgo build is dynamically linked and starts ~0.5 ms slower.
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o .cache/bin/mapback ./cmd/mapback
MAPBACK="$root/.cache/bin/mapback"
CORPUS="$root/.cache/bench/corpus"
SCRATCH="$root/.cache/bench/scratch"
BENCH="$bench"
DEVSERVER_ADDR="127.0.0.1:18765"
DEVSERVER="$DEVSERVER_ADDR"
# Prepared copies can be as large as the corpus (~470 MB): start empty, and remove them at the end.
# A dev-server of an earlier run goes first: its pidfile is in the scratch directory.
MAPBACK="$MAPBACK" CORPUS="$CORPUS" SCRATCH="$SCRATCH" "$bench/upload-prep.sh" stop >/dev/null 2>&1 || true
rm -rf "$SCRATCH"
mkdir -p "$SCRATCH"
log "building the scale corpus (a 5,000-route app and a log of its traces)"
SCALE="$("$bench/make-scale.sh")"
export MAPBACK SENTRY_CLI CORPUS SCALE SCRATCH BENCH DEVSERVER DEVSERVER_ADDR
# The upload cases leave a dev-server running; stop it however the script ends.
trap '"$bench/upload-prep.sh" stop >/dev/null 2>&1 || true' EXIT

# Start from an empty results directory so a removed case cannot leave a stale row behind.
rm -rf "$results"
mkdir -p "$results"
# manifest.tsv: one row per case that ran, read by internal/benchreport. Tabs separate the fields.
manifest="$results/manifest.tsv"
: >"$manifest"

# peak_rss_kb PREPARE CMD: run PREPARE (if any), then CMD once under GNU time; print its
# "Maximum resident set size" in KiB. wait4() reports the largest RSS of the process tree, so the
# sh wrapper does not hide the command's own peak.
peak_rss_kb() {
  local prepare="$1" cmd="$2" out="$results/.time.txt"
  [[ -z "$prepare" ]] || sh -c "$prepare" >/dev/null
  /usr/bin/time -v -o "$out" sh -c "$cmd" >/dev/null 2>&1 || die "command failed: $cmd"
  awk -F': ' '/Maximum resident set size/ { print $2 }' "$out"
}

# expand CMD: replace the case variables with their values. run.sh does this itself, rather than
# leaving it to sh, so that plain commands can run without a shell (see below).
# shellcheck disable=SC2016 # the single-quoted patterns are the literal variable names
expand() {
  local c="$1"
  c="${c//'$MAPBACK'/$MAPBACK}"
  c="${c//'$SENTRY_CLI'/$SENTRY_CLI}"
  c="${c//'$CORPUS'/$CORPUS}"
  c="${c//'$SCALE'/$SCALE}"
  c="${c//'$SCRATCH'/$SCRATCH}"
  c="${c//'$BENCH'/$BENCH}"
  c="${c//'$DEVSERVER'/$DEVSERVER}"
  printf '%s' "$c"
}
# needs_shell CMD...: true if any command uses shell syntax. Cases without it run under
# hyperfine -N (no shell): start-up-sized times of a few ms are otherwise dominated by the
# correction hyperfine applies for spawning sh, which it cannot calibrate below ~5 ms.
needs_shell() {
  local c
  for c in "$@"; do
    [[ "$c" != *[\$\|\&\;\<\>\(\)\*\?\`]* ]] || return 0
    [[ ! "$c" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || return 0 # VAR=value cmd: an assignment
  done
  return 1
}

selected=("$@")
ran=0
bench_case() {
  local id="$1" desc="$2" data="$3" mapback_cmd="$4" ref_cmd="$5" prepare="${6:-}" runs="${7:-$BENCH_RUNS}"
  if [[ ${#selected[@]} -gt 0 && " ${selected[*]} " != *" $id "* ]]; then
    return 0
  fi
  local m r p
  m="$(expand "$mapback_cmd")" r="$(expand "$ref_cmd")" p="$(expand "$prepare")"
  local args=(--style basic --warmup 1 --runs "$runs" --export-json "$results/$id.json"
    --command-name mapback --command-name reference)
  [[ -z "$p" ]] || args+=(--prepare "$p")
  needs_shell "$m" "$r" "$p" || args+=(--shell=none)
  log "case $id: hyperfine, $runs runs each"
  hyperfine "${args[@]}" "$m" "$r" >&2
  log "case $id: peak RSS"
  local mrss rrss
  mrss="$(peak_rss_kb "$p" "$m")"
  rrss="$(peak_rss_kb "$p" "$r")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$desc" "$data" "$id.json" "$mrss" "$rrss" \
    "$mapback_cmd" "$ref_cmd" >>"$manifest"
  ran=$((ran + 1))
}
# shellcheck source=testdata/bench/cases.sh
source "$bench/cases.sh"
[[ $ran -gt 0 || " ${selected[*]} " == *" wire-bytes "* ]] || die "no case matched: ${selected[*]}"

# meta.txt: how and where the numbers were made, key=value, shown above the table.
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ "$commit" != unknown && -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then
  commit="$commit (uncommitted changes)"
fi
# `make` exports MAKELEVEL to its recipes; otherwise record the script invocation itself.
if [[ -n "${MAKELEVEL:-}" ]]; then command="make bench"; else command="testdata/bench/run.sh${*:+ $*}"; fi
{
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "nproc=$(nproc)"
  echo "arch=$(uname -m)"
  echo "cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "commit=$commit"
  echo "command=$command"
  echo "hyperfine=$(hyperfine --version)"
  echo "reference=$("$SENTRY_CLI" --version)"
  echo "go=$(go env GOVERSION)"
} >"$results/meta.txt"

# Bytes on the wire, for every case set: measured once per tree, not timed.
if [[ ${#selected[@]} -eq 0 || " ${selected[*]} " == *" wire-bytes "* ]]; then
  log "bytes on the wire (wire-bytes.sh)"
  RESULTS="$results" "$bench/wire-bytes.sh"
fi

"$bench/upload-prep.sh" stop
rm -rf "$SCRATCH"

go run ./internal/benchreport -results "$results" -doc "$root/docs/benchmarks.md"
log "wrote docs/benchmarks.md"
