#!/usr/bin/env bash
# `pnpm test`: every package's Vitest suite through turbo (one package at a time: the collector's tests sample real
# processes and should not compete with a Next.js build for the CPU), then one closing summary over all packages.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/env.sh"
cd "$root"
log="$(mktemp -t perforator-test.XXXXXX)"
trap 'rm -f "$log"' EXIT
status=0
pnpm exec turbo run test --concurrency=1 --continue "$@" 2>&1 | tee "$log" || status=$?
node scripts/test-summary.mjs "$log" || status=$((status ? status : 1))
exit "$status"
