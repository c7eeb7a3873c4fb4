/**
 * Chrome / V8 `.cpuprofile` (what `node --cpu-prof` and DevTools write): a node tree
 * (`nodes[].callFrame`, `children`), `samples` (leaf node ids) and `timeDeltas` (µs).
 * Gives two sample types: samples/count and cpu/nanoseconds (time until the next sample).
 */
import { type Frame, type Profile, ProfileBuilder } from "../model.js";

interface CallFrame {
  functionName?: string;
  url?: string;
  lineNumber?: number;
  columnNumber?: number;
}
interface CpuNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
  parent?: number;
}
export interface CpuProfileJson {
  nodes: CpuNode[];
  startTime?: number;
  endTime?: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** True when the parsed JSON has the shape of a .cpuprofile. */
export function isCpuProfileShape(v: unknown): v is CpuProfileJson {
  if (typeof v !== "object" || v === null) return false;
  const o = v as Record<string, unknown>;
  return Array.isArray(o.nodes) && (o.nodes.length === 0 || typeof (o.nodes[0] as CpuNode)?.callFrame === "object");
}

const PSEUDO = new Set(["(root)", "(program)", "(idle)", "(garbage collector)"]);

function toFrame(cf: CallFrame): Frame {
  const fn = cf.functionName ?? "";
  if (PSEUDO.has(fn)) return { name: fn, file: "", line: 0, kind: "other", module: "" };
  const url = cf.url ?? "";
  const line = typeof cf.lineNumber === "number" && cf.lineNumber >= 0 ? cf.lineNumber + 1 : 0;
  // JavaScript frames are neither Python nor native code: kind "other"; V8 builtins have no url.
  return { name: fn === "" ? "(anonymous)" : fn, file: url, line, kind: url === "" ? "native" : "other", module: "" };
}

export function parseCpuProfile(input: string | unknown): Profile {
  let doc: unknown = input;
  if (typeof input === "string") {
    try {
      doc = JSON.parse(input);
    } catch (e) {
      throw new Error(`.cpuprofile: not JSON (${(e as Error).message})`);
    }
  }
  if (!isCpuProfileShape(doc)) {
    throw new Error(".cpuprofile: expected an object with a nodes[] array of {id, callFrame, children}");
  }
  const byId = new Map<number, CpuNode>();
  for (const n of doc.nodes) {
    if (typeof n.id !== "number") throw new Error(".cpuprofile: a node has no numeric id");
    byId.set(n.id, n);
  }
  const parent = new Map<number, number>();
  for (const n of doc.nodes) {
    for (const c of n.children ?? []) parent.set(c, n.id);
    if (typeof n.parent === "number") parent.set(n.id, n.parent);
  }
  const durationUs = (doc.endTime ?? 0) - (doc.startTime ?? 0);
  const b = new ProfileBuilder(
    [
      { type: "samples", unit: "count" },
      { type: "cpu", unit: "nanoseconds" },
    ],
    {
      defaultSampleType: 1,
      timeNanos: 0,
      durationNanos: durationUs > 0 ? durationUs * 1000 : 0,
      periodType: { type: "cpu", unit: "nanoseconds" },
      meta: { source: "cpuprofile" },
    },
  );
  // Root-first stack of frame indices per node id (the "(root)" node itself is dropped).
  const stacks = new Map<number, number[]>();
  const stackOf = (id: number): number[] => {
    const cached = stacks.get(id);
    if (cached) return cached;
    const chain: number[] = [];
    let cur: number | undefined = id;
    const seen = new Set<number>();
    while (cur !== undefined && !seen.has(cur)) {
      seen.add(cur);
      const node = byId.get(cur);
      if (!node) throw new Error(`.cpuprofile: node ${cur} is referenced but not defined`);
      if (node.callFrame.functionName !== "(root)" || parent.has(cur)) chain.push(b.frame(toFrame(node.callFrame)));
      cur = parent.get(cur);
    }
    chain.reverse();
    stacks.set(id, chain);
    return chain;
  };
  const samples = doc.samples ?? [];
  const deltas = doc.timeDeltas ?? [];
  if (samples.length > 0) {
    // timeDeltas[i] is the time between sample i-1 and sample i, so sample i lasts until deltas[i + 1].
    let sum = 0;
    for (let i = 1; i < deltas.length; i++) sum += Math.max(0, deltas[i] ?? 0);
    const meanUs = deltas.length > 1 ? sum / (deltas.length - 1) : 0;
    let period = meanUs * 1000;
    for (let i = 0; i < samples.length; i++) {
      const next = i + 1 < deltas.length ? Math.max(0, deltas[i + 1] ?? 0) : meanUs;
      b.add(stackOf(samples[i]!), [1, Math.round(next * 1000)]);
    }
    period = Math.round(period);
    const p = b.build();
    return { ...p, period };
  }
  for (const n of doc.nodes) {
    if ((n.hitCount ?? 0) > 0) b.add(stackOf(n.id), [n.hitCount!, 0]);
  }
  // Only hit counts, no timings: show counts by default.
  return { ...b.build(), defaultSampleType: 0 };
}
