#!/usr/bin/env bash
# Install the reference client, sentry-cli 3.8.0, from the npm registry package
# @sentry/cli-linux-x64@3.8.0 (the package holds the real binary at package/bin/sentry-cli) into
# .cache/sentry-cli/3.8.0/, check that it reports "sentry-cli 3.8.0", and print the binary's
# absolute path on stdout. Prints nothing else on success. Idempotent, runnable from any directory.
#
# Usage: bin="$(testdata/bench/install-reference.sh)"
set -euo pipefail

version=3.8.0
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dir="$root/.cache/sentry-cli/$version"
bin="$dir/package/bin/sentry-cli"

if [[ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]]; then
  echo "install-reference: only linux x86_64 is supported (got $(uname -s) $(uname -m))" >&2
  exit 1
fi

if [[ ! -x "$bin" ]]; then
  command -v npm >/dev/null || { echo "install-reference: npm is required (apt-get install npm)" >&2; exit 1; }
  mkdir -p "$dir"
  tgz="$dir/sentry-cli-linux-x64-$version.tgz"
  if [[ ! -s "$tgz" ]]; then
    npm pack --loglevel=error --ignore-scripts --pack-destination "$dir" "@sentry/cli-linux-x64@$version" >/dev/null
  fi
  # Extract beside the final place and rename, so an interrupted run never leaves a half binary.
  tmp="$(mktemp -d "$dir/.extract.XXXXXX")"
  tar -xzf "$tgz" -C "$tmp"
  rm -rf "$dir/package"
  mv "$tmp/package" "$dir/package"
  rmdir "$tmp"
fi

got="$("$bin" --version 2>&1 || true)"
if [[ "$got" != "sentry-cli $version" ]]; then
  echo "install-reference: $bin --version printed '$got', want 'sentry-cli $version'" >&2
  exit 1
fi
echo "$bin"
