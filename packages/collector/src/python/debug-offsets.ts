/**
 * CPython 3.13's `_Py_DebugOffsets` (Include/internal/pycore_runtime.h): the first field of `_PyRuntime`, a
 * cookie "xdebugpy" followed by uint64 fields. We read it from the live process and refuse our table when the
 * two disagree (a patched or differently configured build), instead of walking memory with wrong offsets.
 */
import type { PyOffsets } from "./offsets.js";

/** Field names of the 3.13 layout after the 8-byte cookie, in order (72 uint64 = 576 bytes; 584 with the cookie). */
const FIELDS_313 = [
  "version",
  "free_threaded",
  "runtime_state.size",
  "runtime_state.finalizing",
  "runtime_state.interpreters_head",
  "interpreter_state.size",
  "interpreter_state.id",
  "interpreter_state.next",
  "interpreter_state.threads_head",
  "interpreter_state.gc",
  "interpreter_state.imports_modules",
  "interpreter_state.sysdict",
  "interpreter_state.builtins",
  "interpreter_state.ceval_gil",
  "interpreter_state.gil_runtime_state",
  "interpreter_state.gil_runtime_state_enabled",
  "interpreter_state.gil_runtime_state_locked",
  "interpreter_state.gil_runtime_state_holder",
  "thread_state.size",
  "thread_state.prev",
  "thread_state.next",
  "thread_state.interp",
  "thread_state.current_frame",
  "thread_state.thread_id",
  "thread_state.native_thread_id",
  "thread_state.datastack_chunk",
  "thread_state.status",
  "interpreter_frame.size",
  "interpreter_frame.previous",
  "interpreter_frame.executable",
  "interpreter_frame.instr_ptr",
  "interpreter_frame.localsplus",
  "interpreter_frame.owner",
  "code_object.size",
  "code_object.filename",
  "code_object.name",
  "code_object.qualname",
  "code_object.linetable",
  "code_object.firstlineno",
  "code_object.argcount",
  "code_object.localsplusnames",
  "code_object.localspluskinds",
  "code_object.co_code_adaptive",
  "pyobject.size",
  "pyobject.ob_type",
  "type_object.size",
  "type_object.tp_name",
  "type_object.tp_repr",
  "type_object.tp_flags",
  "tuple_object.size",
  "tuple_object.ob_item",
  "tuple_object.ob_size",
  "list_object.size",
  "list_object.ob_item",
  "list_object.ob_size",
  "dict_object.size",
  "dict_object.ma_keys",
  "dict_object.ma_values",
  "float_object.size",
  "float_object.ob_fval",
  "long_object.size",
  "long_object.lv_tag",
  "long_object.ob_digit",
  "bytes_object.size",
  "bytes_object.ob_size",
  "bytes_object.ob_sval",
  "unicode_object.size",
  "unicode_object.state",
  "unicode_object.length",
  "unicode_object.asciiobject_size",
  "gc.size",
  "gc.collecting",
] as const;

export const DEBUG_OFFSETS_SIZE_313 = 8 + FIELDS_313.length * 8;
export const DEBUG_COOKIE = "xdebugpy";

export type DebugOffsets = Record<(typeof FIELDS_313)[number], bigint>;

/** Parses the 3.13 `_Py_DebugOffsets` bytes; null when the cookie is missing or the buffer is short. */
export function parseDebugOffsets313(buf: Buffer): DebugOffsets | null {
  if (buf.length < DEBUG_OFFSETS_SIZE_313 || buf.toString("latin1", 0, 8) !== DEBUG_COOKIE) return null;
  const out = {} as Record<string, bigint>;
  FIELDS_313.forEach((name, i) => {
    out[name] = buf.readBigUInt64LE(8 + i * 8);
  });
  return out as DebugOffsets;
}

/**
 * Differences between the live debug offsets and our table, as "field: live X, table Y" strings (empty when they
 * agree). `versionHex` is Py_Version read from the process.
 */
export function compareDebugOffsets(d: DebugOffsets, o: PyOffsets, versionHex: number): string[] {
  const diffs: string[] = [];
  const check = (name: keyof DebugOffsets, want: number) => {
    if (d[name] !== BigInt(want)) diffs.push(`${name}: process says ${d[name]}, table says ${want}`);
  };
  if (d.version !== BigInt(versionHex))
    diffs.push(`version: process says 0x${d.version.toString(16)}, Py_Version 0x${versionHex.toString(16)}`);
  if (d.free_threaded !== 0n) diffs.push("free_threaded: this is a free-threaded (no-GIL) build");
  check("runtime_state.interpreters_head", o.runtime.interpretersHead);
  check("interpreter_state.next", o.interp.next);
  check("interpreter_state.threads_head", o.interp.threadsHead);
  check("thread_state.next", o.tstate.next);
  check("thread_state.interp", o.tstate.interp);
  check("thread_state.current_frame", o.tstate.currentFrame);
  check("thread_state.thread_id", o.tstate.threadId);
  check("thread_state.native_thread_id", o.tstate.nativeThreadId);
  check("interpreter_frame.previous", o.frame.previous);
  check("interpreter_frame.executable", o.frame.code);
  check("interpreter_frame.instr_ptr", o.frame.instr);
  check("interpreter_frame.owner", o.frame.owner);
  check("code_object.filename", o.code.filename);
  check("code_object.name", o.code.name);
  check("code_object.qualname", o.code.qualname);
  check("code_object.linetable", o.code.linetable);
  check("code_object.firstlineno", o.code.firstLineNo);
  check("code_object.co_code_adaptive", o.code.codeAdaptive);
  check("pyobject.ob_type", o.obType);
  check("bytes_object.ob_size", o.bytes.size);
  check("bytes_object.ob_sval", o.bytes.sval);
  check("unicode_object.state", o.unicode.state);
  check("unicode_object.length", o.unicode.length);
  check("unicode_object.asciiobject_size", o.unicode.asciiData);
  return diffs;
}
