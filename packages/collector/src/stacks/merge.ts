/**
 * Merging one sample's native and Python stacks (pure: symbolization is done by the caller's callbacks).
 *
 * The native stack is cut at each `_PyEval_EvalFrameDefault` (or its `.cold` part) activation and each activation
 * is replaced by its group of Python frames. Groups come from the Python stack: on 3.11 a group ends at a frame
 * with the ENTRY flag; on 3.12/3.13 groups are separated by shim markers.
 *
 * libpython is built without frame pointers, so a frame-pointer walk of a Python thread usually yields the
 * sampled IP plus garbage. Native frames are therefore kept from the leaf while they are credible (in an
 * executable mapping and, for return addresses, right after a call instruction); the first incredible one ends the
 * native stack. Python groups with no matching native activation are placed root-side of what was kept.
 */
import type { Frame } from "@perforator/profile";
import type { PyFrameInfo } from "../python/code-resolver.js";
import { PY_FRAME_ENTRY, PY_FRAME_SHIM, type RawPyFrame, type RawStack } from "../sampler/types.js";
import type { KernelFrameSymbol, UserSymbol } from "../symbolize/symbolizer.js";

export interface MergeContext {
  /**
   * Symbolizes a user address. `isReturn` is true for return addresses (every frame but the sampled IP): they point
   * after the call, so implementations look up `addr - 1` to name the calling function even when the call ends it.
   */
  symbolize(addr: bigint, isReturn: boolean): UserSymbol | null;
  isCallSite(retAddr: bigint): boolean;
  kernel(addr: bigint): KernelFrameSymbol;
  /** Python frame resolution; undefined for a process without (supported) Python. */
  python?: {
    /** CPython minor version (11, 12, 13): selects ENTRY-flag or shim grouping. */
    minor: number;
    resolve(f: RawPyFrame): PyFrameInfo;
  };
  /**
   * Optional memo of resolvePythonGroups for this process (the sampler shares one array between stacks with the
   * same Python frames, so a caller can cache by array identity).
   */
  pythonGroups?(python: readonly RawPyFrame[]): Frame[][];
}

export interface MergeStats {
  /** Native frames dropped as not credible. */
  droppedNative: number;
  /** Python frames that could not be resolved. */
  unknownPython: number;
  /** Python groups placed without a matching native activation. */
  unplacedGroups: number;
}

const EVAL = "_PyEval_EvalFrameDefault";

export function isEvalFrame(name: string): boolean {
  return name === EVAL || name === `${EVAL}.cold` || name.startsWith(`${EVAL}.cold.`);
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** Splits a leaf-first Python stack into leaf-first activations (each leaf-first), dropping shim markers. */
export function splitActivations(frames: readonly RawPyFrame[], minor: number | undefined): RawPyFrame[][] {
  const useShims = minor !== undefined ? minor >= 12 : frames.some((f) => f.flags & PY_FRAME_SHIM);
  const groups: RawPyFrame[][] = [];
  let cur: RawPyFrame[] = [];
  for (const f of frames) {
    if (useShims) {
      if (f.flags & PY_FRAME_SHIM || f.codeAddr === 0n) {
        if (cur.length > 0) groups.push(cur);
        cur = [];
        continue;
      }
      cur.push(f);
    } else {
      if (f.codeAddr === 0n) continue;
      cur.push(f);
      if (f.flags & PY_FRAME_ENTRY) {
        groups.push(cur);
        cur = [];
      }
    }
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}

/** A leaf-first Python stack as leaf-first activations of resolved frames (see splitActivations). */
export function resolvePythonGroups(
  python: readonly RawPyFrame[],
  py: NonNullable<MergeContext["python"]>,
  stats?: MergeStats,
): Frame[][] {
  return splitActivations(python, py.minor).map((g) =>
    g.map((f) => {
      const r = py.resolve(f);
      if (!r.known && stats) stats.unknownPython++;
      return { name: r.qualname, file: r.filename, line: r.line, kind: "python" as const, module: "" };
    }),
  );
}

/**
 * One Frame object per symbol object: symbolizers that cache their answers (ProcessSymbolizer, the resolver's kernel
 * cache) then yield the same frames for repeated addresses, which callers can intern by identity.
 */
const nativeFrames = new WeakMap<UserSymbol, Frame>();
const kernelFrames = new WeakMap<KernelFrameSymbol, Frame>();

function nativeFrame(sym: UserSymbol): Frame {
  let f = nativeFrames.get(sym);
  if (!f) {
    f = { name: sym.name, file: "", line: 0, kind: "native", module: sym.module };
    nativeFrames.set(sym, f);
  }
  return f;
}

function kernelFrame(k: KernelFrameSymbol): Frame {
  let f = kernelFrames.get(k);
  if (!f) {
    f = { name: k.name, file: "", line: 0, kind: "kernel", module: "[kernel]" };
    kernelFrames.set(k, f);
  }
  return f;
}

/** Merges one RawStack into frames, ROOT FIRST. The frames may be shared with other stacks: do not modify them. */
export function mergeStack(raw: RawStack, ctx: MergeContext, stats?: MergeStats): Frame[] {
  const leafFirst: Frame[] = [];

  for (const addr of raw.kernel) {
    leafFirst.push(kernelFrame(ctx.kernel(addr)));
  }

  // Credible native frames, leaf first.
  type Native = { frame: Frame; evalFrame: boolean };
  const natives: Native[] = [];
  for (let i = 0; i < raw.user.length; i++) {
    const addr = raw.user[i]!;
    if (i > 0 && !ctx.isCallSite(addr)) {
      if (stats) stats.droppedNative += raw.user.length - i;
      break;
    }
    const sym = ctx.symbolize(addr, i > 0);
    if (!sym) {
      if (i === 0) {
        natives.push({
          frame: { name: `[unknown] ${hex(addr)}`, file: "", line: 0, kind: "native", module: "" },
          evalFrame: false,
        });
        continue;
      }
      if (stats) stats.droppedNative += raw.user.length - i;
      break;
    }
    natives.push({ frame: nativeFrame(sym), evalFrame: sym.known && isEvalFrame(sym.name) });
  }

  const groups =
    ctx.python && raw.python.length > 0
      ? (ctx.pythonGroups?.(raw.python) ?? resolvePythonGroups(raw.python, ctx.python, stats))
      : [];

  let next = 0; // next Python group to place
  let lastEvalOut = -1; // index in leafFirst after the last placed group
  for (const n of natives) {
    if (n.evalFrame && next < groups.length) {
      leafFirst.push(...groups[next]!);
      next++;
      lastEvalOut = leafFirst.length;
      continue;
    }
    leafFirst.push(n.frame);
  }
  if (next < groups.length) {
    const rest: Frame[] = [];
    for (; next < groups.length; next++) {
      rest.push(...groups[next]!);
      if (stats) stats.unplacedGroups++;
    }
    // Outer activations go root-side of the last placed one (keeping native roots like main() outermost), or,
    // when no activation was found on the native stack, root-side of everything native.
    if (lastEvalOut >= 0) leafFirst.splice(lastEvalOut, 0, ...rest);
    else leafFirst.push(...rest);
  }
  return leafFirst.reverse();
}
