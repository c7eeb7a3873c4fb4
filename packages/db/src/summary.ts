/**
 * Function summaries: per function (name + file) the self and total value of one sample type, over the merged
 * columns of a rollup (no Profile with per-sample objects is built) or over one parsed profile. The compactor keeps
 * the top FUNCTION_SUMMARY_TOP by self plus the top FUNCTION_SUMMARY_TOP by total of each rollup window
 * (`RollupFunction`); topFunctions and the dashboard sum those. See docs/platform-store.md.
 */
import type { Frame, Profile, ValueType } from "@perforator/profile";
import type { RollupData } from "./rollup.js";

/** How many functions a window's summary keeps: the top N by self plus the top N by total. */
export const FUNCTION_SUMMARY_TOP = 50;

export interface FunctionSummary {
  name: string;
  file: string;
  self: number;
  total: number;
}

export interface WindowSummary {
  /** The default sample type the values are of. */
  sampleType: string;
  sampleUnit: string;
  /** Sum of that sample type over every sample. */
  totalValue: number;
  /** Top N by self ∪ top N by total (functions with a non-zero total only). */
  functions: FunctionSummary[];
}

/** Self and total per function, recursion counted once per stack (as topFunctions in @perforator/profile). */
class FunctionTotals {
  readonly names: string[] = [];
  readonly files: string[] = [];
  private readonly frameFn: Int32Array;
  private self: Float64Array;
  private total: Float64Array;
  private stamp: Int32Array;
  private stackNo = 0;

  constructor(frames: readonly Frame[]) {
    const index = new Map<string, number>();
    this.frameFn = new Int32Array(frames.length);
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      const k = `${f.name}\u0000${f.file}`;
      let fn = index.get(k);
      if (fn === undefined) {
        fn = this.names.length;
        this.names.push(f.name);
        this.files.push(f.file);
        index.set(k, fn);
      }
      this.frameFn[i] = fn;
    }
    const n = this.names.length;
    this.self = new Float64Array(n);
    this.total = new Float64Array(n);
    this.stamp = new Int32Array(n).fill(-1);
  }

  /** Adds `v` for the stack frames[ids[from .. to)] (root first). */
  addStack(ids: ArrayLike<number>, from: number, to: number, v: number): void {
    if (v === 0 || to <= from) return;
    const s = this.stackNo++;
    for (let i = from; i < to; i++) {
      const fn = this.frameFn[ids[i]!]!;
      if (this.stamp[fn] !== s) {
        this.stamp[fn] = s;
        this.total[fn] = this.total[fn]! + v;
      }
    }
    const leaf = this.frameFn[ids[to - 1]!]!;
    this.self[leaf] = this.self[leaf]! + v;
  }

  top(n: number): FunctionSummary[] {
    const live: number[] = [];
    for (let i = 0; i < this.names.length; i++) if (this.total[i] !== 0) live.push(i);
    const pick = new Set<number>();
    const bySelf = live.filter((i) => this.self[i] !== 0).sort((a, b) => this.self[b]! - this.self[a]! || a - b);
    for (const i of bySelf.slice(0, n)) pick.add(i);
    const byTotal = [...live].sort((a, b) => this.total[b]! - this.total[a]! || a - b);
    for (const i of byTotal.slice(0, n)) pick.add(i);
    return [...pick].map((i) => ({
      name: this.names[i]!,
      file: this.files[i]!,
      self: this.self[i]!,
      total: this.total[i]!,
    }));
  }
}

function defaultIndex(types: readonly ValueType[], dflt: number): number {
  return Math.min(Math.max(dflt, 0), types.length - 1);
}

/** The summary of a rollup's merged columns: per stack its value summed over its series, then per function. */
export function summariseRollup(d: RollupData, top = FUNCTION_SUMMARY_TOP): WindowSummary {
  const types = d.header.sampleTypes;
  const nt = types.length;
  const vi = defaultIndex(types, d.header.defaultSampleType);
  const nStacks = d.stackOff.length - 1;
  const stackValue = new Float64Array(nStacks);
  let totalValue = 0;
  for (let s = 0; s < d.seriesStack.length; s++) {
    const v = d.values[s * nt + vi]!;
    stackValue[d.seriesStack[s]!] = stackValue[d.seriesStack[s]!]! + v;
    totalValue += v;
  }
  const fns = new FunctionTotals(d.frames);
  for (let st = 0; st < nStacks; st++) fns.addStack(d.stackPool, d.stackOff[st]!, d.stackOff[st + 1]!, stackValue[st]!);
  const t = types[vi]!;
  return { sampleType: t.type, sampleUnit: t.unit, totalValue, functions: fns.top(top) };
}

/** The same summary for one parsed profile (a profile no rollup holds yet, or a profile's own page). */
export function summariseProfile(p: Profile, top = FUNCTION_SUMMARY_TOP): WindowSummary {
  const vi = defaultIndex(p.sampleTypes, p.defaultSampleType);
  const fns = new FunctionTotals(p.frames);
  let totalValue = 0;
  for (const s of p.samples) {
    const v = s.values[vi] ?? 0;
    totalValue += v;
    fns.addStack(s.stack, 0, s.stack.length, v);
  }
  const t = p.sampleTypes[vi]!;
  return { sampleType: t.type, sampleUnit: t.unit, totalValue, functions: fns.top(top) };
}
