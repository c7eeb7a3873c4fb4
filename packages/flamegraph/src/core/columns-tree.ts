/**
 * The viewer's FlameTree and top table straight from ProfileColumns, with no object per sample. The result is the
 * tree `buildFlameTree` of @perforator/profile makes from the same samples (same nodes, order, totals); it is built
 * differently because the stacks are already interned: values are summed per stack (or per (thread, stack) when
 * split), and the stacks are partitioned depth by depth by their frames' sibling ranks, which emits the nodes in DFS
 * pre-order directly: no (parent, frame) table and no reordering pass.
 */
import type { FlameTree, TopRow } from "@perforator/profile";
import { frameAt, type ProfileColumns, StringIds, valueIndexOf } from "./columns.js";

export interface ColumnsTreeOptions {
  valueIndex?: number;
  /** A label key: one synthetic frame `key=value` per label value under the root (as buildFlameTree). */
  groupBy?: string;
  /** One node per (function, line) instead of per function. */
  byLine?: boolean;
}

/** Tree frames: the columns' frames with lines dropped unless byLine, plus "all" and the group frames. */
class TreeFrames {
  private readonly ids: StringIds;
  readonly strings: string[];
  fName: number[] = [];
  fFile: number[] = [];
  fLine: number[] = [];
  fKind: number[] = [];
  fModule: number[] = [];
  private readonly byKey = new Map<string, number>();

  constructor(base: readonly string[]) {
    this.ids = new StringIds(base);
    this.strings = this.ids.strings;
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
    return this.id(this.ids.id(name), 0, 0, 3, 0);
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
  // Each item as a run of ranks in `seq`: its stack's ranks in the pool, or (split) a copy led by its group's rank.
  const m = itemStack.length;
  const seqStart = new Int32Array(m);
  const seqLen = new Int32Array(m);
  let seq = poolRank;
  if (itemGroup) {
    let size = 0;
    for (let i = 0; i < m; i++) size += stackOff[itemStack[i]! + 1]! - stackOff[itemStack[i]!]! + 1;
    seq = new Int32Array(size);
    let o = 0;
    for (let i = 0; i < m; i++) {
      const a = stackOff[itemStack[i]!]!;
      const b = stackOff[itemStack[i]! + 1]!;
      seqStart[i] = o;
      seqLen[i] = b - a + 1;
      seq[o++] = rank[itemGroup[i]!]!;
      seq.set(poolRank.subarray(a, b), o);
      o += b - a;
    }
  } else {
    for (let i = 0; i < m; i++) {
      seqStart[i] = stackOff[itemStack[i]!]!;
      seqLen[i] = stackOff[itemStack[i]! + 1]! - seqStart[i]!;
    }
  }
  // Pre-order by partitioning (an MSD radix walk): the items under a node are ordered by their rank at the next
  // depth (rank and item packed into one float, sorted natively), each run of equal ranks becomes a child, visited
  // depth first; an item alone in its run emits the rest of its stack as a chain, with no more sorting.
  const order = new Int32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  if (rank.length >= 2 ** 21) throw new Error(`too many distinct frames for the flamegraph (${rank.length})`);
  const keys = new Float64Array(m);
  let cap = Math.max(1024, m * 2);
  let nodeFrame = new Uint32Array(cap);
  let nodeParent = new Int32Array(cap);
  let nodeDepth = new Uint16Array(cap);
  let nodeSelf = new Float64Array(cap);
  let n = 1;
  nodeFrame[0] = root;
  nodeParent[0] = -1;
  const newNode = (parent: number, r: number, depth: number): number => {
    if (n === cap) {
      cap *= 2;
      nodeFrame = grow(nodeFrame, new Uint32Array(cap));
      nodeParent = grow(nodeParent, new Int32Array(cap));
      nodeDepth = grow(nodeDepth, new Uint16Array(cap));
      nodeSelf = grow(nodeSelf, new Float64Array(cap));
    }
    nodeFrame[n] = rankFrame[r]!;
    nodeParent[n] = parent;
    nodeDepth[n] = Math.min(depth, 65535);
    return n++;
  };
  // Work stack of runs: items order[lo..hi) share their first d + 1 ranks and hang under `parent`.
  const work: number[] = [];
  /** Children of `node` (at depth d) from the items order[lo..hi): ends add to its self, the rest become runs. */
  const expand = (lo: number, hi: number, d: number, node: number) => {
    let k = 0;
    for (let i = lo; i < hi; i++) {
      const it = order[i]!;
      if (seqLen[it] === d) nodeSelf[node] += itemValue[it]!;
      else keys[k++] = seq[seqStart[it]! + d]! * 4294967296 + it;
    }
    if (k === 0) return;
    const sorted = keys.subarray(0, k);
    if (k > 1) sorted.sort();
    for (let i = 0; i < k; i++) order[lo + i] = sorted[i]! % 4294967296;
    // Runs of equal rank, pushed last-first so the smallest rank is visited first.
    let end = lo + k;
    for (let i = lo + k - 1; i >= lo; i--) {
      const r = seq[seqStart[order[i]!]! + d]!;
      if (i === lo || seq[seqStart[order[i - 1]!]! + d]! !== r) {
        work.push(i, end, d, node);
        end = i;
      }
    }
  };
  expand(0, m, 0, 0);
  while (work.length > 0) {
    const node = work.pop()!;
    const d = work.pop()!;
    const hi = work.pop()!;
    const lo = work.pop()!;
    const first = order[lo]!;
    const child = newNode(node, seq[seqStart[first]! + d]!, d + 1);
    if (hi - lo === 1) {
      // Alone: the rest of its stack is a chain.
      let at = child;
      const p0 = seqStart[first]!;
      for (let dd = d + 1; dd < seqLen[first]!; dd++) at = newNode(at, seq[p0 + dd]!, dd + 1);
      nodeSelf[at] += itemValue[first]!;
    } else expand(lo, hi, d + 1, child);
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
