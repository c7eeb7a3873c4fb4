/**
 * The collector's StackResolver (docs/CONTRACTS.md): RawStack from the sampler → Frame[] (root first), with
 * native symbolization, kernel symbols and Python frames merged in place of the interpreter's activations.
 * Keeps per-process state (maps, ELF files, Python detection, code objects) for the whole recording. Python is
 * looked for once per process, or handed over with addPython by whoever already looked (the recording session).
 */
import type { Frame } from "@perforator/profile";
import { CodeObjectResolver, type PyFrameInfo } from "../python/code-resolver.js";
import { detectPython, type PythonDetection, type PythonInfo, type PythonUnsupported } from "../python/detect.js";
import type { RawPyFrame, RawStack } from "../sampler/types.js";
import {
  type KernelFrameSymbol,
  KernelSymbolizer,
  ProcessSymbolizer,
  type UserSymbol,
} from "../symbolize/symbolizer.js";
import { type MergeContext, type MergeStats, mergeStack, resolvePythonGroups } from "./merge.js";

export interface StackResolver {
  /** Frames of one sample, root first. Never throws for an exited process: unknown addresses stay as hex. */
  resolve(raw: RawStack): Frame[];
  /**
   * The Python interpreter found in `pid` by someone else (the session, which also set up the sampler's walker).
   * A process resolved without Python so far (a launched command whose interpreter loads late) is set up again with
   * it, and its generation changes.
   */
  addPython(pid: number, info: PythonInfo): void;
  /** One line about a process for the CLI summary, e.g. "Python 3.12.1 (libpython3.12.so.1.0): 1234 Python frames". */
  describe(pid: number): string;
  /** Per-process details for the summary. */
  processes(): ProcessSummary[];
  /** Releases file handles. */
  close(): void;
  /** Changes whenever stacks of `pid` resolved before may resolve differently now (its mappings changed). */
  generation(pid: number): number;
  /** Forgets everything about `pid` (the id now belongs to another process, or it exec'd). */
  forget(pid: number): void;
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
  /** False when the process could not be inspected at all (gone before its first sample was resolved). */
  readonly available?: boolean;
  /** Incremented whenever the process's mappings are re-read and differ (dlopen, munmap, exec). */
  readonly mapsVersion?: number;
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
  /** Processes kept open at once (file descriptors); default 256. */
  maxOpenProcesses?: number;
  /**
   * Looks for Python in a process nobody told the resolver about (addPython), once per process. Default:
   * detectPython. Unsupported versions are warned about (once each) and shown with native frames.
   */
  detect?: (pid: number) => PythonDetection<PythonInfo>;
  /** Replaces `detect` and the frame decoding (tests): Python support for a process, null when it has none. */
  python?: (pid: number) => PythonFrames | PythonUnsupported | null;
}

interface ProcState {
  pid: number;
  /** Renewed whenever the symbolizer is (re)created: a fresh view of the process. */
  gen: number;
  /** null while closed (evicted from the open set). */
  sym: UserSymbolizer | null;
  py: PythonFrames | null;
  pyVersion?: string;
  pyModule?: string;
  unsupported?: string;
  samples: number;
  pythonSamples: number;
  stats: MergeStats;
  /** Resolved Python activations by the sampler's (shared) Python frame array; renewed with `py`. */
  pyGroups: WeakMap<readonly RawPyFrame[], Frame[][]>;
}

/**
 * Processes kept open at once (each holds up to two /proc/PID/mem descriptors): least recently sampled ones are
 * closed first, so whole-system recordings stay well under the usual 1024-descriptor limit.
 */
const MAX_PROCS = 256;

function basename(p: string): string {
  const i = p.lastIndexOf("/");
  return i >= 0 ? p.slice(i + 1) : p;
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
  const kernelSym = opts.kernelSymbolizer ?? new KernelSymbolizer({ warn });
  // Kernel addresses repeat across stacks and processes: one answer object per address (merge interns by identity).
  const kernelCache = new Map<bigint, KernelFrameSymbol>();
  const kernel = {
    symbolize(a: bigint): KernelFrameSymbol {
      let k = kernelCache.get(a);
      if (!k) {
        k = kernelSym.symbolize(a);
        if (kernelCache.size >= 100_000) kernelCache.clear();
        kernelCache.set(a, k);
      }
      return k;
    },
  };
  const makeSym = opts.userSymbolizer ?? ((pid: number) => new ProcessSymbolizer(pid));
  const detect = opts.detect ?? detectPython;
  /** What was found in each process (by `detect`, or handed over with addPython). */
  const detections = new Map<number, PythonDetection<PythonInfo>>();
  const makePy = (pid: number): PythonFrames | PythonUnsupported | null => {
    let d = detections.get(pid);
    if (d === undefined) {
      if (opts.python) return opts.python(pid);
      try {
        d = detect(pid);
      } catch {
        d = null; // cannot be inspected (gone, no permission): native frames
      }
      detections.set(pid, d);
    }
    if (!d) return null;
    return "unsupported" in d ? d : pythonFramesFor(d);
  };
  const maxOpen = Math.max(1, opts.maxOpenProcesses ?? MAX_PROCS);
  /** Every process seen (for the summary). */
  const procs = new Map<number, ProcState>();
  /** Processes whose symbolizer / code resolver are open, least recently used first. */
  const open = new Map<number, ProcState>();
  let gens = 0;

  const release = (st: ProcState) => {
    st.sym?.close?.();
    st.py?.close?.();
    st.sym = null;
    st.py = null;
  };

  const stateFor = (pid: number): ProcState => {
    let st = procs.get(pid);
    if (st && open.has(pid)) {
      // Most recently used last (Map keeps insertion order).
      open.delete(pid);
      open.set(pid, st);
      return st;
    }
    if (open.size >= maxOpen) {
      const [oldestPid, oldest] = open.entries().next().value as [number, ProcState];
      release(oldest);
      open.delete(oldestPid);
    }
    if (!st) {
      st = {
        pid,
        gen: 0,
        sym: null,
        py: null,
        samples: 0,
        pythonSamples: 0,
        stats: { droppedNative: 0, unknownPython: 0, unplacedGroups: 0 },
        pyGroups: new WeakMap(),
      };
      procs.set(pid, st);
    }
    st.sym = makeSym(pid);
    st.gen = ++gens;
    st.pyGroups = new WeakMap();
    if (st.unsupported === undefined) {
      const py = makePy(pid);
      if (py && "minor" in py) {
        st.py = py;
        st.pyVersion = py.version;
        st.pyModule = py.module;
      } else if (py && "unsupported" in py) {
        st.unsupported = py.unsupported;
        warn(
          `${py.reason ?? `Python ${py.unsupported} is not supported`}: pid ${pid} is shown with native frames only`,
        );
      }
    }
    open.set(pid, st);
    return st;
  };

  return {
    resolve(raw: RawStack): Frame[] {
      const st = stateFor(raw.pid);
      const sym = st.sym!;
      st.samples += raw.count;
      if (raw.python.length > 0 && st.py) st.pythonSamples += raw.count;
      // A process that exited before we could read its maps: keep every address as hex rather than judging.
      const blind = sym.available === false;
      const ctx: MergeContext = {
        symbolize: blind
          ? (a) => ({ module: "", path: "", name: `0x${a.toString(16)}`, offset: 0, known: false })
          : (a, isReturn) => sym.symbolize(isReturn ? a - 1n : a),
        isCallSite: blind ? () => true : (a) => sym.isCallSite(a),
        kernel: (a) => kernel.symbolize(a),
        python: st.py ?? undefined,
      };
      const py = st.py;
      if (py) {
        ctx.pythonGroups = (python) => {
          let g = st.pyGroups.get(python);
          if (!g) {
            g = resolvePythonGroups(python, py, st.stats);
            st.pyGroups.set(python, g);
          }
          return g;
        };
      }
      return mergeStack(raw, ctx, st.stats);
    },
    addPython(pid: number, info: PythonInfo): void {
      detections.set(pid, info);
      const st = procs.get(pid);
      if (st === undefined || st.pyVersion !== undefined) return; // set up with it when first seen, or already has it
      // Seen without Python so far: the next stack sets it up afresh (maps re-read: libpython is mapped by now).
      st.unsupported = undefined;
      release(st);
      open.delete(pid);
      st.gen = ++gens;
    },
    describe(pid: number): string {
      const st = procs.get(pid);
      if (!st) return "not seen";
      if (st.pyVersion) {
        const unknown = st.stats.unknownPython > 0 ? `, ${st.stats.unknownPython} unresolved Python frames` : "";
        return `Python ${st.pyVersion} (${st.pyModule}): ${st.pythonSamples} of ${st.samples} samples with Python frames${unknown}`;
      }
      if (st.unsupported) return `Python ${st.unsupported} (unsupported): native frames only`;
      return "native";
    },
    processes(): ProcessSummary[] {
      return [...procs.values()].map((st) => ({
        pid: st.pid,
        python: st.pyVersion,
        unsupportedPython: st.unsupported,
        pythonModule: st.pyModule,
        samples: st.samples,
        pythonSamples: st.pythonSamples,
        stats: { ...st.stats },
      }));
    },
    close(): void {
      for (const st of open.values()) release(st);
      open.clear();
    },
    generation(pid: number): number {
      const st = procs.get(pid);
      if (!st) return 0;
      // 2^20 map changes per symbolizer before two generations could collide.
      return st.gen * 2 ** 20 + (st.sym?.mapsVersion ?? 0);
    },
    forget(pid: number): void {
      detections.delete(pid);
      const st = procs.get(pid);
      if (!st) return;
      release(st);
      open.delete(pid);
      procs.delete(pid);
    },
  };
}
