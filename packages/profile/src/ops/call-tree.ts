/** An object call tree (for JSON APIs and small profiles; the viewer uses FlameTree). */
import { type Frame, type Profile, resolveValueIndex } from "../model.js";
import { functionKey, functionOf } from "./top.js";

/** A frame (line 0 unless byLine) at one call path, with its values. */
export interface CallTreeNode extends Frame {
  self: number;
  total: number;
  /** Sorted by total (desc), then name. */
  children: CallTreeNode[];
}

export interface CallTreeOptions {
  valueIndex?: number;
  /** Keep one node per source line (default false: lines of one function merge, line 0). */
  byLine?: boolean;
}

/** Root "all" holds the profile total; every node's total = self + sum of its children's totals. */
export function callTree(p: Profile, opts: CallTreeOptions = {}): CallTreeNode {
  const vi = resolveValueIndex(p, opts.valueIndex);
  const byLine = opts.byLine === true;
  const root: CallTreeNode = {
    name: "all",
    file: "",
    line: 0,
    kind: "other",
    module: "",
    self: 0,
    total: 0,
    children: [],
  };
  const index = new Map<CallTreeNode, Map<string, CallTreeNode>>();
  const keys = p.frames.map((f) => functionKey(f, byLine));
  for (const s of p.samples) {
    const v = s.values[vi] ?? 0;
    if (v === 0) continue;
    let node = root;
    root.total += v;
    for (const fi of s.stack) {
      let m = index.get(node);
      if (!m) {
        m = new Map();
        index.set(node, m);
      }
      const k = keys[fi]!;
      let c = m.get(k);
      if (!c) {
        const f = p.frames[fi]!;
        c = {
          ...functionOf(f, byLine),
          self: 0,
          total: 0,
          children: [],
        };
        m.set(k, c);
        node.children.push(c);
      }
      c.total += v;
      node = c;
    }
    node.self += v;
  }
  const sortRec = (n: CallTreeNode) => {
    n.children.sort((a, b) => b.total - a.total || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const c of n.children) sortRec(c);
  };
  sortRec(root);
  return root;
}
