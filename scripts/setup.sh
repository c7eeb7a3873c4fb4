#!/usr/bin/env bash
# Installs everything the repo needs on a fresh Debian 12 machine (run as root), then the JS dependencies.
# System packages are installed with apt-get only when missing; pnpm comes through corepack (pinned in package.json).
set -euo pipefail
cd "$(dirname "$0")/.."

# What the build and the tests need (each test's needs, checked):
# - clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool: build the eBPF sampler (native/build.sh);
# - gcc make: the native loader, test programs and tools/offsets; binutils: nm/readelf/objdump/objcopy/strip, the
#   reference readers of the ELF tests; libc6-dbg: libc's detached debug symbols (symbolize.test.ts names
#   libc-internal functions through them);
# - python3.11: Debian's own CPython build (interpreter inside the executable, not in libpython), which the collector's
#   tests profile next to the pyenv builds 3.11.7, 3.12.1, 3.13.0 and a 3.10 (those come from pyenv, see README);
# - chromium: browser tests (through playwright-core); golang-go: `go tool pprof`, the reference reader for the pprof
#   files we write; postgresql: the team database tests (DATABASE_URL_TEST).
PACKAGES=(clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool gcc make binutils libc6-dbg python3.11 chromium golang-go
  postgresql)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing Debian packages: ${missing[*]}; run this script as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

export COREPACK_ENABLE_DOWNLOAD_PROMPT=0
# Node 20's bundled corepack ships outdated npm signing keys and rejects current pnpm releases; the registry itself is
# still verified by pnpm's lockfile integrity hashes.
export COREPACK_INTEGRITY_KEYS=0
corepack enable
pnpm --version >/dev/null
pnpm install --frozen-lockfile
