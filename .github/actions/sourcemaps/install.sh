#!/usr/bin/env bash
# Step 1 of the action: download the mapback release archive for this runner and its checksums.txt,
# refuse the archive unless its SHA-256 is the one listed, unpack it into $RUNNER_TEMP/mapback-<version>
# and add that directory to $GITHUB_PATH. MAPBACK_DOWNLOAD_BASE replaces the GitHub releases URL (a
# mirror, or the local server of testdata/action/check.sh).
set -euo pipefail

die() { echo "::error title=mapback install::$*" >&2; exit 1; }

version="${MAPBACK_VERSION:-}"
version="${version#v}"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]] || die "input version must be a release such as 1.2.3, got '${MAPBACK_VERSION:-}'"
base="${MAPBACK_DOWNLOAD_BASE:-https://github.com/mapback/mapback/releases/download/v$version}"

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) die "this action runs on Linux and macOS runners; on Windows use 'go install github.com/mapback/mapback/cmd/mapback@v$version'" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "no mapback release for the $(uname -m) architecture" ;;
esac

archive="mapback_${version}_${os}_${arch}.tar.gz"
dir="${RUNNER_TEMP:?}/mapback-$version"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
curl -fsSL --retry 3 -o "$tmp/$archive" "$base/$archive" || die "cannot download $base/$archive"
curl -fsSL --retry 3 -o "$tmp/checksums.txt" "$base/checksums.txt" || die "cannot download $base/checksums.txt"

want="$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$tmp/checksums.txt")"
[[ -n "$want" ]] || die "checksums.txt does not list $archive"
if command -v sha256sum >/dev/null; then
  got="$(sha256sum "$tmp/$archive" | awk '{ print $1 }')"
else
  got="$(shasum -a 256 "$tmp/$archive" | awk '{ print $1 }')"
fi
[[ "$got" == "$want" ]] || die "$archive has SHA-256 $got, but checksums.txt lists $want: not installing it"

mkdir -p "$dir"
tar -xzf "$tmp/$archive" -C "$dir" mapback
echo "$dir" >>"${GITHUB_PATH:?}"
"$dir/mapback" version
