#!/usr/bin/env bash
# Fetch the benchmark corpus listed in testdata/bench/corpus.txt.
#
# For each "<name>@<version> <path>..." line: `npm pack` the package into .cache/bench/tarballs/
# (skipped when the tarball is already there), extract it to .cache/bench/corpus/<name>@<version>/
# (skipped when a previous extraction completed), check that every listed path exists, and print
# one "<size> <path>" line per listed file. Idempotent and runnable from any directory.
#
# Usage: testdata/bench/fetch-corpus.sh [corpus-file]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
corpus_file="${1:-$root/testdata/bench/corpus.txt}"
tar_dir="$root/.cache/bench/tarballs"
out_dir="$root/.cache/bench/corpus"
mkdir -p "$tar_dir" "$out_dir"

command -v npm >/dev/null || { echo "fetch-corpus: npm is required (apt-get install npm)" >&2; exit 1; }

# human SIZE_IN_BYTES -> "13.3 MB" (decimal units, as npm and the docs table use).
human() { awk -v b="$1" 'BEGIN { if (b >= 1e6) printf "%.1f MB", b/1e6; else printf "%.0f KB", b/1e3 }'; }

status=0
while read -r spec paths; do
  [[ -z "$spec" || "$spec" == \#* ]] && continue
  name="${spec%@*}"
  version="${spec##*@}"
  # npm pack names the tarball "<name without leading @, / replaced by ->-<version>.tgz".
  tgz="$tar_dir/$(printf '%s' "${name#@}" | tr / -)-$version.tgz"
  dest="$out_dir/$spec"

  if [[ ! -s "$tgz" ]]; then
    echo "fetch-corpus: npm pack $spec" >&2
    # --loglevel=error hides npm's config warnings; --ignore-scripts because we only want the files.
    npm pack --loglevel=error --ignore-scripts --pack-destination "$tar_dir" "$spec" >/dev/null
    [[ -s "$tgz" ]] || { echo "fetch-corpus: npm pack did not produce $tgz" >&2; exit 1; }
  fi

  # The .complete stamp marks a finished extraction, so an interrupted run is redone, not trusted.
  if [[ ! -f "$dest/.complete" ]]; then
    tmp="$(mktemp -d "$out_dir/.extract.XXXXXX")"
    tar -xzf "$tgz" -C "$tmp" --strip-components=1 # drop the tarball's "package/" prefix
    touch "$tmp/.complete"
    rm -rf "$dest"
    mkdir -p "$(dirname "$dest")"
    mv "$tmp" "$dest"
  fi

  for p in $paths; do
    if [[ -f "$dest/$p" ]]; then
      size=$(stat -c %s "$dest/$p")
      printf '%10s  %s\n' "$(human "$size")" "${dest#"$root"/}/$p"
    else
      echo "fetch-corpus: MISSING $spec: $p" >&2
      status=1
    fi
  done
done <"$corpus_file"
exit "$status"
