#!/usr/bin/env bash
# Installs the PostHog oracle (npm ci, pinned by package-lock.json) and
# prints the directory holding oracle.mjs. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ ! -f "$here/node_modules/@posthog/plugin-utils/package.json" ]] ||
   ! grep -q '"version": "2.0.0"' "$here/node_modules/@posthog/plugin-utils/package.json"; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
echo "$here"
