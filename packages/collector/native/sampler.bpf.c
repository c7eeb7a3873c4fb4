// SPDX-License-Identifier: GPL-2.0
/* perforator sampler: a perf_event (cpu-clock) program that aggregates stacks in BPF.
 *
 * Per sample of a traced task it records the kernel and user (frame-pointer) stacks into a stack-trace map,
 * the thread and process names, and, for processes with a Python config, the CPython frame chain read from
 * the thread's PyThreadState. Counts are aggregated in a hash map; userspace drains it on `flush`.
 *
 * Maps come in two generations (0/1): the program writes into `settings.gen`, the loader flips the generation
 * before draining the other one, so it can read and clear a generation without racing with new samples.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "sampler.h"

#define EFAULT 14
#define ENOMEM 12
#define EEXIST 17

char LICENSE[] SEC("license") = "GPL";

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct settings);
} settings SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, TARGET_MAP_ENTRIES);
  __type(key, __u32);
  __type(value, __u8);
} targets SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __uint(max_entries, TARGET_MAP_ENTRIES);
  __type(key, __u32);
  __type(value, struct py_cfg);
} pycfg SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 2 * DROP_MAX); /* [gen * DROP_MAX + reason] */
  __type(key, __u32);
  __type(value, __u64);
} drops SEC(".maps");

/* Per-CPU scratch space: the Python stack is built here (too big for the 512-byte BPF stack). */
struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, struct py_stack);
} pyscratch SEC(".maps");

#define STACK_MAP(name, entries)                                                                                       \
  struct {                                                                                                             \
    __uint(type, BPF_MAP_TYPE_STACK_TRACE);                                                                            \
    __uint(max_entries, entries);                                                                                      \
    __uint(key_size, sizeof(__u32));                                                                                   \
    __uint(value_size, MAX_STACK_DEPTH * sizeof(__u64));                                                               \
  } name SEC(".maps")

#define PYSTACK_MAP(name)                                                                                              \
  struct {                                                                                                             \
    __uint(type, BPF_MAP_TYPE_HASH);                                                                                   \
    __uint(max_entries, PYSTACK_MAP_ENTRIES);                                                                          \
    __type(key, __u64);                                                                                                \
    __type(value, struct py_stack);                                                                                    \
  } name SEC(".maps")

#define COUNT_MAP(name)                                                                                                \
  struct {                                                                                                             \
    __uint(type, BPF_MAP_TYPE_HASH);                                                                                   \
    __uint(max_entries, COUNT_MAP_ENTRIES);                                                                            \
    __type(key, struct count_key);                                                                                     \
    __type(value, __u64);                                                                                              \
  } name SEC(".maps")

/* Stack-trace maps hash a stack to one bucket (hash & (entries - 1)) and fail with -EEXIST when another stack holds it.
 * Only stacks that lost their bucket go to the overflow map, so its buckets (the low bits of the same hash) are mostly
 * free: a second chance that turns most collisions into successes. */
STACK_MAP(stacks0, STACK_MAP_ENTRIES);
STACK_MAP(stacks1, STACK_MAP_ENTRIES);
STACK_MAP(ovf0, OVF_STACK_MAP_ENTRIES);
STACK_MAP(ovf1, OVF_STACK_MAP_ENTRIES);
PYSTACK_MAP(pystacks0);
PYSTACK_MAP(pystacks1);
COUNT_MAP(counts0);
COUNT_MAP(counts1);

static __always_inline void bump(__u32 gen, __u32 reason) {
  __u32 idx = gen * DROP_MAX + reason;
  __u64 *v = bpf_map_lookup_elem(&drops, &idx);
  if (v)
    *v += 1; /* per-CPU slot: no atomics needed */
}

/* Native stack id, or -1. "No stack" (-EFAULT: e.g. no user stack for a kernel thread, no kernel stack for a sample
 * taken in user mode) is normal and not counted; every other failure is. */
static __always_inline __s32 stack_id(void *ctx, void *map, void *ovf, __u64 flags, __u32 gen, __u32 err_reason) {
  long id = bpf_get_stackid(ctx, map, flags);
  if (id >= 0)
    return (__s32)id;
  if (id == -EEXIST) {
    id = bpf_get_stackid(ctx, ovf, flags);
    if (id >= 0)
      return (__s32)(id + STACK_MAP_ENTRIES);
  }
  if (id == -EEXIST)
    bump(gen, DROP_STACK_COLLISION);
  else if (id == -ENOMEM)
    bump(gen, DROP_STACK_FULL);
  else if (id != -EFAULT)
    bump(gen, err_reason);
  return -1;
}

static __always_inline int read_u64(__u64 *dst, __u64 addr) {
  return bpf_probe_read_user(dst, sizeof(*dst), (const void *)addr);
}

/* State shared with the bpf_loop callback that walks `previous` links. */
struct walk_ctx {
  struct py_cfg cfg;
  __u64 frame;  /* next frame to read, 0 when done */
  __u64 hash;
  __u32 status;
};

#define HASH_MUL 0x100000001b3ULL /* FNV-1a 64-bit prime */

static long walk_one(__u64 i, void *data) {
  struct walk_ctx *w = data;
  __u32 zero = 0;
  struct py_stack *st = bpf_map_lookup_elem(&pyscratch, &zero);
  if (!st || i >= MAX_PY_FRAMES)
    return 1;
  if (!w->frame)
    return 1;

  __u64 frame = w->frame;
  __u64 code = 0, instr = 0, prev = 0;
  __u8 owner = 0, is_entry = 0;
  __u32 guard = 0, flags = 0;

  if (read_u64(&code, frame + w->cfg.frame_code) || read_u64(&prev, frame + w->cfg.frame_previous) ||
      read_u64(&instr, frame + w->cfg.frame_instr) ||
      bpf_probe_read_user(&owner, 1, (const void *)(frame + w->cfg.frame_owner))) {
    w->status = PY_FRAME_READ;
    return 1;
  }
  if (w->cfg.frame_is_entry >= 0) {
    if (bpf_probe_read_user(&is_entry, 1, (const void *)(frame + w->cfg.frame_is_entry))) {
      w->status = PY_FRAME_READ;
      return 1;
    }
    if (is_entry)
      flags |= PY_FRAME_ENTRY;
  }

  /* A frame owned by the C stack (3.12+ trampoline shim), or 3.13's f_executable == None, marks the boundary of one
   * _PyEval_EvalFrameDefault activation: keep it as a marker with no code. */
  if (owner == (__u8)w->cfg.owner_cstack || (w->cfg.none_addr && code == w->cfg.none_addr) || code == 0) {
    st->frames[i].code = 0;
    st->frames[i].instr = 0;
    st->frames[i].guard = 0;
    st->frames[i].flags = flags | PY_FRAME_SHIM;
  } else {
    int gerr;
    if (w->cfg.code_version >= 0)
      gerr = bpf_probe_read_user(&guard, 4, (const void *)(code + w->cfg.code_version));
    else
      gerr = bpf_probe_read_user(&guard, 4, (const void *)(code + w->cfg.code_firstlineno));
    if (gerr) {
      w->status = PY_CODE_READ;
      return 1;
    }
    st->frames[i].code = code;
    st->frames[i].instr = (__s32)(instr - (code + w->cfg.code_adaptive));
    st->frames[i].guard = guard;
    st->frames[i].flags = flags;
  }
  st->frames[i]._pad = 0;
  st->depth = i + 1;

  w->hash = (w->hash ^ st->frames[i].code) * HASH_MUL;
  w->hash = (w->hash ^ (((__u64)st->frames[i].guard << 32) | (__u32)st->frames[i].instr)) * HASH_MUL;
  w->hash = (w->hash ^ st->frames[i].flags) * HASH_MUL;
  w->frame = prev;
  return 0;
}

/* Reads the sampled thread's Python stack into pyscratch. Returns the py_status. */
static __always_inline __u32 walk_python(struct task_struct *task, struct py_cfg *cfg, struct walk_ctx *w) {
  __u64 fsbase = BPF_CORE_READ(task, thread.fsbase);
  __u64 slot, tstate = 0, frame = 0;
  __u32 key = cfg->tss_key;

  /* glibc thread-specific data: the first 32 keys live inline in struct pthread, later ones in 32-entry blocks;
   * each entry is {seq, data}, and PyThreadState* is `data`. */
  if (key < 32) {
    slot = fsbase + cfg->tsd_static_off + key * 16 + 8;
  } else {
    __u64 blk = 0;
    if (read_u64(&blk, fsbase + cfg->tsd_dynamic_off + (key >> 5) * 8) || !blk)
      return PY_TSD_READ;
    slot = blk + (key & 31) * 16 + 8;
  }
  if (read_u64(&tstate, slot))
    return PY_TSD_READ;
  if (!tstate)
    return PY_NO_TSTATE;

  if (cfg->cframe_current_frame >= 0) {
    __u64 cframe = 0;
    if (read_u64(&cframe, tstate + cfg->tstate_current_frame))
      return PY_FRAME_READ;
    if (!cframe)
      return PY_OK;
    if (read_u64(&frame, cframe + cfg->cframe_current_frame))
      return PY_FRAME_READ;
  } else if (read_u64(&frame, tstate + cfg->tstate_current_frame)) {
    return PY_FRAME_READ;
  }

  __builtin_memcpy(&w->cfg, cfg, sizeof(*cfg));
  w->frame = frame;
  w->hash = 0xcbf29ce484222325ULL; /* FNV offset basis */
  w->status = PY_OK;
  bpf_loop(MAX_PY_FRAMES, walk_one, w, 0);
  if (w->status == PY_OK && w->frame)
    w->status = PY_TRUNCATED;
  return w->status;
}

static __always_inline void count(void *counts, struct count_key *key, __u32 gen) {
  __u64 *v = bpf_map_lookup_elem(counts, key);
  if (v) {
    __sync_fetch_and_add(v, 1);
    return;
  }
  __u64 one = 1;
  long err = bpf_map_update_elem(counts, key, &one, BPF_NOEXIST);
  if (err == -EEXIST) { /* another CPU inserted it meanwhile */
    v = bpf_map_lookup_elem(counts, key);
    if (v)
      __sync_fetch_and_add(v, 1);
  } else if (err) {
    bump(gen, DROP_COUNTS_FULL);
  }
}

SEC("perf_event")
int on_sample(struct bpf_perf_event_data *ctx) {
  __u64 id = bpf_get_current_pid_tgid();
  __u32 tgid = id >> 32, tid = (__u32)id;
  __u32 zero = 0;

  if (tid == 0) /* the idle task */
    return 0;
  struct settings *s = bpf_map_lookup_elem(&settings, &zero);
  if (!s)
    return 0;
  if (!s->whole_system && !bpf_map_lookup_elem(&targets, &tgid))
    return 0;
  __u32 gen = s->gen & 1;
  bump(gen, DROP_SAMPLES);

  struct count_key key = {};
  key.tgid = tgid;
  key.tid = tid;
  if (gen) {
    key.kstack = stack_id(ctx, &stacks1, &ovf1, 0, 1, DROP_KSTACK);
    key.ustack = stack_id(ctx, &stacks1, &ovf1, BPF_F_USER_STACK, 1, DROP_USTACK);
  } else {
    key.kstack = stack_id(ctx, &stacks0, &ovf0, 0, 0, DROP_KSTACK);
    key.ustack = stack_id(ctx, &stacks0, &ovf0, BPF_F_USER_STACK, 0, DROP_USTACK);
  }

  struct task_struct *task = (struct task_struct *)bpf_get_current_task();
  bpf_get_current_comm(key.comm, sizeof(key.comm));
  BPF_CORE_READ_INTO(&key.pcomm, task, group_leader, comm);

  struct py_cfg *cfg = bpf_map_lookup_elem(&pycfg, &tgid);
  if (cfg) {
    struct py_stack *st = bpf_map_lookup_elem(&pyscratch, &zero);
    if (!st)
      return 0;
    st->depth = 0;
    struct walk_ctx w = {};
    __u32 status = walk_python(task, cfg, &w);
    st->status = status;
    if (st->depth > 0) {
      __u64 h = (w.hash ^ st->depth ^ ((__u64)status << 40)) * HASH_MUL;
      if (!h)
        h = 1;
      void *pystacks = gen ? (void *)&pystacks1 : (void *)&pystacks0;
      long err = 0;
      if (!bpf_map_lookup_elem(pystacks, &h))
        err = bpf_map_update_elem(pystacks, &h, st, BPF_NOEXIST);
      if (err && err != -EEXIST) /* -E2BIG: map full (another CPU inserting the same stack gives -EEXIST) */
        status = PY_STACK_FULL;
      else
        key.pyhash = h;
    }
    if (status != PY_OK && status < PY_STATUS_MAX)
      bump(gen, DROP_PY_BASE + status);
    key.pystatus = status;
  }

  count(gen ? (void *)&counts1 : (void *)&counts0, &key, gen);
  return 0;
}
