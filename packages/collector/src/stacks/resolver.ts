/**
 * The collector's StackResolver (docs/CONTRACTS.md): RawStack from the sampler → Frame[] (root first), with
 * native symbolization, kernel symbols and Python frames merged in place of the interpreter's activations.
 * Keeps per-process state (maps, ELF files, Python detection, code objects) for the whole recording.
 */
import type { Frame } from "@perforator/profile";
import { CodeObjectResolver, type PyFrameInfo } from "../python/code-resolver.js";
import { detectPython, type PythonDetection, type PythonInfo } from "../python/detect.js";
import type { RawPyFrame, RawStack } from "../sampler/types.js";
import {
  type KernelFrameSymbol,
  KernelSymbolizer,
  ProcessSymbolizer,
  type UserSymbol,
} from "../symbolize/symbolizer.js";
import { type MergeContext, type MergeStats, mergeStack } from "./merge.js";

export interface StackResolver {
  /** Frames of one sample, root first. Never throws for an exited process: unknown addresses stay as hex. */
  resolve(raw: RawStack): Frame[];
  /** One line about a process for the CLI summary, e.g. "Python 3.12.1 (libpython3.12.so.1.0): 1234 Python frames". */
  describe(pid: number): string;
  /** Per-process details for the summary. */
  processes(): ProcessSummary[];
  /** Releases file handles. */
  close(): void;
}

export interface ProcessSummary {
  pid: number;
  /** "3.12.1", or undefined when the process has no supported Python. */
  python?: string;
  /** Set when a Python was found but is not supported. */
  unsupportedPython?: string;
  pythonModule?: string;
  samples: number;
  pythonSamples: number;
  stats: MergeStats;
}

/** Symbolizer of one process, as the resolver needs it (ProcessSymbolizer, or a fake in tests). */
export interface UserSymbolizer {
  symbolize(addr: bigint): UserSymbol | null;
  isCallSite(retAddr: bigint): boolean;
  close?(): void;
}

export interface PythonFrames {
  minor: number;
  version: string;
  module: string;
  resolve(f: RawPyFrame): PyFrameInfo;
  close?(): void;
}

export interface StackResolverOptions {
  /** Receives each warning once (hidden kernel symbols, unsupported Python). Default: none. */
  warn?: (msg: string) => void;
  /** Replaceable pieces (tests). */
  userSymbolizer?: (pid: number) => UserSymbolizer;
  kernelSymbolizer?: { symbolize(addr: bigint): KernelFrameSymbol };
  /** Python support for a process: undefined/null when it has none. Default: detectPython + CodeObjectResolver. */
  python?: (pid: number) => PythonFrames | { unsupported: string; reason: string } | null;
}

interface ProcState {
  pid: number;
  sym: UserSymbolizer;
  py: PythonFrames | null;
  unsupported?: string;
  samples: number;
  pythonSamples: number;
  stats: MergeStats;
}

const MAX_PROCS = 4096;

function basename(p: string): string {
  const i = p.lastIndexOf("/");
  return i >= 0 ? p.slice(i + 1) : p;
}

/** Python support of a live process via detectPython + CodeObjectResolver. */
export function livePython(pid: number): PythonFrames | { unsupported: string; reason: string } | null {
  let d: PythonDetection;
  try {
    d = detectPython(pid);
  } catch {
    return null;
  }
  if (!d) return null;
  if ("unsupported" in d) return d;
  return pythonFramesFor(d);
}

export function pythonFramesFor(info: PythonInfo): PythonFrames {
  const r = new CodeObjectResolver(info.pid, info);
  return {
    minor: info.version.minor,
    version: info.version.toString(),
    module: basename(info.libPath),
    resolve: (f) => r.resolve(f),
    close: () => r.close(),
  };
}

export function createStackResolver(opts: StackResolverOptions = {}): StackResolver {
  const warned = new Set<string>();
  const warn = (msg: string) => {
    if (warned.has(msg)) return;
    warned.add(msg);
    opts.warn?.(msg);
  };
  const kernel = opts.kernelSymbolizer ?? new KernelSymbolizer({ warn });
  const makeSym = opts.userSymbolizer ?? ((pid: number) => new ProcessSymbolizer(pid));
  const makePy = opts.python ?? livePython;
  const procs = new Map<number, ProcState>();

  const stateFor = (pid: number): ProcState => {
    let st = procs.get(pid);
    if (st) return st;
    if (procs.size >= MAX_PROCS) {
      const oldest = procs.keys().next().value as number;
      const o = procs.get(oldest)!;
      o.sym.close?.();
      o.py?.close?.();
      procs.delete(oldest);
    }
    const py = makePy(pid);
    st = {
      pid,
      sym: makeSym(pid),
      py: py && "minor" in py ? py : null,
      samples: 0,
      pythonSamples: 0,
      stats: { droppedNative: 0, unknownPython: 0, unplacedGroups: 0 },
    };
    if (py && "unsupported" in py) {
      st.unsupported = py.unsupported;
      warn(`${py.reason}: pid ${pid} is shown with native frames only`);
    }
    procs.set(pid, st);
    return st;
  };

  return {
    resolve(raw: RawStack): Frame[] {
      const st = stateFor(raw.pid);
      st.samples += raw.count;
      if (raw.python.length > 0 && st.py) st.pythonSamples += raw.count;
      const ctx: MergeContext = {
        symbolize: (a) => st.sym.symbolize(a),
        isCallSite: (a) => st.sym.isCallSite(a),
        kernel: (a) => kernel.symbolize(a),
        python: st.py ?? undefined,
      };
      return mergeStack(raw, ctx, st.stats);
    },
    describe(pid: number): string {
      const st = procs.get(pid);
      if (!st) return "not seen";
      if (st.py) {
        const unknown = st.stats.unknownPython > 0 ? `, ${st.stats.unknownPython} unresolved Python frames` : "";
        return `Python ${st.py.version} (${st.py.module}): ${st.pythonSamples} of ${st.samples} samples with Python frames${unknown}`;
      }
      if (st.unsupported) return `Python ${st.unsupported} (unsupported): native frames only`;
      return "native";
    },
    processes(): ProcessSummary[] {
      return [...procs.values()].map((st) => ({
        pid: st.pid,
        python: st.py?.version,
        unsupportedPython: st.unsupported,
        pythonModule: st.py?.module,
        samples: st.samples,
        pythonSamples: st.pythonSamples,
        stats: { ...st.stats },
      }));
    },
    close(): void {
      for (const st of procs.values()) {
        st.sym.close?.();
        st.py?.close?.();
      }
      procs.clear();
    },
  };
}
