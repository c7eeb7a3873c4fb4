/**
 * Profile operations the viewer needs. TEMPORARY BRIDGE: @perforator/profile is adding
 * buildFlameTree / buildDiffFlameTree / topFunctions / topFunctionsDiff / sandwich; until they are
 * exported there, these small reference versions keep the viewer usable. The viewer imports only
 * from this module so the switch is one file.
 */
import type { FlameTree, Frame, FrameKind, Profile } from "@perforator/profile";
import { FRAME_KINDS, frameKey } from "@perforator/profile";

export interface TopRow {
  name: string;
  file: string;
  line: number;
  kind: FrameKind;
  module: string;
  self: number;
  total: number;
}

export interface TopDiffRow extends TopRow {
  baseSelf: number;
  baseTotal: number;
}

interface Trie {
  key: string;
  frame: Frame;
  total: number;
  self: number;
  base: number;
  baseSelf: number;
  kids: Map<string, Trie>;
}

const ROOT_FRAME: Frame = { name: "all", file: "", line: 0, kind: "other", module: "" };

function newTrie(key: string, frame: Frame): Trie {
  return { key, frame, total: 0, self: 0, base: 0, baseSelf: 0, kids: new Map() };
}

function addProfile(root: Trie, p: Profile, isBase: boolean, groupBy?: string): void {
  const vi = p.defaultSampleType;
  for (const s of p.samples) {
    const v = s.values[vi] ?? 0;
    if (v === 0) continue;
    let n = root;
    const bump = (t: Trie) => {
      if (isBase) t.base += v;
      else t.total += v;
    };
    bump(n);
    const path: Frame[] = [];
    if (groupBy) {
      const g = s.labels[groupBy] ?? "(unknown)";
      path.push({ name: `${groupBy === "tid" ? "thread " : ""}${g}`, file: "", line: 0, kind: "other", module: "" });
    }
    for (const fi of s.stack) path.push(p.frames[fi]!);
    for (const f of path) {
      const key = frameKey(f);
      let k = n.kids.get(key);
      if (!k) {
        k = newTrie(key, f);
        n.kids.set(key, k);
      }
      n = k;
      bump(n);
    }
    if (isBase) n.baseSelf += v;
    else n.self += v;
  }
}

function flatten(root: Trie, p: Profile, diff: boolean): FlameTree {
  const strings = [""];
  const sIx = new Map<string, number>([["", 0]]);
  const str = (s: string) => {
    let i = sIx.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      sIx.set(s, i);
    }
    return i;
  };
  const fIx = new Map<string, number>();
  const fName: number[] = [];
  const fFile: number[] = [];
  const fLine: number[] = [];
  const fKind: number[] = [];
  const fMod: number[] = [];
  const frameOf = (t: Trie) => {
    let i = fIx.get(t.key);
    if (i === undefined) {
      i = fName.length;
      fIx.set(t.key, i);
      fName.push(str(t.frame.name));
      fFile.push(str(t.frame.file));
      fLine.push(t.frame.line);
      fKind.push(Math.max(0, FRAME_KINDS.indexOf(t.frame.kind)));
      fMod.push(str(t.frame.module));
    }
    return i;
  };
  const nFrame: number[] = [];
  const nParent: number[] = [];
  const nDepth: number[] = [];
  const nTotal: number[] = [];
  const nSelf: number[] = [];
  const nBase: number[] = [];
  const nBaseSelf: number[] = [];
  const stack: { t: Trie; parent: number; depth: number }[] = [{ t: root, parent: -1, depth: 0 }];
  while (stack.length > 0) {
    const { t, parent, depth } = stack.pop()!;
    const me = nFrame.length;
    nFrame.push(frameOf(t));
    nParent.push(parent);
    nDepth.push(depth);
    nTotal.push(t.total);
    nSelf.push(t.self);
    nBase.push(t.base);
    nBaseSelf.push(t.baseSelf);
    const kids = [...t.kids.values()].filter((k) => k.total > 0);
    kids.sort((a, b) => (a.frame.name < b.frame.name ? 1 : a.frame.name > b.frame.name ? -1 : 0));
    for (const k of kids) stack.push({ t: k, parent: me, depth: depth + 1 });
  }
  const st = p.sampleTypes[p.defaultSampleType] ?? { type: "samples", unit: "count" };
  const tree: FlameTree = {
    version: 1,
    strings,
    sampleType: st.type,
    unit: st.unit,
    frameName: Uint32Array.from(fName),
    frameFile: Uint32Array.from(fFile),
    frameLine: Uint32Array.from(fLine),
    frameKind: Uint8Array.from(fKind),
    frameModule: Uint32Array.from(fMod),
    nodeFrame: Uint32Array.from(nFrame),
    nodeParent: Int32Array.from(nParent),
    nodeDepth: Uint16Array.from(nDepth),
    nodeTotal: Float64Array.from(nTotal),
    nodeSelf: Float64Array.from(nSelf),
  };
  if (diff) {
    tree.nodeBaseTotal = Float64Array.from(nBase);
    tree.nodeBaseSelf = Float64Array.from(nBaseSelf);
    tree.baseTotal = root.base;
  }
  return tree;
}

export function buildFlameTree(p: Profile, opts: { groupBy?: string } = {}): FlameTree {
  const root = newTrie("", ROOT_FRAME);
  addProfile(root, p, false, opts.groupBy || undefined);
  return flatten(root, p, false);
}

export function buildDiffFlameTree(base: Profile, target: Profile): FlameTree {
  const root = newTrie("", ROOT_FRAME);
  addProfile(root, target, false);
  addProfile(root, base, true);
  return flatten(root, target, true);
}

function tops(p: Profile): Map<string, TopRow> {
  const vi = p.defaultSampleType;
  const rows = new Map<string, TopRow>();
  const keyOf = (f: Frame) => `${f.kind}\u0000${f.name}\u0000${f.file}`;
  for (const s of p.samples) {
    const v = s.values[vi] ?? 0;
    if (v === 0 || s.stack.length === 0) continue;
    const seen = new Set<string>();
    for (let i = 0; i < s.stack.length; i++) {
      const f = p.frames[s.stack[i]!]!;
      const k = keyOf(f);
      let r = rows.get(k);
      if (!r) {
        r = { name: f.name, file: f.file, line: 0, kind: f.kind, module: f.module, self: 0, total: 0 };
        rows.set(k, r);
      }
      if (!seen.has(k)) {
        seen.add(k);
        r.total += v;
      }
      if (i === s.stack.length - 1) r.self += v;
    }
  }
  return rows;
}

export function topFunctions(p: Profile): TopRow[] {
  return [...tops(p).values()];
}

export function topFunctionsDiff(base: Profile, target: Profile): TopDiffRow[] {
  const t = tops(target);
  const b = tops(base);
  const out: TopDiffRow[] = [];
  for (const [k, r] of t) {
    const br = b.get(k);
    out.push({ ...r, baseSelf: br?.self ?? 0, baseTotal: br?.total ?? 0 });
  }
  for (const [k, r] of b) {
    if (!t.has(k)) out.push({ ...r, self: 0, total: 0, baseSelf: r.self, baseTotal: r.total });
  }
  return out;
}

export function sandwich(p: Profile, fn: { name: string; file?: string }): { callers: Profile; callees: Profile } {
  const callers: Profile["samples"][number][] = [];
  const callees: Profile["samples"][number][] = [];
  for (const s of p.samples) {
    const k = s.stack.findIndex((fi) => {
      const f = p.frames[fi]!;
      return f.name === fn.name && (fn.file === undefined || f.file === fn.file);
    });
    if (k < 0) continue;
    callers.push({ ...s, stack: s.stack.slice(0, k + 1).reverse() });
    callees.push({ ...s, stack: s.stack.slice(k) });
  }
  return { callers: { ...p, samples: callers }, callees: { ...p, samples: callees } };
}
