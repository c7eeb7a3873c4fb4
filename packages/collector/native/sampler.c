// SPDX-License-Identifier: GPL-2.0
/* perforator-sampler: loads sampler.bpf.c, attaches it to one cpu-clock perf event per online CPU and speaks the
 * line protocol described in PROTOCOL.md on stdin/stdout. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <linux/types.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

typedef __u32 u32;
typedef __u64 u64;

#include "sampler.h"
#include "sampler.skel.h"

#define MAX_CPUS 1024

static struct sampler_bpf *skel;
static struct bpf_link *links[MAX_CPUS];
static int perf_fds[MAX_CPUS];
static int n_events;
static struct settings cur_settings;
static int n_possible_cpus;

static const char *drop_names[DROP_MAX] = {
    [DROP_SAMPLES] = "samples",
    [DROP_PY_BASE + PY_NO_TSTATE] = "py_no_tstate",
    [DROP_PY_BASE + PY_TSD_READ] = "py_tsd_read",
    [DROP_PY_BASE + PY_FRAME_READ] = "py_frame_read",
    [DROP_PY_BASE + PY_CODE_READ] = "py_code_read",
    [DROP_PY_BASE + PY_TRUNCATED] = "py_truncated",
    [DROP_PY_BASE + PY_STACK_FULL] = "py_stack_full",
    [DROP_KSTACK] = "kstack_error",
    [DROP_USTACK] = "ustack_error",
    [DROP_STACK_COLLISION] = "stack_collision",
    [DROP_STACK_FULL] = "stack_map_full",
    [DROP_COUNTS_FULL] = "counts_map_full",
};

static const char *errno_name(int e) {
  switch (e) {
  case EPERM: return "EPERM";
  case EACCES: return "EACCES";
  case ENOENT: return "ENOENT";
  case EINVAL: return "EINVAL";
  case ENOMEM: return "ENOMEM";
  case E2BIG: return "E2BIG";
  case ENODEV: return "ENODEV";
  case EBUSY: return "EBUSY";
  case ENOSYS: return "ENOSYS";
  case EOPNOTSUPP: return "EOPNOTSUPP";
  default: return "EOTHER";
  }
}

/* Fatal error: one machine-readable line, then exit. Privilege errors exit with 1, everything else with 2. */
static void fatal(int err, const char *stage, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  for (char *p = msg; *p; p++)
    if (*p == '\n')
      *p = ' ';
  printf("error %s %s %s\n", errno_name(err), stage, msg);
  fflush(stdout);
  exit(err == EPERM || err == EACCES ? 1 : 2);
}

/* Per-command failure: the sampler keeps running. */
static void fail(const char *cmd, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  printf("fail %s %s\n", cmd, msg);
  fflush(stdout);
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list args) {
  if (level == LIBBPF_DEBUG)
    return 0;
  return vfprintf(stderr, fmt, args);
}

static void write_settings(void) {
  u32 zero = 0;
  if (bpf_map_update_elem(bpf_map__fd(skel->maps.settings), &zero, &cur_settings, BPF_ANY))
    fatal(errno, "settings", "cannot update the settings map: %s", strerror(errno));
}

/* Parses /sys/devices/system/cpu/online ("0-3,5") into a flag array; returns the number of entries set. */
static int online_cpus(char *online, int max) {
  FILE *f = fopen("/sys/devices/system/cpu/online", "r");
  int n = 0;
  memset(online, 0, max);
  if (!f) {
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 0; i < c && i < max; i++, n++)
      online[i] = 1;
    return n;
  }
  char buf[1024];
  if (fgets(buf, sizeof(buf), f)) {
    char *p = buf;
    while (*p && *p != '\n') {
      long a = strtol(p, &p, 10), b = a;
      if (*p == '-')
        b = strtol(p + 1, &p, 10);
      for (long i = a; i <= b && i < max; i++)
        if (!online[i]) {
          online[i] = 1;
          n++;
        }
      if (*p == ',')
        p++;
      else
        break;
    }
  }
  fclose(f);
  return n;
}

static void attach_events(int freq) {
  static char online[MAX_CPUS];
  online_cpus(online, MAX_CPUS);
  for (int cpu = 0; cpu < MAX_CPUS; cpu++) {
    if (!online[cpu])
      continue;
    struct perf_event_attr attr = {
        .type = PERF_TYPE_SOFTWARE,
        .config = PERF_COUNT_SW_CPU_CLOCK,
        .size = sizeof(attr),
        .freq = 1,
        .sample_freq = (u64)freq,
    };
    int fd = (int)syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
      if (errno == ENODEV) /* went offline meanwhile */
        continue;
      fatal(errno, "perf_event_open", "perf_event_open(cpu-clock, cpu %d, %d Hz) failed: %s", cpu, freq,
            strerror(errno));
    }
    struct bpf_link *l = bpf_program__attach_perf_event(skel->progs.on_sample, fd);
    if (!l) {
      int e = errno;
      close(fd);
      fatal(e, "attach", "attaching the BPF program to the perf event on cpu %d failed: %s", cpu, strerror(e));
    }
    perf_fds[n_events] = fd;
    links[n_events++] = l;
  }
  if (n_events == 0)
    fatal(ENODEV, "perf_event_open", "no online CPU could be sampled");
}

static int parse_u32(const char *s, u32 *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 0);
  if (errno || end == s || *end || v > UINT32_MAX)
    return -1;
  *out = (u32)v;
  return 0;
}

/*
 * Exit watch: a pidfd per process given with `pid`/`py` (Linux >= 5.3). A pidfd becomes readable when its process
 * exits, so the main loop's poll() reports an exit the moment it happens (`exit <tgid>`) and the TypeScript side does
 * not have to wake up every second to look at /proc. Without pidfds (kernels before 5.3) `ready` says exitwatch=0
 * and the caller polls /proc instead.
 */
static struct {
  u32 tgid;
  int fd;
} watched[TARGET_MAP_ENTRIES];
static int n_watched;
static int exit_watch; /* pidfd_open works here */

static int pidfd_open_(u32 tgid) {
#ifdef __NR_pidfd_open
  return (int)syscall(__NR_pidfd_open, (pid_t)tgid, 0);
#else
  errno = ENOSYS;
  return -1;
#endif
}

static void unwatch(u32 tgid) {
  for (int i = 0; i < n_watched; i++)
    if (watched[i].tgid == tgid) {
      close(watched[i].fd);
      watched[i] = watched[--n_watched];
      return;
    }
}

/* Starts watching `tgid` for its exit; a process that is already gone is reported right away. */
static void watch(u32 tgid) {
  if (!exit_watch)
    return;
  for (int i = 0; i < n_watched; i++)
    if (watched[i].tgid == tgid)
      return;
  int fd = pidfd_open_(tgid);
  if (fd < 0) {
    if (errno == ESRCH)
      printf("exit %u\n", tgid);
    return;
  }
  if (n_watched == TARGET_MAP_ENTRIES) {
    close(fd);
    return;
  }
  watched[n_watched].tgid = tgid;
  watched[n_watched++].fd = fd;
}

static void cmd_pid(char *arg, int add) {
  u32 tgid;
  const char *cmd = add ? "pid" : "unpid";
  if (!arg || parse_u32(arg, &tgid) || tgid == 0) {
    fail(cmd, "expected a process id, got '%s'", arg ? arg : "");
    return;
  }
  if (add) {
    __u8 one = 1;
    if (bpf_map_update_elem(bpf_map__fd(skel->maps.targets), &tgid, &one, BPF_ANY)) {
      fail(cmd, "cannot add %u to the target map (%s; at most %d processes)", tgid, strerror(errno),
           TARGET_MAP_ENTRIES);
      return;
    }
  } else {
    bpf_map_delete_elem(bpf_map__fd(skel->maps.targets), &tgid);
    bpf_map_delete_elem(bpf_map__fd(skel->maps.pycfg), &tgid);
  }
  printf("ok %s %u\n", cmd, tgid);
  if (add)
    watch(tgid);
  else
    unwatch(tgid);
  fflush(stdout);
}

struct cfg_field {
  const char *name;
  size_t off;
  int kind; /* 0: s32, 1: u32, 2: u64 */
};

#define F(n, m, k) {n, offsetof(struct py_cfg, m), k}
static const struct cfg_field cfg_fields[] = {
    F("versionHex", version_hex, 1),
    F("tssKey", tss_key, 1),
    F("tsdStaticOffset", tsd_static_off, 0),
    F("tsdDynamicOffset", tsd_dynamic_off, 0),
    F("tstateCurrentFrame", tstate_current_frame, 0),
    F("cframeCurrentFrame", cframe_current_frame, 0),
    F("frameCode", frame_code, 0),
    F("framePrevious", frame_previous, 0),
    F("frameInstr", frame_instr, 0),
    F("frameOwner", frame_owner, 0),
    F("frameIsEntry", frame_is_entry, 0),
    F("codeAdaptive", code_adaptive, 0),
    F("codeVersion", code_version, 0),
    F("codeFirstLineNo", code_firstlineno, 0),
    F("noneAddr", none_addr, 2),
    F("ownerCStack", owner_cstack, 0),
};
#define N_CFG_FIELDS (sizeof(cfg_fields) / sizeof(cfg_fields[0]))

static void cmd_py(char *rest) {
  char *save = NULL;
  char *tok = strtok_r(rest, " \t", &save);
  u32 tgid;
  if (!tok || parse_u32(tok, &tgid) || tgid == 0) {
    fail("py", "expected 'py <pid> key=value ...', got pid '%s'", tok ? tok : "");
    return;
  }
  struct py_cfg cfg;
  memset(&cfg, 0, sizeof(cfg));
  unsigned seen = 0;
  while ((tok = strtok_r(NULL, " \t", &save))) {
    char *eq = strchr(tok, '=');
    if (!eq) {
      fail("py", "expected key=value, got '%s'", tok);
      return;
    }
    *eq = 0;
    size_t i;
    for (i = 0; i < N_CFG_FIELDS; i++)
      if (!strcmp(cfg_fields[i].name, tok))
        break;
    if (i == N_CFG_FIELDS) {
      fail("py", "unknown key '%s'", tok);
      return;
    }
    char *end;
    errno = 0;
    const char *v = eq + 1;
    char *dst = (char *)&cfg + cfg_fields[i].off;
    if (cfg_fields[i].kind == 2) {
      unsigned long long x = strtoull(v, &end, 0);
      if (errno || end == v || *end) {
        fail("py", "bad value for %s: '%s'", tok, v);
        return;
      }
      u64 y = x;
      memcpy(dst, &y, 8);
    } else {
      long long x = strtoll(v, &end, 0);
      if (errno || end == v || *end || x < INT32_MIN || x > (long long)UINT32_MAX ||
          (cfg_fields[i].kind == 0 && x > INT32_MAX)) {
        fail("py", "bad value for %s: '%s'", tok, v);
        return;
      }
      int32_t y = (int32_t)(uint32_t)x;
      memcpy(dst, &y, 4);
    }
    seen |= 1u << i;
  }
  for (size_t i = 0; i < N_CFG_FIELDS; i++)
    if (!(seen & (1u << i))) {
      fail("py", "missing key %s", cfg_fields[i].name);
      return;
    }
  if (bpf_map_update_elem(bpf_map__fd(skel->maps.pycfg), &tgid, &cfg, BPF_ANY)) {
    fail("py", "cannot store the Python config for %u: %s", tgid, strerror(errno));
    return;
  }
  __u8 one = 1;
  if (bpf_map_update_elem(bpf_map__fd(skel->maps.targets), &tgid, &one, BPF_ANY)) {
    fail("py", "cannot add %u to the target map: %s", tgid, strerror(errno));
    return;
  }
  printf("ok py %u\n", tgid);
  watch(tgid);
  fflush(stdout);
}

static void print_hex_str(const char *s, size_t n) {
  size_t len = strnlen(s, n);
  if (!len) {
    fputc('-', stdout);
    return;
  }
  for (size_t i = 0; i < len; i++)
    printf("%02x", (unsigned char)s[i]);
}

static void print_native(int map_fd, int ovf_fd, int32_t id) {
  static u64 ips[MAX_STACK_DEPTH];
  if (id >= STACK_MAP_ENTRIES) {
    map_fd = ovf_fd;
    id -= STACK_MAP_ENTRIES;
  }
  if (id < 0 || bpf_map_lookup_elem(map_fd, &id, ips)) {
    fputc('-', stdout);
    return;
  }
  int n = 0;
  for (int i = 0; i < MAX_STACK_DEPTH && ips[i]; i++, n++)
    printf(i ? ",%" PRIx64 : "%" PRIx64, (uint64_t)ips[i]);
  if (!n)
    fputc('-', stdout);
}

static void print_python(int map_fd, u64 hash) {
  static struct py_stack st;
  if (!hash || bpf_map_lookup_elem(map_fd, &hash, &st) || st.depth == 0) {
    fputc('-', stdout);
    return;
  }
  for (u32 i = 0; i < st.depth && i < MAX_PY_FRAMES; i++) {
    struct py_frame *f = &st.frames[i];
    printf("%s%" PRIx64 ":%d:%u:%u", i ? "," : "", (uint64_t)f->code, f->instr, f->guard, f->flags);
  }
}

/* Deletes every key of a map. Keys are collected first: deleting while iterating would restart the walk. */
static void clear_map(int fd, size_t key_size, size_t max_entries) {
  char *keys = malloc(key_size * max_entries);
  char *prev = NULL;
  size_t n = 0;
  if (!keys)
    fatal(ENOMEM, "flush", "out of memory");
  while (n < max_entries && !bpf_map_get_next_key(fd, prev, keys + n * key_size)) {
    prev = keys + n * key_size;
    n++;
  }
  for (size_t i = 0; i < n; i++)
    bpf_map_delete_elem(fd, keys + i * key_size);
  free(keys);
}

/* Drops traced processes that no longer exist, so a recycled pid is not sampled by mistake, and reports them. */
static void forget_exited(void) {
  static u32 tgids[TARGET_MAP_ENTRIES];
  int fd = bpf_map__fd(skel->maps.targets);
  size_t n = 0;
  u32 *prev = NULL;
  while (n < TARGET_MAP_ENTRIES && !bpf_map_get_next_key(fd, prev, &tgids[n])) {
    prev = &tgids[n];
    n++;
  }
  for (size_t i = 0; i < n; i++) {
    char path[32];
    snprintf(path, sizeof(path), "/proc/%u", tgids[i]);
    if (access(path, F_OK) == 0 || errno != ENOENT)
      continue;
    bpf_map_delete_elem(fd, &tgids[i]);
    bpf_map_delete_elem(bpf_map__fd(skel->maps.pycfg), &tgids[i]);
    unwatch(tgids[i]);
    printf("gone %u\n", tgids[i]);
  }
}

static void cmd_flush(void) {
  static struct count_key keys[COUNT_MAP_ENTRIES];
  u32 old = cur_settings.gen & 1;
  cur_settings.gen = old ^ 1;
  write_settings();
  /* Let programs that read the old generation before the switch finish (they run for microseconds). */
  struct timespec ts = {0, 2 * 1000 * 1000};
  nanosleep(&ts, NULL);

  int counts_fd = bpf_map__fd(old ? skel->maps.counts1 : skel->maps.counts0);
  int stacks_fd = bpf_map__fd(old ? skel->maps.stacks1 : skel->maps.stacks0);
  int ovf_fd = bpf_map__fd(old ? skel->maps.ovf1 : skel->maps.ovf0);
  int py_fd = bpf_map__fd(old ? skel->maps.pystacks1 : skel->maps.pystacks0);

  size_t n = 0;
  struct count_key *prev = NULL;
  while (n < COUNT_MAP_ENTRIES && !bpf_map_get_next_key(counts_fd, prev, &keys[n])) {
    prev = &keys[n];
    n++;
  }
  size_t printed = 0;
  for (size_t i = 0; i < n; i++) {
    struct count_key *k = &keys[i];
    u64 count = 0;
    if (bpf_map_lookup_elem(counts_fd, k, &count) || count == 0)
      continue;
    printf("s %u %u %" PRIu64 " %u ", k->tgid, k->tid, (uint64_t)count, k->pystatus);
    print_hex_str(k->comm, COMM_LEN);
    fputc(' ', stdout);
    print_hex_str(k->pcomm, COMM_LEN);
    fputc(' ', stdout);
    print_native(stacks_fd, ovf_fd, k->kstack);
    fputc(' ', stdout);
    print_native(stacks_fd, ovf_fd, k->ustack);
    fputc(' ', stdout);
    print_python(py_fd, k->pyhash);
    fputc('\n', stdout);
    printed++;
  }
  for (size_t i = 0; i < n; i++)
    bpf_map_delete_elem(counts_fd, &keys[i]);
  clear_map(stacks_fd, sizeof(u32), STACK_MAP_ENTRIES);
  clear_map(ovf_fd, sizeof(u32), OVF_STACK_MAP_ENTRIES);
  clear_map(py_fd, sizeof(u64), PYSTACK_MAP_ENTRIES);
  forget_exited();

  /* Counters of the old generation: sum over CPUs, then reset them for its next turn. */
  u64 totals[DROP_MAX] = {0};
  u64 *vals = calloc((size_t)n_possible_cpus, sizeof(u64));
  u64 *zeros = calloc((size_t)n_possible_cpus, sizeof(u64));
  if (!vals || !zeros)
    fatal(ENOMEM, "flush", "out of memory");
  int drops_fd = bpf_map__fd(skel->maps.drops);
  for (u32 r = 0; r < DROP_MAX; r++) {
    u32 idx = old * DROP_MAX + r;
    if (bpf_map_lookup_elem(drops_fd, &idx, vals))
      continue;
    for (int c = 0; c < n_possible_cpus; c++)
      totals[r] += vals[c];
    bpf_map_update_elem(drops_fd, &idx, zeros, BPF_ANY);
  }
  free(vals);
  free(zeros);
  printf("drops lost=%" PRIu64, (uint64_t)totals[DROP_COUNTS_FULL]);
  for (u32 r = 0; r < DROP_MAX; r++)
    if (drop_names[r])
      printf(" %s=%" PRIu64, drop_names[r], (uint64_t)totals[r]);
  printf("\nend %zu\n", printed);
  fflush(stdout);
}

/* Runs one command line (without its newline); returns 1 for `quit`. */
static int run_command(char *line, size_t len) {
  while (len > 0 && isspace((unsigned char)line[len - 1]))
    line[--len] = 0;
  char *arg = strchr(line, ' ');
  if (arg)
    *arg++ = 0;
  if (!strcmp(line, "pid"))
    cmd_pid(arg, 1);
  else if (!strcmp(line, "unpid"))
    cmd_pid(arg, 0);
  else if (!strcmp(line, "py"))
    cmd_py(arg ? arg : (char *)"");
  else if (!strcmp(line, "all")) {
    cur_settings.whole_system = arg && !strcmp(arg, "1");
    write_settings();
    printf("ok all %u\n", cur_settings.whole_system);
    fflush(stdout);
  } else if (!strcmp(line, "flush"))
    cmd_flush();
  else if (!strcmp(line, "quit"))
    return 1;
  else if (len > 0)
    fail(line, "unknown command (expected pid, unpid, py, all, flush or quit)");
  return 0;
}

static void usage(void) {
  fprintf(stderr, "usage: perforator-sampler [--freq HZ] [--all]\n"
                  "Reads commands on stdin and writes records on stdout; see PROTOCOL.md.\n");
  exit(2);
}

int main(int argc, char **argv) {
  int freq = 99;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--freq") && i + 1 < argc) {
      freq = atoi(argv[++i]);
      if (freq <= 0)
        usage();
    } else if (!strcmp(argv[i], "--all")) {
      cur_settings.whole_system = 1;
    } else {
      usage();
    }
  }
  signal(SIGPIPE, SIG_IGN);
  libbpf_set_print(libbpf_log);

  n_possible_cpus = libbpf_num_possible_cpus();
  if (n_possible_cpus <= 0)
    fatal(-n_possible_cpus, "cpus", "cannot read the number of possible CPUs");

  skel = sampler_bpf__open();
  if (!skel)
    fatal(errno, "open", "cannot open the BPF object: %s", strerror(errno));
  int err = sampler_bpf__load(skel);
  if (err)
    fatal(-err, "load", "loading the BPF program failed: %s", strerror(-err));
  write_settings();
  attach_events(freq);

  struct bpf_prog_info info;
  __u32 info_len = sizeof(info);
  memset(&info, 0, sizeof(info));
  if (bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.on_sample), &info, &info_len))
    info.id = 0;
  int self = pidfd_open_((u32)getpid());
  exit_watch = self >= 0;
  if (self >= 0)
    close(self);
  printf("ready cpus=%d freq=%d prog=%u exitwatch=%d\n", n_events, freq, info.id, exit_watch);
  fflush(stdout);

  /* Commands come on stdin; exits of watched processes on their pidfds. Both wake the same poll(). */
  static char buf[1 << 16];
  static struct pollfd fds[1 + TARGET_MAP_ENTRIES];
  size_t have = 0;
  int quit = 0;
  while (!quit) {
    int n = 0;
    fds[n++] = (struct pollfd){.fd = STDIN_FILENO, .events = POLLIN};
    for (int i = 0; i < n_watched; i++)
      fds[n++] = (struct pollfd){.fd = watched[i].fd, .events = POLLIN};
    if (poll(fds, (nfds_t)n, -1) < 0) {
      if (errno == EINTR)
        continue;
      fatal(errno, "poll", "poll failed: %s", strerror(errno));
    }
    /* Exits first: from the last entry down, since unwatch() moves the last entry into the freed slot. */
    for (int i = n - 1; i >= 1; i--)
      if (fds[i].revents) {
        u32 tgid = watched[i - 1].tgid;
        unwatch(tgid);
        printf("exit %u\n", tgid);
      }
    fflush(stdout);
    if (!fds[0].revents)
      continue;
    ssize_t got = read(STDIN_FILENO, buf + have, sizeof(buf) - 1 - have);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break; /* EOF (or error) on stdin: same as quit */
    have += (size_t)got;
    char *start = buf, *nl;
    while (!quit && (nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
      *nl = 0;
      quit = run_command(start, (size_t)(nl - start));
      start = nl + 1;
    }
    have -= (size_t)(start - buf);
    memmove(buf, start, have);
    if (have == sizeof(buf) - 1) {
      fail("?", "command longer than %zu bytes ignored", sizeof(buf) - 1);
      have = 0;
    }
  }
  for (int i = 0; i < n_events; i++) {
    bpf_link__destroy(links[i]);
    close(perf_fds[i]);
  }
  sampler_bpf__destroy(skel);
  printf("bye\n");
  fflush(stdout);
  return 0;
}
