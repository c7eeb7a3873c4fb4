// Contract types of the sampler (docs/CONTRACTS.md). Keep them identical to the contract.

export interface RawPyFrame {
  codeAddr: bigint; // PyCodeObject* in the target; 0n for a C-stack shim/boundary marker
  instrOffset: number; // bytes: instr_ptr/prev_instr - (code + co_code_adaptive); may be -2 for a fresh frame
  guard: number; // co_version (3.12+) or co_firstlineno (3.11), read in BPF, to detect a reused address
  flags: number; // PY_FRAME_ENTRY=1 (3.11 is_entry), PY_FRAME_SHIM=2 (owner==FRAME_OWNED_BY_CSTACK)
}

export interface RawStack {
  pid: number;
  tid: number;
  threadName: string; // task->comm
  processName: string; // task->group_leader->comm
  count: number;
  kernel: bigint[]; // leaf first
  user: bigint[]; // leaf first (frame-pointer walk; [0] is the sampled IP)
  python: RawPyFrame[]; // leaf first
  pyStatus: number; // 0 = not python / ok; >0 = why the python walk stopped early (see native/PROTOCOL.md)
}

export interface PyBpfConfig {
  // everything BPF needs, no offsets hard-coded in BPF
  versionHex: number;
  tssKey: number; // value of _PyRuntime.autoTSSkey._key read from the target
  tsdStaticOffset: number; // glibc struct pthread: specific_1stblock (0x310 on glibc 2.36 x86_64)
  tsdDynamicOffset: number; // glibc struct pthread: specific[] (0x510)
  tstateCurrentFrame: number; // 3.13: tstate.current_frame; 3.11/3.12: tstate.cframe
  cframeCurrentFrame: number; // 3.11/3.12: _PyCFrame.current_frame; -1 on 3.13
  frameCode: number;
  framePrevious: number;
  frameInstr: number;
  frameOwner: number;
  frameIsEntry: number; // 3.11 only, else -1
  codeAdaptive: number;
  codeVersion: number /* -1 on 3.11 */;
  codeFirstLineNo: number;
  noneAddr: bigint; // &_Py_NoneStruct (3.13 shim: f_executable == None), 0n if n/a
  ownerCStack: number; // 3
}

/** RawPyFrame.flags bits. */
export const PY_FRAME_ENTRY = 1;
export const PY_FRAME_SHIM = 2;

/** RawStack.pyStatus values (native/PROTOCOL.md). */
export const PyStatus = {
  ok: 0,
  noThreadState: 1,
  tsdRead: 2,
  frameRead: 3,
  codeRead: 4,
  truncated: 5,
  stackMapFull: 6,
} as const;
