#!/usr/bin/env bash
# Step 2 of the action: inject, then upload. Settings arrive as environment variables (MAPBACK_URL,
# MAPBACK_ORG, ... from the inputs; SENTRY_AUTH_TOKEN and POSTHOG_CLI_API_KEY from the caller's env),
# which mapback reads itself, so no secret is ever on a command line. Empty inputs are unset.
set -euo pipefail

for v in MAPBACK_URL MAPBACK_ORG MAPBACK_PROJECT MAPBACK_RELEASE MAPBACK_DIST MAPBACK_BACKENDS \
  MAPBACK_POSTHOG_HOST MAPBACK_POSTHOG_PROJECT_ID; do
  [[ -n "${!v:-}" ]] || unset "$v"
done

read -r -a paths <<<"${INPUT_PATHS:-dist}"
[[ ${#paths[@]} -gt 0 ]] || paths=(dist)

if [[ "${INPUT_INJECT:-true}" == true ]]; then
  mapback sourcemaps inject "${paths[@]}"
fi
if [[ "${INPUT_UPLOAD:-true}" == true ]]; then
  args=()
  [[ -z "${INPUT_URL_PREFIX:-}" ]] || args+=(--url-prefix "$INPUT_URL_PREFIX")
  mapback sourcemaps upload "${args[@]}" "${paths[@]}"
fi
