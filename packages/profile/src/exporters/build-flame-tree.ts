/**
 * Builds the compact FlameTree (see ../flame-tree.ts) from profiles: a trie over root-first
 * stacks in typed arrays with an open-addressing (parent, frame) → child table, then one
 * pass to lay the nodes out in DFS pre-order with siblings sorted by name.
 */
import { type FlameTree, FRAME_KINDS } from "../flame-tree-format.js";
import { StringTable } from "../intern/string-table.js";
import { type Frame, type Profile, resolveValueIndex, sameValueType } from "../model.js";
import { alignFrames, type MatchOptions } from "../ops/match.js";

export interface FlameTreeOptions {
  /** Which sample type to show (default: the profile's default). */
  valueIndex?: number;
  /** A label key (e.g. "thread_name", "tid"): one synthetic frame `key=value` per label value under the root. */
  groupBy?: string;
  /**
   * Keep one node per source line (default false: frames of the same function at different lines
   * are merged into one node whose line is 0, the way flamegraphs usually read).
   */
  byLine?: boolean;
}

const KIND_INDEX: Record<string, number> = Object.fromEntries(FRAME_KINDS.map((k, i) => [k, i]));

/**
 * The tree keeps its own frame columns (string ids, no object per frame) and (parent, frame) → child table instead
 * of the package's interner (../intern/): with FrameTable's one object per frame, interleaved runs on the bench's
 * 100k-node tree took 5-9% more CPU (least 178-191 vs 154-168 ms, 30 rounds at load 12-16), and a run table keyed by
 * (parent, frame) would add a dependent load per probe where the slot now holds the key itself.
 */
class FlameTreeBuilder {
  private readonly stringTable = new StringTable([""]);
  readonly strings: string[] = this.stringTable.strings;
  /** name → tree frame id(s) with that name (usually one). */
  private readonly byName = new Map<string, number | number[]>();
  fName: number[] = [];
  fFile: number[] = [];
  fLine: number[] = [];
  fKind: number[] = [];
  fModule: number[] = [];

  private cap: number;
  n = 0;
  parent: Int32Array;
  frame: Int32Array;
  self: Float64Array;
  baseSelf: Float64Array | undefined;
  // Slots are [parent, frame, child+1] triples so a probe touches one cache line.
  private mask: number;
  private table: Int32Array;

  /**
   * `expectedNodes` pre-sizes the node arrays and the table (they still grow past it): growing a
   * 1M-node tree by doubling allocates and copies about as much again, and on a large heap typed-array
   * allocation is what makes V8 start a full GC.
   */
  constructor(
    readonly byLine: boolean,
    diff: boolean,
    expectedNodes = 1024,
  ) {
    this.cap = Math.max(1024, expectedNodes);
    this.parent = new Int32Array(this.cap);
    this.frame = new Int32Array(this.cap);
    this.self = new Float64Array(this.cap);
    if (diff) this.baseSelf = new Float64Array(this.cap);
    let size = 1 << 12;
    while (size < 2 * this.cap + 2) size *= 2;
    this.mask = size - 1;
    this.table = new Int32Array(size * 3);
    const root = this.frameId({ name: "all", file: "", line: 0, kind: "other", module: "" });
    this.newNode(-1, root);
  }

  str(s: string): number {
    return this.stringTable.id(s);
  }

  frameId(f: Frame): number {
    const line = this.byLine ? f.line : 0;
    const kind = KIND_INDEX[f.kind] ?? 3;
    const { name, file, module } = f;
    // By name first, then the other fields: no key string per frame.
    const hit = this.byName.get(name);
    if (hit !== undefined) {
      if (typeof hit === "number") {
        if (this.sameFrame(hit, file, line, kind, module)) return hit;
      } else {
        for (const id of hit) if (this.sameFrame(id, file, line, kind, module)) return id;
      }
    }
    const id = this.fName.length;
    this.fName.push(this.str(name));
    this.fFile.push(this.str(file));
    this.fLine.push(line);
    this.fKind.push(kind);
    this.fModule.push(this.str(module));
    if (hit === undefined) this.byName.set(name, id);
    else if (typeof hit === "number") this.byName.set(name, [hit, id]);
    else hit.push(id);
    return id;
  }

  private sameFrame(id: number, file: string, line: number, kind: number, module: string): boolean {
    const { strings } = this;
    return (
      this.fLine[id] === line &&
      this.fKind[id] === kind &&
      strings[this.fFile[id]!] === file &&
      strings[this.fModule[id]!] === module
    );
  }

  /** Profile frame index → tree frame id. */
  mapFrames(p: Profile): Int32Array {
    const m = new Int32Array(p.frames.length);
    for (let i = 0; i < p.frames.length; i++) m[i] = this.frameId(p.frames[i]!);
    return m;
  }

  private newNode(parent: number, frame: number): number {
    if (this.n === this.cap) {
      this.cap *= 2;
      const gi = (a: Int32Array) => {
        const b = new Int32Array(this.cap);
        b.set(a);
        return b;
      };
      const gf = (a: Float64Array) => {
        const b = new Float64Array(this.cap);
        b.set(a);
        return b;
      };
      this.parent = gi(this.parent);
      this.frame = gi(this.frame);
      this.self = gf(this.self);
      if (this.baseSelf) this.baseSelf = gf(this.baseSelf);
    }
    const id = this.n++;
    this.parent[id] = parent;
    this.frame[id] = frame;
    return id;
  }

  private static hash(parent: number, frame: number): number {
    let h = Math.imul(parent ^ 0x27d4eb2d, 0x9e3779b1) ^ Math.imul(frame + 0x165667b1, 0x85ebca6b);
    h ^= h >>> 15;
    h = Math.imul(h, 0xc2b2ae35);
    return h ^ (h >>> 13);
  }

  child(parent: number, frame: number): number {
    const table = this.table;
    const mask = this.mask;
    let slot = FlameTreeBuilder.hash(parent, frame) & mask;
    for (;;) {
      const o = slot * 3;
      const e = table[o + 2]!;
      if (e === 0) break;
      if (table[o] === parent && table[o + 1] === frame) return e - 1;
      slot = (slot + 1) & mask;
    }
    const c = this.newNode(parent, frame);
    const o = slot * 3;
    table[o] = parent;
    table[o + 1] = frame;
    table[o + 2] = c + 1;
    if (this.n * 2 > mask) this.rehash();
    return c;
  }

  private rehash(): void {
    const mask = this.mask * 2 + 1;
    const table = new Int32Array((mask + 1) * 3);
    for (let c = 1; c < this.n; c++) {
      const p = this.parent[c]!;
      const f = this.frame[c]!;
      let slot = FlameTreeBuilder.hash(p, f) & mask;
      while (table[slot * 3 + 2] !== 0) slot = (slot + 1) & mask;
      table[slot * 3] = p;
      table[slot * 3 + 1] = f;
      table[slot * 3 + 2] = c + 1;
    }
    this.table = table;
    this.mask = mask;
  }

  // The previous stack's frames and nodes: consecutive samples usually share a prefix, and
  // walking it again from these arrays avoids a hash probe (a cache miss) per shared frame.
  private prevFrames = new Int32Array(256);
  private prevNodes = new Int32Array(256);
  private prevLen = 0;
  private prevGroup = -2;

  /** Adds `value` as self of the node root → (group frame) → stack; totals are summed up in finish(). */
  addStack(stack: readonly number[], remap: Int32Array, value: number, base: boolean, groupFrame: number): void {
    const n = stack.length;
    if (this.prevFrames.length < n) {
      const f = new Int32Array(n * 2);
      f.set(this.prevFrames);
      this.prevFrames = f;
      const d = new Int32Array(n * 2);
      d.set(this.prevNodes);
      this.prevNodes = d;
    }
    const pf = this.prevFrames;
    const pn = this.prevNodes;
    let node = 0;
    if (groupFrame >= 0) node = this.child(0, groupFrame);
    let i = 0;
    if (groupFrame === this.prevGroup) {
      const lim = Math.min(n, this.prevLen);
      while (i < lim && pf[i] === remap[stack[i]!]) i++;
      if (i > 0) node = pn[i - 1]!;
    }
    for (; i < n; i++) {
      const f = remap[stack[i]!]!;
      node = this.child(node, f);
      pf[i] = f;
      pn[i] = node;
    }
    this.prevLen = n;
    this.prevGroup = groupFrame;
    (base ? this.baseSelf! : this.self)[node] += value;
  }

  finish(sampleType: string, unit: string, baseTotal?: number): FlameTree {
    const n = this.n;
    const nf = this.fName.length;
    const strings = this.strings;
    // Frame order for siblings: name, then file, line, kind, module.
    const order = Array.from({ length: nf }, (_, i) => i);
    const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    order.sort(
      (a, b) =>
        cmpStr(strings[this.fName[a]!]!, strings[this.fName[b]!]!) ||
        cmpStr(strings[this.fFile[a]!]!, strings[this.fFile[b]!]!) ||
        this.fLine[a]! - this.fLine[b]! ||
        this.fKind[a]! - this.fKind[b]! ||
        cmpStr(strings[this.fModule[a]!]!, strings[this.fModule[b]!]!),
    );
    const rank = new Int32Array(nf);
    for (let i = 0; i < nf; i++) rank[order[i]!] = i;

    // Scratch arrays (6n entries) are views of the (parent, frame) table, which is no longer needed and
    // holds at least 6n + 3 entries: a 1M-node tree then allocates 24 MB less, which on a large heap
    // is what decides whether V8 starts a full GC (external memory growth) during the build.
    const scratch = this.table;
    scratch.fill(0, 0, n + 1);
    let at = 0;
    const view = (len: number) => {
      const v = scratch.subarray(at, at + len);
      at += len;
      return v;
    };
    // Children in CSR form, each group sorted by frame rank.
    const childCount = view(n + 1);
    for (let c = 1; c < n; c++) childCount[this.parent[c]! + 1]++;
    for (let i = 0; i < n; i++) childCount[i + 1] += childCount[i]!;
    const offs = childCount; // offs[p] .. offs[p+1]
    const fill = view(n);
    fill.set(offs.subarray(0, n));
    const kids = view(Math.max(0, n - 1));
    for (let c = 1; c < n; c++) kids[fill[this.parent[c]!]!++] = c;
    const keyed = new Float64Array(64);
    let tmp = keyed;
    for (let p = 0; p < n; p++) {
      const a = offs[p]!;
      const b = offs[p + 1]!;
      if (b - a < 2) continue;
      // Sort by rank (unique among siblings): pack rank and node into one float, sort numerically.
      if (tmp.length < b - a) tmp = new Float64Array((b - a) * 2);
      for (let i = a; i < b; i++) tmp[i - a] = rank[this.frame[kids[i]!]!]! * 4294967296 + kids[i]!;
      const sorted = tmp.subarray(0, b - a);
      sorted.sort();
      for (let i = a; i < b; i++) kids[i] = sorted[i - a]! % 4294967296;
    }

    // Pre-order layout.
    const nodeFrame = new Uint32Array(n);
    const nodeParent = new Int32Array(n);
    const nodeDepth = new Uint16Array(n);
    const nodeTotal = new Float64Array(n);
    const nodeSelf = new Float64Array(n);
    const nodeBaseTotal = this.baseSelf ? new Float64Array(n) : undefined;
    const nodeBaseSelf = this.baseSelf ? new Float64Array(n) : undefined;
    const newIndex = view(n);
    const stack = view(n);
    const depthOf = view(n);
    let sp = 0;
    stack[sp++] = 0;
    let out = 0;
    while (sp > 0) {
      const v = stack[--sp]!;
      const o = out++;
      newIndex[v] = o;
      const d = v === 0 ? 0 : depthOf[this.parent[v]!]! + 1;
      depthOf[v] = d;
      nodeDepth[o] = Math.min(d, 65535);
      nodeFrame[o] = this.frame[v]!;
      nodeParent[o] = v === 0 ? -1 : newIndex[this.parent[v]!]!;
      nodeSelf[o] = this.self[v]!;
      if (nodeBaseSelf) nodeBaseSelf[o] = this.baseSelf![v]!;
      // Push children in reverse so the first sibling is visited first.
      for (let i = offs[v + 1]! - 1; i >= offs[v]!; i--) stack[sp++] = kids[i]!;
    }

    // total = self + children's totals; in pre-order a child comes after its parent, so one reverse pass.
    const pairs: [Float64Array, Float64Array][] = [[nodeSelf, nodeTotal]];
    if (nodeBaseSelf && nodeBaseTotal) pairs.push([nodeBaseSelf, nodeBaseTotal]);
    for (const [self, total] of pairs) {
      total.set(self);
      for (let o = n - 1; o > 0; o--) total[nodeParent[o]!] += total[o]!;
    }

    const tree: FlameTree = {
      version: 1,
      strings,
      sampleType,
      unit,
      frameName: Uint32Array.from(this.fName),
      frameFile: Uint32Array.from(this.fFile),
      frameLine: Uint32Array.from(this.fLine),
      frameKind: Uint8Array.from(this.fKind),
      frameModule: Uint32Array.from(this.fModule),
      nodeFrame,
      nodeParent,
      nodeDepth,
      nodeTotal,
      nodeSelf,
    };
    if (nodeBaseTotal && nodeBaseSelf) {
      tree.nodeBaseTotal = nodeBaseTotal;
      tree.nodeBaseSelf = nodeBaseSelf;
      tree.baseTotal = baseTotal ?? nodeBaseTotal[0]!;
    }
    return tree;
  }
}

function addProfile(b: FlameTreeBuilder, p: Profile, vi: number, base: boolean, groupBy: string | undefined): void {
  const remap = b.mapFrames(p);
  const groupFrames = new Map<string, number>();
  for (const s of p.samples) {
    const v = s.values[vi] ?? 0;
    if (v === 0) continue;
    let g = -1;
    if (groupBy !== undefined) {
      const lv = s.labels[groupBy];
      const name = `${groupBy}=${lv ?? "(none)"}`;
      let gf = groupFrames.get(name);
      if (gf === undefined) {
        gf = b.frameId({ name, file: "", line: 0, kind: "other", module: "" });
        groupFrames.set(name, gf);
      }
      g = gf;
    }
    b.addStack(s.stack, remap, v, base, g);
  }
}

/** The flamegraph of one profile; node 0 ("all") holds the profile total. */
export function buildFlameTree(p: Profile, opts: FlameTreeOptions = {}): FlameTree {
  const vi = resolveValueIndex(p, opts.valueIndex);
  // One node per sample is a guess (a sample adds the frames its stack does not share), not a bound.
  const b = new FlameTreeBuilder(opts.byLine === true, false, p.samples.length + 1);
  addProfile(b, p, vi, false, opts.groupBy);
  const t = p.sampleTypes[vi]!;
  return b.finish(t.type, t.unit);
}

/** Index of target's sample type `vi` in `base` (by type and unit), else base's default. */
function matchingIndex(base: Profile, target: Profile, vi: number): number {
  const t = target.sampleTypes[vi]!;
  const i = base.sampleTypes.findIndex((x) => sameValueType(x, t));
  return i >= 0 ? i : base.defaultSampleType;
}

/**
 * A diff tree over the union of both profiles' paths: nodeTotal/nodeSelf from `target`,
 * nodeBaseTotal/nodeBaseSelf the raw baseline values of the same path (0 when the path is
 * new), baseTotal the baseline total. Paths only in the baseline stay, with target total 0.
 */
export function buildDiffFlameTree(
  baseIn: Profile,
  targetIn: Profile,
  opts: Omit<FlameTreeOptions, "groupBy"> & { groupBy?: string } & MatchOptions = {},
): FlameTree {
  const [base, target] = alignFrames(baseIn, targetIn, opts);
  const vi = resolveValueIndex(target, opts.valueIndex);
  const bvi =
    opts.valueIndex !== undefined ? resolveValueIndex(base, opts.valueIndex) : matchingIndex(base, target, vi);
  const b = new FlameTreeBuilder(opts.byLine === true, true, Math.max(base.samples.length, target.samples.length) + 1);
  addProfile(b, target, vi, false, opts.groupBy);
  addProfile(b, base, bvi, true, opts.groupBy);
  const t = target.sampleTypes[vi]!;
  const tree = b.finish(t.type, t.unit);
  return tree;
}
