/**
 * A userspace walker of CPython stacks through /proc/PID/mem: every thread's current frame chain as RawPyFrames
 * (the same shape the BPF sampler produces). Used to validate the offsets against live processes in tests, and as
 * a diagnostic when BPF is not available. It reads a running process without stopping it, so a walk can tear
 * (frames change while being read): callers must treat the result as a sample, not a snapshot.
 */

import { ProcMem } from "../proc/index.js";
import { PY_FRAME_ENTRY, PY_FRAME_SHIM, type RawPyFrame } from "../sampler/types.js";
import type { PythonInfo } from "./detect.js";

export interface PyThreadStack {
  /** PyThreadState.native_thread_id: the tid in the target's PID namespace. */
  nativeThreadId: number;
  /** PyThreadState.thread_id (pthread_t) */
  threadId: bigint;
  /** Leaf first. */
  frames: RawPyFrame[];
}

const MAX_FRAMES = 1024;

export function walkPythonThreads(info: PythonInfo): PyThreadStack[] {
  const o = info.offsets;
  const mem = new ProcMem(info.pid);
  const out: PyThreadStack[] = [];
  try {
    let interp = mem.u64(info.runtimeAddr + BigInt(o.runtime.interpretersHead));
    for (let ni = 0; interp && ni < 64; ni++) {
      let ts = mem.u64(interp + BigInt(o.interp.threadsHead));
      for (let nt = 0; ts && nt < 4096; nt++) {
        const nativeThreadId = Number(mem.u64(ts + BigInt(o.tstate.nativeThreadId)) ?? 0n);
        const threadId = mem.u64(ts + BigInt(o.tstate.threadId)) ?? 0n;
        let frame = mem.u64(ts + BigInt(o.tstate.currentFrame));
        if (frame && o.cframeCurrentFrame >= 0) frame = mem.u64(frame + BigInt(o.cframeCurrentFrame));
        const frames: RawPyFrame[] = [];
        while (frame && frames.length < MAX_FRAMES) {
          const code = mem.u64(frame + BigInt(o.frame.code));
          const instr = mem.u64(frame + BigInt(o.frame.instr));
          const owner = mem.u8(frame + BigInt(o.frame.owner));
          if (code === null || instr === null || owner === null) break;
          let flags = 0;
          if (o.frame.isEntry >= 0 && mem.u8(frame + BigInt(o.frame.isEntry))) flags |= PY_FRAME_ENTRY;
          const shim =
            (owner === o.ownerCStack && info.version.minor >= 12) ||
            code === 0n ||
            (info.bpfConfig.noneAddr !== 0n && code === info.bpfConfig.noneAddr);
          if (shim) frames.push({ codeAddr: 0n, instrOffset: 0, guard: 0, flags: flags | PY_FRAME_SHIM });
          else {
            const guardOff = o.code.version >= 0 ? o.code.version : o.code.firstLineNo;
            const guard = mem.u32(code + BigInt(guardOff));
            if (guard === null) break;
            const off = Number(BigInt.asIntN(64, instr - (code + BigInt(o.code.codeAdaptive))));
            frames.push({ codeAddr: code, instrOffset: off, guard, flags });
          }
          frame = mem.u64(frame + BigInt(o.frame.previous));
        }
        out.push({ nativeThreadId, threadId, frames });
        ts = mem.u64(ts + BigInt(o.tstate.next));
      }
      interp = mem.u64(interp + BigInt(o.interp.next));
    }
  } finally {
    mem.close();
  }
  return out;
}
