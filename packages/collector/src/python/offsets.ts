/**
 * THE table of CPython struct offsets this collector relies on (x86_64, glibc, default GIL build).
 *
 * Every number is measured by compiling `offsetof()` against each version's internal headers
 * (Include/internal/pycore_*.h) with tools/offsets: `pnpm --filter @perforator/collector offsets -- <CPython source
 * tree or include dir>` prints a table in this format, and src/python/offsets-tool.test.ts checks that it reproduces
 * every row below from the headers of pyenv 3.11.7, 3.12.1 and 3.13.0. Each row is re-verified by walking live
 * processes through /proc/PID/mem (src/python/*.test.ts: 3.11.7, 3.12.1, 3.13.0 and Debian's python3.11 = 3.11.2).
 * For 3.13, `_Py_DebugOffsets` (the first field of _PyRuntime) is read from the live process and compared with this
 * table before use (see debug-offsets.ts). docs/python-offsets.md explains the table.
 */
import type { PyBpfConfig } from "../sampler/types.js";

export interface PyOffsets {
  /** _PyRuntimeState */
  runtime: {
    /** interpreters.head (PyInterpreterState*) */
    interpretersHead: number;
    /** Py_tss_t autoTSSkey (3.11: gilstate.autoTSSkey); `_key` (int) is at +4 after `_is_initialized`. */
    autoTSSkey: number;
  };
  /** PyInterpreterState */
  interp: { next: number; threadsHead: number };
  /** PyThreadState */
  tstate: {
    next: number;
    interp: number;
    /** 3.11/3.12: `cframe` (_PyCFrame*); 3.13: `current_frame` (_PyInterpreterFrame*). */
    currentFrame: number;
    /** pthread_t == the thread's fsbase on glibc x86_64 */
    threadId: number;
    nativeThreadId: number;
  };
  /** _PyCFrame.current_frame; -1 on 3.13 (no _PyCFrame). */
  cframeCurrentFrame: number;
  /** _PyInterpreterFrame */
  frame: {
    /** 3.11/3.12 f_code, 3.13 f_executable */
    code: number;
    previous: number;
    /** 3.11/3.12 prev_instr, 3.13 instr_ptr */
    instr: number;
    owner: number;
    /** 3.11 is_entry (char); -1 later */
    isEntry: number;
  };
  /** PyCodeObject */
  code: {
    firstLineNo: number;
    /** co_version (uint32); -1 on 3.11 */
    version: number;
    filename: number;
    name: number;
    qualname: number;
    linetable: number;
    firstTraceable: number;
    codeAdaptive: number;
  };
  /** PyObject.ob_type */
  obType: number;
  /** PyBytesObject */
  bytes: { size: number; sval: number };
  /** PyASCIIObject / PyCompactUnicodeObject / PyUnicodeObject */
  unicode: { length: number; state: number; asciiData: number; compactData: number; nonCompactData: number };
  /** _PyInterpreterFrame.owner == FRAME_OWNED_BY_CSTACK (3.12+; never seen on 3.11) */
  ownerCStack: number;
}

/** glibc 2.36 x86_64 `struct pthread`: specific_1stblock and specific[] (verified by detectPython on live processes). */
export const GLIBC_TSD_STATIC = 0x310;
export const GLIBC_TSD_DYNAMIC = 0x510;

const PY311: PyOffsets = {
  runtime: {
    interpretersHead: 0x28, // _PyRuntimeState.interpreters.head, pycore_runtime.h (40)
    autoTSSkey: 0x250, // _PyRuntimeState.gilstate.autoTSSkey, pycore_gil.h/_gilstate_runtime_state (592)
  },
  interp: {
    next: 0x0, // PyInterpreterState.next, pycore_interp.h (0)
    threadsHead: 0x10, // PyInterpreterState.threads.head (16)
  },
  tstate: {
    next: 0x8, // PyThreadState.next, cpython/pystate.h (8)
    interp: 0x10, // PyThreadState.interp (16)
    currentFrame: 0x38, // PyThreadState.cframe (56)
    threadId: 0x98, // PyThreadState.thread_id (152)
    nativeThreadId: 0xa0, // PyThreadState.native_thread_id (160)
  },
  cframeCurrentFrame: 0x8, // _PyCFrame.current_frame after use_tracing + padding, cpython/pystate.h (8)
  frame: {
    code: 0x20, // _PyInterpreterFrame.f_code, pycore_frame.h (32)
    previous: 0x30, // _PyInterpreterFrame.previous (48)
    instr: 0x38, // _PyInterpreterFrame.prev_instr (56)
    owner: 0x45, // _PyInterpreterFrame.owner (69)
    isEntry: 0x44, // _PyInterpreterFrame.is_entry (68)
  },
  code: {
    firstLineNo: 0x48, // PyCodeObject.co_firstlineno, cpython/code.h (72)
    version: -1, // no co_version before 3.12
    filename: 0x70, // co_filename (112)
    name: 0x78, // co_name (120)
    qualname: 0x80, // co_qualname (128)
    linetable: 0x88, // co_linetable (136)
    firstTraceable: 0xa8, // _co_firsttraceable (168)
    codeAdaptive: 0xb8, // co_code_adaptive (184)
  },
  obType: 0x8, // PyObject.ob_type, object.h (8)
  bytes: { size: 0x10, sval: 0x20 }, // PyVarObject.ob_size (16), PyBytesObject.ob_sval (32)
  unicode: {
    length: 0x10, // PyASCIIObject.length (16)
    state: 0x20, // PyASCIIObject.state (32)
    asciiData: 48, // sizeof(PyASCIIObject) (48: still has wstr in 3.11)
    compactData: 72, // sizeof(PyCompactUnicodeObject) (72)
    nonCompactData: 72, // PyUnicodeObject.data (72)
  },
  ownerCStack: 3, // FRAME_OWNED_BY_CSTACK (pycore_frame.h 3.12+); 3.11 has owners 0..2 only
};

const PY312: PyOffsets = {
  runtime: {
    interpretersHead: 0x28, // _PyRuntimeState.interpreters.head (40)
    autoTSSkey: 0x608, // _PyRuntimeState.autoTSSkey, moved out of gilstate in 3.12 (1544)
  },
  interp: {
    next: 0x0, // PyInterpreterState.next (0)
    threadsHead: 0x48, // PyInterpreterState.threads.head (72)
  },
  tstate: {
    next: 0x8, // PyThreadState.next (8)
    interp: 0x10, // PyThreadState.interp (16)
    currentFrame: 0x38, // PyThreadState.cframe (56)
    threadId: 0x88, // PyThreadState.thread_id (136)
    nativeThreadId: 0x90, // PyThreadState.native_thread_id (144)
  },
  cframeCurrentFrame: 0x0, // _PyCFrame.current_frame, first field in 3.12 (0)
  frame: {
    code: 0x0, // _PyInterpreterFrame.f_code (0)
    previous: 0x8, // _PyInterpreterFrame.previous (8)
    instr: 0x38, // _PyInterpreterFrame.prev_instr (56)
    owner: 0x46, // _PyInterpreterFrame.owner (70)
    isEntry: -1, // removed in 3.12: activations end at shim frames (owner == FRAME_OWNED_BY_CSTACK)
  },
  code: {
    firstLineNo: 0x44, // co_firstlineno (68)
    version: 0x5c, // co_version (92)
    filename: 0x70, // co_filename (112)
    name: 0x78, // co_name (120)
    qualname: 0x80, // co_qualname (128)
    linetable: 0x88, // co_linetable (136)
    firstTraceable: 0xb0, // _co_firsttraceable (176)
    codeAdaptive: 0xc0, // co_code_adaptive (192)
  },
  obType: 0x8, // PyObject.ob_type (8)
  bytes: { size: 0x10, sval: 0x20 }, // ob_size (16), ob_sval (32)
  unicode: {
    length: 0x10, // PyASCIIObject.length (16)
    state: 0x20, // PyASCIIObject.state (32)
    asciiData: 40, // sizeof(PyASCIIObject) (40: wstr removed in 3.12)
    compactData: 56, // sizeof(PyCompactUnicodeObject) (56)
    nonCompactData: 56, // PyUnicodeObject.data (56)
  },
  ownerCStack: 3, // FRAME_OWNED_BY_CSTACK, pycore_frame.h
};

const PY313: PyOffsets = {
  runtime: {
    interpretersHead: 0x278, // _PyRuntimeState.interpreters.head (632; _Py_DebugOffsets agrees)
    autoTSSkey: 0x870, // _PyRuntimeState.autoTSSkey (2160; not in _Py_DebugOffsets)
  },
  interp: {
    next: 0x1c60, // PyInterpreterState.next (7264; debug offsets interpreter_state.next)
    threadsHead: 0x1cb0, // PyInterpreterState.threads.head (7344; debug offsets threads_head)
  },
  tstate: {
    next: 0x8, // PyThreadState.next (8)
    interp: 0x10, // PyThreadState.interp (16)
    currentFrame: 0x48, // PyThreadState.current_frame (72; _PyCFrame is gone in 3.13)
    threadId: 0x98, // PyThreadState.thread_id (152)
    nativeThreadId: 0xa0, // PyThreadState.native_thread_id (160)
  },
  cframeCurrentFrame: -1, // no _PyCFrame in 3.13
  frame: {
    code: 0x0, // _PyInterpreterFrame.f_executable (0)
    previous: 0x8, // _PyInterpreterFrame.previous (8)
    instr: 0x38, // _PyInterpreterFrame.instr_ptr (56)
    owner: 0x46, // _PyInterpreterFrame.owner (70)
    isEntry: -1, // none: activations end at shim frames (f_executable == Py_None, owner == CSTACK)
  },
  code: {
    firstLineNo: 0x44, // co_firstlineno (68)
    version: 0x5c, // co_version (92; not in _Py_DebugOffsets)
    filename: 0x70, // co_filename (112)
    name: 0x78, // co_name (120)
    qualname: 0x80, // co_qualname (128)
    linetable: 0x88, // co_linetable (136)
    firstTraceable: 0xb8, // _co_firsttraceable (184)
    codeAdaptive: 0xc8, // co_code_adaptive (200)
  },
  obType: 0x8, // PyObject.ob_type (8)
  bytes: { size: 0x10, sval: 0x20 }, // ob_size (16), ob_sval (32)
  unicode: {
    length: 0x10, // PyASCIIObject.length (16)
    state: 0x20, // PyASCIIObject.state (32)
    asciiData: 40, // sizeof(PyASCIIObject) (40; debug offsets unicode_object.asciiobject_size)
    compactData: 56, // sizeof(PyCompactUnicodeObject) (56)
    nonCompactData: 56, // PyUnicodeObject.data (56)
  },
  ownerCStack: 3, // FRAME_OWNED_BY_CSTACK, pycore_frame.h
};

/** Offsets by minor version of CPython 3. */
export const OFFSETS: Readonly<Record<number, PyOffsets>> = { 11: PY311, 12: PY312, 13: PY313 };

export const SUPPORTED_MINORS = Object.keys(OFFSETS).map(Number);

export function offsetsFor(major: number, minor: number): PyOffsets | undefined {
  return major === 3 ? OFFSETS[minor] : undefined;
}

/** What a process tells about its interpreter besides the struct offsets (detect.ts reads it from the process). */
export type PyProcessFacts = Pick<
  PyBpfConfig,
  "versionHex" | "tssKey" | "tsdStaticOffset" | "tsdDynamicOffset" | "noneAddr"
>;

/** The sampler's Python walker config (native/PROTOCOL.md, `py`) for an interpreter with offsets `o`. */
export function bpfConfigOf(o: PyOffsets, facts: PyProcessFacts): PyBpfConfig {
  return {
    ...facts,
    tstateCurrentFrame: o.tstate.currentFrame,
    cframeCurrentFrame: o.cframeCurrentFrame,
    frameCode: o.frame.code,
    framePrevious: o.frame.previous,
    frameInstr: o.frame.instr,
    frameOwner: o.frame.owner,
    frameIsEntry: o.frame.isEntry,
    codeAdaptive: o.code.codeAdaptive,
    codeVersion: o.code.version,
    codeFirstLineNo: o.code.firstLineNo,
    ownerCStack: o.ownerCStack,
  };
}
