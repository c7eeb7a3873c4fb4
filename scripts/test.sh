#!/usr/bin/env bash
# `pnpm test`: every package's Vitest suite through turbo (one package at a time: the collector's tests sample real
# processes and should not compete with a Next.js build for the CPU), plus the tests of these scripts, then one closing
# summary over all packages (scripts/test-summary.mjs) whose last line is "N passed, N failed, N skipped".
# Extra arguments go to turbo, e.g. `pnpm test --filter=@perforator/profile`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/env.sh"
cd "$root"
work="$(mktemp -d -t perforator-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT
# Each package's vitest writes its results here (scripts/vitest-report.mjs), next to its usual console output.
export PERFORATOR_TEST_REPORT_DIR="$work/reports"
tasks=(test test:scripts)
# Which test tasks this run must report on (after --filter): turbo's dry run lists them without running anything.
pnpm exec turbo run "${tasks[@]}" --dry=json "$@" >"$work/dry.json"
status=0
pnpm exec turbo run "${tasks[@]}" --concurrency=1 --continue=dependencies-successful --summarize "$@" \
  -- --reporter=default --reporter="$root/scripts/vitest-report.mjs" || status=$?
# turbo's run summary (each task's exit code) is the newest file it wrote under .turbo/runs during this run.
run_summary="$(find .turbo/runs -name '*.json' -newer "$work/dry.json" 2>/dev/null | xargs -r ls -t | head -n 1)"
node scripts/test-summary.mjs --dry "$work/dry.json" --run "${run_summary:-$work/none.json}" \
  --reports "$PERFORATOR_TEST_REPORT_DIR" || status=$((status ? status : 1))
exit "$status"
