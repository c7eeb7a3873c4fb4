#!/usr/bin/env bash
# `pnpm demo`: the seed tutorial's story in the browser in one command, on a fresh machine, as root.
# Installs what is missing, builds, starts ingest + web on the embedded database, creates the first user, records the
# slow Python server (linear search) and its dict version under load with the eBPF collector, uploads both, creates
# the report comparing them and prints the links. Keeps serving until Ctrl-C.
#
#   DEMO_SECONDS=30   length of each recording (CI runs it short, e.g. 5)
#   DEMO_EXIT=1       exit after printing the links (CI) instead of serving until Ctrl-C
#   WEB_PORT=3000 INGEST_PORT=4040 PERFORATOR_WEB_URL=http://HOST:3000   where the browser reaches the web app
#   PERFORATOR_DATA_DIR=<repo>/.data/demo   the demo's own data (emptied at the start when left at its default)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# The recordings need eBPF: say so before installing or building anything.
why=""
if [[ "$(id -u)" -ne 0 ]]; then
  why="it runs as $(id -un), not root (eBPF sampling needs root or CAP_BPF + CAP_PERFMON)"
elif [[ ! -r /sys/kernel/btf/vmlinux ]]; then
  why="the kernel has no BTF (/sys/kernel/btf/vmlinux is missing), which the collector's CO-RE BPF program needs"
elif [[ -r /proc/sys/kernel/perf_event_paranoid ]] && [[ "$(cat /proc/sys/kernel/perf_event_paranoid)" -gt 3 ]]; then
  why="perf events are disabled (kernel.perf_event_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid))"
fi
if [[ -n "$why" ]]; then
  cat >&2 <<MSG
demo: cannot record here: $why.
demo: what to run instead:
  sudo pnpm demo                     # as root on a Linux host with BTF (any recent distribution kernel)
  pnpm start                         # or without eBPF: ingest + web only; then sign up at http://127.0.0.1:3000/sign-up
  pnpm perforator upload FILE --service demo-server --url http://127.0.0.1:4040 --token "\$(cat .data/ingest-token)"
                                     # upload pprof / folded / .cpuprofile files recorded elsewhere, then compare
                                     # them on /diff and press "Create report"
MSG
  exit 1
fi

bash scripts/setup.sh
source scripts/env.sh
exec node scripts/demo.mjs
