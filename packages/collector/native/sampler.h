/* Types shared by the BPF program (sampler.bpf.c) and its loader (sampler.c).
 * Both sides include this after their own integer typedefs (__u32, __u64, __s32). */
#ifndef PERFORATOR_SAMPLER_H
#define PERFORATOR_SAMPLER_H

#define MAX_PY_FRAMES 128        /* Python frames recorded per sample */
#define MAX_STACK_DEPTH 127      /* native frames per stack (kernel limit for stack maps) */
#define STACK_MAP_ENTRIES 16384  /* distinct native stacks per generation (about 17 MB each) */
#define OVF_STACK_MAP_ENTRIES 4096 /* second-chance map for stacks whose bucket is taken in the main one */
#define COUNT_MAP_ENTRIES 16384  /* distinct aggregated keys per generation */
#define PYSTACK_MAP_ENTRIES 2048 /* distinct Python stacks per generation */
#define TARGET_MAP_ENTRIES 4096  /* traced tgids */
#define COMM_LEN 16

/* RawPyFrame.flags */
#define PY_FRAME_ENTRY 1 /* 3.11: frame->is_entry (first frame of a _PyEval_EvalFrameDefault call) */
#define PY_FRAME_SHIM 2  /* 3.12+: owner == FRAME_OWNED_BY_CSTACK (or 3.13 f_executable == None); codeAddr = 0 */

/* RawStack.pyStatus: why the Python walk stopped early (0 = ok or not a Python process). */
enum py_status {
  PY_OK = 0,
  PY_NO_TSTATE = 1,   /* the thread has no PyThreadState (a thread Python does not know about) */
  PY_TSD_READ = 2,    /* reading the glibc thread-specific-data slot failed (page not resident) */
  PY_FRAME_READ = 3,  /* reading tstate/cframe/a frame failed */
  PY_CODE_READ = 4,   /* reading a code object failed */
  PY_TRUNCATED = 5,   /* more than MAX_PY_FRAMES frames: the root-most ones are missing */
  PY_STACK_FULL = 6,  /* the Python stack map was full: frames were not stored */
  PY_STATUS_MAX = 7,
};

/* Per-CPU counters (index into the `drops` array). Indexes 1..6 mirror enum py_status. */
enum drop_reason {
  DROP_SAMPLES = 0,       /* not a drop: samples taken for traced tasks */
  DROP_PY_BASE = 0,       /* DROP_PY_BASE + py_status */
  DROP_KSTACK = 8,        /* bpf_get_stackid(kernel) failed for a reason other than "no kernel stack" */
  DROP_USTACK = 9,        /* bpf_get_stackid(user) failed for a reason other than "no user stack" */
  DROP_STACK_COLLISION = 10, /* -EEXIST: other stacks already hold this hash bucket in both stack maps */
  DROP_STACK_FULL = 11,   /* -ENOMEM: stack map full */
  DROP_COUNTS_FULL = 12,  /* aggregation map full: the sample is lost */
  DROP_MAX = 13,
};

struct py_cfg {
  __u32 version_hex;
  __u32 tss_key;
  __s32 tsd_static_off;
  __s32 tsd_dynamic_off;
  __s32 tstate_current_frame; /* 3.13: tstate.current_frame; 3.11/3.12: tstate.cframe */
  __s32 cframe_current_frame; /* 3.11/3.12: _PyCFrame.current_frame; -1 on 3.13 */
  __s32 frame_code;
  __s32 frame_previous;
  __s32 frame_instr;
  __s32 frame_owner;
  __s32 frame_is_entry; /* 3.11 only, else -1 */
  __s32 code_adaptive;
  __s32 code_version; /* -1 on 3.11 */
  __s32 code_firstlineno;
  __s32 owner_cstack;
  __u32 _pad;
  __u64 none_addr; /* 3.13: &_Py_NoneStruct, else 0 */
};

struct py_frame {
  __u64 code;   /* PyCodeObject*, 0 for a shim */
  __s32 instr;  /* byte offset of the current instruction in co_code_adaptive */
  __u32 guard;  /* co_version (3.12+) or co_firstlineno (3.11) */
  __u32 flags;  /* PY_FRAME_* */
  __u32 _pad;
};

struct py_stack {
  __u32 depth;
  __u32 status;
  struct py_frame frames[MAX_PY_FRAMES];
};

/* Aggregation key: one counter per distinct combination. */
struct count_key {
  __u32 tgid;
  __u32 tid;
  __s32 kstack; /* stack id, or STACK_MAP_ENTRIES + id in the overflow map, or -1 */
  __s32 ustack; /* same */
  __u64 pyhash; /* key into the Python stack map, 0 = no Python frames */
  __u32 pystatus;
  __u32 _pad;
  char comm[COMM_LEN];   /* task->comm */
  char pcomm[COMM_LEN];  /* task->group_leader->comm */
};

struct settings {
  __u32 whole_system; /* 1: sample every task, ignore `targets` */
  __u32 gen;          /* which generation of maps the BPF side writes to (0 or 1) */
};

#endif
