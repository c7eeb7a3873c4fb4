/**
 * The viewer's FlameTree and top table straight from ProfileColumns, with no object per sample. The result is the
 * tree `buildFlameTree` of @perforator/profile makes from the same samples (same nodes, order, totals); it is built
 * differently because the stacks are already interned: values are summed per stack (or per (thread, stack) when
 * split), the stacks are sorted by their frames' ranks, and one walk over the sorted stacks emits the nodes in DFS
 * pre-order (a stack shares its prefix with the one before it), so no (parent, frame) table and no reordering pass.
 */
import type { FlameTree, TopRow } from "@perforator/profile";
import { frameAt, type ProfileColumns, valueIndexOf } from "./columns.js";

export interface ColumnsTreeOptions {
  valueIndex?: number;
  /** A label key: one synthetic frame `key=value` per label value under the root (as buildFlameTree). */
  groupBy?: string;
  /** One node per (function, line) instead of per function. */
  byLine?: boolean;
}

/** Tree frames: the columns' frames with lines dropped unless byLine, plus "all" and the group frames. */
class TreeFrames {
  readonly strings: string[];
  private readonly stringIds = new Map<string, number>();
  fName: number[] = [];
  fFile: number[] = [];
  fLine: number[] = [];
  fKind: number[] = [];
  fModule: number[] = [];
  private readonly byKey = new Map<string, number>();

  constructor(base: readonly string[]) {
    this.strings = base.slice();
  }

  private str(s: string): number {
    if (this.stringIds.size === 0)
      for (let i = 0; i < this.strings.length; i++) this.stringIds.set(this.strings[i]!, i);
    let i = this.stringIds.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, i);
    }
    return i;
  }

  /** By string ids (name, file, module index into `strings`). */
  id(name: number, file: number, line: number, kind: number, module: number): number {
    const key = `${name},${file},${line},${kind},${module}`;
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.fName.length;
      this.fName.push(name);
      this.fFile.push(file);
      this.fLine.push(line);
      this.fKind.push(kind);
      this.fModule.push(module);
      this.byKey.set(key, id);
    }
    return id;
  }

  synthetic(name: string): number {
    return this.id(this.str(name), 0, 0, 3, 0);
  }

  /** Rank of each frame in the sibling order: name, file, line, kind, module. */
  ranks(): Int32Array {
    const s = this.strings;
    const n = this.fName.length;
    const order = Array.from({ length: n }, (_, i) => i);
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    order.sort(
      (a, b) =>
        cmp(s[this.fName[a]!]!, s[this.fName[b]!]!) ||
        cmp(s[this.fFile[a]!]!, s[this.fFile[b]!]!) ||
        this.fLine[a]! - this.fLine[b]! ||
        this.fKind[a]! - this.fKind[b]! ||
        cmp(s[this.fModule[a]!]!, s[this.fModule[b]!]!),
    );
    const rank = new Int32Array(n);
    for (let i = 0; i < n; i++) rank[order[i]!] = i;
    return rank;
  }
}

/** The flamegraph of the columns; node 0 ("all") holds the total. */
export function buildColumnsTree(c: ProfileColumns, opts: ColumnsTreeOptions = {}): FlameTree {
  const vi = valueIndexOf(c, opts.valueIndex);
  const nt = c.sampleTypes.length;
  const byLine = opts.byLine === true;
  const frames = new TreeFrames(c.strings);
  const root = frames.synthetic("all");
  const nf = c.frameName.length;
  const treeFrame = new Int32Array(nf);
  for (let i = 0; i < nf; i++) {
    treeFrame[i] = frames.id(
      c.frameName[i]!,
      c.frameFile[i]!,
      byLine ? c.frameLine[i]! : 0,
      c.frameKind[i]!,
      c.frameModule[i]!,
    );
  }

  // Items: (group frame, stack) with their summed value.
  const nStacks = c.stackOff.length - 1;
  let itemStack: Int32Array;
  let itemGroup: Int32Array | null = null;
  let itemValue: Float64Array;
  const groupBy = opts.groupBy;
  if (groupBy === undefined) {
    const perStack = new Float64Array(nStacks);
    for (let s = 0; s < c.seriesStack.length; s++) {
      const v = c.values[s * nt + vi]!;
      if (v !== 0) perStack[c.seriesStack[s]!] += v;
    }
    let n = 0;
    for (let st = 0; st < nStacks; st++) if (perStack[st] !== 0) n++;
    itemStack = new Int32Array(n);
    itemValue = new Float64Array(n);
    n = 0;
    for (let st = 0; st < nStacks; st++) {
      if (perStack[st] === 0) continue;
      itemStack[n] = st;
      itemValue[n++] = perStack[st]!;
    }
  } else {
    const groupOf = new Int32Array(c.labelSets.length);
    const byName = new Map<string, number>();
    for (let l = 0; l < c.labelSets.length; l++) {
      const name = `${groupBy}=${c.labelSets[l]![groupBy] ?? "(none)"}`;
      let g = byName.get(name);
      if (g === undefined) {
        g = frames.synthetic(name);
        byName.set(name, g);
      }
      groupOf[l] = g;
    }
    const index = new Map<number, number>();
    const st: number[] = [];
    const gr: number[] = [];
    const val: number[] = [];
    for (let s = 0; s < c.seriesStack.length; s++) {
      const v = c.values[s * nt + vi]!;
      if (v === 0) continue;
      const g = groupOf[c.seriesLabels[s]!]!;
      const stack = c.seriesStack[s]!;
      const key = g * nStacks + stack;
      const i = index.get(key);
      if (i === undefined) {
        index.set(key, st.length);
        st.push(stack);
        gr.push(g);
        val.push(v);
      } else val[i]! += v;
    }
    itemStack = Int32Array.from(st);
    itemGroup = Int32Array.from(gr);
    itemValue = Float64Array.from(val);
  }

  // Ranked stacks: each stack's frames as sibling-order ranks (group rank first when split).
  const rank = frames.ranks();
  const { stackOff, stackPool } = c;
  const poolRank = new Int32Array(stackPool.length);
  for (let i = 0; i < stackPool.length; i++) poolRank[i] = rank[treeFrame[stackPool[i]!]!]!;
  const rankFrame = new Int32Array(rank.length);
  for (let f = 0; f < rank.length; f++) rankFrame[rank[f]!] = f;
  const lead = itemGroup ? 1 : 0;
  const len = (i: number) => stackOff[itemStack[i]! + 1]! - stackOff[itemStack[i]!]! + lead;
  const at = (i: number, d: number) =>
    itemGroup && d === 0 ? rank[itemGroup[i]!]! : poolRank[stackOff[itemStack[i]!]! + d - lead]!;
  const order = new Int32Array(itemStack.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => {
    const la = len(a);
    const lb = len(b);
    const n = Math.min(la, lb);
    for (let d = 0; d < n; d++) {
      const x = at(a, d) - at(b, d);
      if (x !== 0) return x;
    }
    return la - lb;
  });

  // One walk: a stack reuses the path of the previous one up to their common prefix and adds the rest.
  let cap = Math.max(1024, itemStack.length * 2);
  let nodeFrame = new Uint32Array(cap);
  let nodeParent = new Int32Array(cap);
  let nodeDepth = new Uint16Array(cap);
  let nodeSelf = new Float64Array(cap);
  let n = 1;
  nodeFrame[0] = root;
  nodeParent[0] = -1;
  let pathRank = new Int32Array(256);
  let pathNode = new Int32Array(256);
  let pathLen = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const l = len(i);
    if (pathRank.length < l) {
      const r = new Int32Array(l * 2);
      r.set(pathRank);
      pathRank = r;
      const p = new Int32Array(l * 2);
      p.set(pathNode);
      pathNode = p;
    }
    let d = 0;
    const lim = Math.min(l, pathLen);
    while (d < lim && pathRank[d] === at(i, d)) d++;
    for (; d < l; d++) {
      if (n === cap) {
        cap *= 2;
        nodeFrame = grow(nodeFrame, new Uint32Array(cap));
        nodeParent = grow(nodeParent, new Int32Array(cap));
        nodeDepth = grow(nodeDepth, new Uint16Array(cap));
        nodeSelf = grow(nodeSelf, new Float64Array(cap));
      }
      const r = at(i, d);
      nodeFrame[n] = rankFrame[r]!;
      nodeParent[n] = d === 0 ? 0 : pathNode[d - 1]!;
      nodeDepth[n] = Math.min(d + 1, 65535);
      pathRank[d] = r;
      pathNode[d] = n++;
    }
    pathLen = l;
    nodeSelf[l === 0 ? 0 : pathNode[l - 1]!] += itemValue[i]!;
  }
  nodeSelf = nodeSelf.slice(0, n);
  const nodeTotal = nodeSelf.slice();
  nodeParent = nodeParent.slice(0, n);
  for (let o = n - 1; o > 0; o--) nodeTotal[nodeParent[o]!] += nodeTotal[o]!;
  const t = c.sampleTypes[vi]!;
  return {
    version: 1,
    strings: frames.strings,
    sampleType: t.type,
    unit: t.unit,
    frameName: Uint32Array.from(frames.fName),
    frameFile: Uint32Array.from(frames.fFile),
    frameLine: Uint32Array.from(frames.fLine),
    frameKind: Uint8Array.from(frames.fKind),
    frameModule: Uint32Array.from(frames.fModule),
    nodeFrame: nodeFrame.slice(0, n),
    nodeParent,
    nodeDepth: nodeDepth.slice(0, n),
    nodeTotal,
    nodeSelf,
  };
}

function grow<T extends Uint32Array | Int32Array | Uint16Array | Float64Array>(a: T, b: T): T {
  b.set(a as never);
  return b;
}

/**
 * `topFunctions` of @perforator/profile over columns: self and total per function (or per line), a recursive
 * function counted once per stack; sorted by self, then total, then name.
 */
export function topFunctionsColumns(c: ProfileColumns, opts: { byLine?: boolean; valueIndex?: number } = {}): TopRow[] {
  const vi = valueIndexOf(c, opts.valueIndex);
  const nt = c.sampleTypes.length;
  const byLine = opts.byLine === true;
  const rows: TopRow[] = [];
  const rowIndex = new Map<string, number>();
  const frameRow = new Int32Array(c.frameName.length);
  for (let i = 0; i < frameRow.length; i++) {
    const key = `${c.frameKind[i]},${c.frameName[i]},${c.frameFile[i]},${byLine ? c.frameLine[i] : 0},${c.frameModule[i]}`;
    let r = rowIndex.get(key);
    if (r === undefined) {
      r = rows.length;
      const f = frameAt(c, i);
      rows.push({ ...f, line: byLine ? f.line : 0, self: 0, total: 0 });
      rowIndex.set(key, r);
    }
    frameRow[i] = r;
  }
  const nStacks = c.stackOff.length - 1;
  const perStack = new Float64Array(nStacks);
  for (let s = 0; s < c.seriesStack.length; s++) perStack[c.seriesStack[s]!] += c.values[s * nt + vi]!;
  const stamp = new Int32Array(rows.length).fill(-1);
  const { stackOff, stackPool } = c;
  for (let st = 0; st < nStacks; st++) {
    const v = perStack[st]!;
    const a = stackOff[st]!;
    const b = stackOff[st + 1]!;
    if (v === 0 || a === b) continue;
    for (let i = a; i < b; i++) {
      const r = frameRow[stackPool[i]!]!;
      if (stamp[r] !== st) {
        stamp[r] = st;
        rows[r]!.total += v;
      }
    }
    rows[frameRow[stackPool[b - 1]!]!]!.self += v;
  }
  return rows
    .filter((r) => r.total !== 0)
    .sort((a, b) => b.self - a.self || b.total - a.total || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
