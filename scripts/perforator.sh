#!/usr/bin/env bash
# `pnpm perforator ...`: builds the collector (cached by turbo) and runs its CLI with the given arguments.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/env.sh"
cd "$root"
if ! log=$(pnpm exec turbo run build --filter=@perforator/collector --output-logs=errors-only 2>&1); then
  echo "$log" >&2
  echo "perforator: building the collector failed (see above); run 'bash scripts/setup.sh' first" >&2
  exit 1
fi
cd "${INIT_CWD:-$root}"
exec node "$root/packages/collector/dist/cli.js" "$@"
