#!/usr/bin/env bash
# Builds the eBPF sampler: build/vmlinux.h -> build/sampler.bpf.o -> build/sampler.skel.h -> build/perforator-sampler.
# Incremental: each step is skipped when its output is newer than its inputs. Run from anywhere.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pkg="$(dirname "$here")"
out="$pkg/build"
mkdir -p "$out"

need() { # need <command> <debian package>
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "perforator sampler build: '$1' not found. Install it with: apt-get install -y $2" >&2
    exit 1
  fi
}
need_file() { # need_file <path> <debian package>
  if [ ! -e "$1" ]; then
    echo "perforator sampler build: $1 not found. Install it with: apt-get install -y $2" >&2
    exit 1
  fi
}
# newer <output> <inputs...>: true when output exists and is newer than every input
newer() {
  local o="$1"
  shift
  [ -e "$o" ] || return 1
  for i in "$@"; do [ "$o" -nt "$i" ] || return 1; done
}

# Tools are checked only for the steps that have to run, so an up-to-date build needs none of them.
if [ ! -s "$out/vmlinux.h" ]; then
  need bpftool bpftool
  if [ ! -r /sys/kernel/btf/vmlinux ]; then
    echo "perforator sampler build: /sys/kernel/btf/vmlinux is missing: the kernel must be built with CONFIG_DEBUG_INFO_BTF=y" >&2
    exit 1
  fi
  bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$out/vmlinux.h.tmp"
  mv "$out/vmlinux.h.tmp" "$out/vmlinux.h"
fi

if ! newer "$out/sampler.bpf.o" "$here/sampler.bpf.c" "$here/sampler.h" "$out/vmlinux.h"; then
  need clang clang
  need_file /usr/include/bpf/bpf_helpers.h libbpf-dev
  clang -g -O2 -Wall -target bpf -D__TARGET_ARCH_x86 -I"$out" -I"$here" \
    -c "$here/sampler.bpf.c" -o "$out/sampler.bpf.o.tmp"
  mv "$out/sampler.bpf.o.tmp" "$out/sampler.bpf.o"
fi

if ! newer "$out/sampler.skel.h" "$out/sampler.bpf.o"; then
  need bpftool bpftool
  bpftool gen skeleton "$out/sampler.bpf.o" name sampler_bpf >"$out/sampler.skel.h.tmp"
  mv "$out/sampler.skel.h.tmp" "$out/sampler.skel.h"
fi

if ! newer "$out/perforator-sampler" "$here/sampler.c" "$here/sampler.h" "$out/sampler.skel.h"; then
  need gcc gcc
  need_file /usr/include/bpf/libbpf.h libbpf-dev
  [ "$(gcc -print-file-name=libbpf.a)" != "libbpf.a" ] || need_file /usr/lib/x86_64-linux-gnu/libbpf.a libbpf-dev
  need_file /usr/include/libelf.h libelf-dev
  need_file /usr/include/zlib.h zlib1g-dev
  gcc -O2 -g -Wall -Wextra -I"$out" -I"$here" "$here/sampler.c" -o "$out/perforator-sampler.tmp" \
    -l:libbpf.a -lelf -lz
  mv "$out/perforator-sampler.tmp" "$out/perforator-sampler"
fi
