import { type FlameTree, FRAME_KINDS, type FrameKind } from "@perforator/profile";

/** Frame kinds by FlameTree.frameKind index: FRAME_KINDS of @perforator/profile (kept as this name for callers). */
export const KINDS: readonly FrameKind[] = FRAME_KINDS;

/**
 * Derived per-node arrays computed once per FlameTree, in O(n):
 * - `end[i]`: exclusive end of i's subtree in the pre-order arrays (subtree = i..end[i]-1);
 * - `width[i]`: drawn width of i in value units. Outside a diff this IS `nodeTotal`. In a diff,
 *   a subtree that exists only in the baseline ("removed") gets its baseline total scaled to the
 *   target total (`diffScale`), and every other node is as wide as its self value plus its
 *   children's widths, so ancestors widen to make room. Layout only: shown numbers stay the real
 *   target / baseline values;
 * - `x[i]`: offset of i from the root's left edge, in the same units (siblings packed left to right).
 */
export interface TreeIndex {
  tree: FlameTree;
  n: number;
  end: Uint32Array;
  x: Float64Array;
  width: Float64Array;
  maxDepth: number;
  /** The real target total (nodeTotal[0]): the denominator of every share shown. */
  total: number;
  /** Diff only: target total / baseline total (1 when either side is empty); 0 outside a diff. */
  diffScale: number;
}

/** In a diff: a frame present only in the target ("new") or only in the baseline ("removed"). */
export type DiffStatus = "new" | "removed" | "both";

export function indexTree(tree: FlameTree): TreeIndex {
  const n = tree.nodeFrame.length;
  if (n === 0) throw new Error("FlameTree has no nodes: expected node 0 to be the root 'all'");
  const { nodeParent, nodeTotal, nodeDepth } = tree;
  // Subtree sizes bottom-up, turned into subtree ends in place (one 4-byte array for both).
  const end = new Uint32Array(n).fill(1);
  for (let i = n - 1; i > 0; i--) {
    const p = nodeParent[i]!;
    end[p] = end[p]! + end[i]!;
  }
  let maxDepth = 0;
  for (let i = 0; i < n; i++) {
    end[i] = i + end[i]!;
    const d = nodeDepth[i]!;
    if (d > maxDepth) maxDepth = d;
  }
  const total = nodeTotal[0]!;
  let width = nodeTotal;
  let diffScale = 0;
  const base = tree.nodeBaseTotal;
  if (base) {
    const bt = tree.baseTotal ?? base[0]!;
    diffScale = total > 0 && bt > 0 ? total / bt : 1;
    // Bottom-up: a removed node's width is its scaled baseline total (its whole subtree is removed
    // too, so its children already fit inside it); any other node is self + sum of children.
    width = new Float64Array(n);
    const self = tree.nodeSelf;
    for (let i = 0; i < n; i++) width[i] = nodeTotal[i]! === 0 && base[i]! > 0 ? base[i]! * diffScale : self[i]!;
    for (let i = n - 1; i > 0; i--) {
      const p = nodeParent[i]!;
      if (!(nodeTotal[p]! === 0 && base[p]! > 0)) width[p] = width[p]! + width[i]!;
    }
  }
  // x offsets: a first child starts where its parent starts; any other node starts where the
  // previous node at its depth (its previous sibling, in pre-order) ends.
  const x = new Float64Array(n);
  const depthEnd = new Float64Array(maxDepth + 1);
  for (let i = 1; i < n; i++) {
    const p = nodeParent[i]!;
    const d = nodeDepth[i]!;
    const xi = p === i - 1 ? x[p]! : depthEnd[d]!;
    x[i] = xi;
    depthEnd[d] = xi + width[i]!;
  }
  return { tree, n, end, x, width, maxDepth, total, diffScale };
}

/** "new" / "removed" / "both" in a diff tree; null outside a diff and for the root. */
export function diffStatus(t: FlameTree, node: number): DiffStatus | null {
  const base = t.nodeBaseTotal;
  if (!base || node === 0) return null;
  const b = base[node]!;
  const a = t.nodeTotal[node]!;
  if (a > 0 && b === 0) return "new";
  if (a === 0 && b > 0) return "removed";
  return "both";
}

export function nodeName(t: FlameTree, node: number): string {
  return t.strings[t.frameName[t.nodeFrame[node]!]!] ?? "";
}

export function nodeFile(t: FlameTree, node: number): string {
  return t.strings[t.frameFile[t.nodeFrame[node]!]!] ?? "";
}

export function nodeLine(t: FlameTree, node: number): number {
  return t.frameLine[t.nodeFrame[node]!] ?? 0;
}

export function nodeKind(t: FlameTree, node: number): FrameKind {
  return KINDS[t.frameKind[t.nodeFrame[node]!]!] ?? "other";
}

export function nodeModule(t: FlameTree, node: number): string {
  return t.strings[t.frameModule[t.nodeFrame[node]!]!] ?? "";
}

/** "file:line", "file", or "" when unknown. */
export function nodeLocation(t: FlameTree, node: number): string {
  const file = nodeFile(t, node);
  const line = nodeLine(t, node);
  if (!file) return "";
  return line > 0 ? `${file}:${line}` : file;
}

/** Children of `node`, in stored order. */
export function children(ix: TreeIndex, node: number): number[] {
  const out: number[] = [];
  const stop = ix.end[node]!;
  for (let c = node + 1; c < stop; c = ix.end[c]!) out.push(c);
  return out;
}

/** Path from the root (exclusive) to `node` (inclusive), as node indices. */
export function pathTo(ix: TreeIndex, node: number): number[] {
  const path: number[] = [];
  for (let i = node; i > 0; i = ix.tree.nodeParent[i]!) path.push(i);
  return path.reverse();
}

/** Names of the frames on the path to `node` (root excluded): the stable form of a zoom target. */
export function namePath(ix: TreeIndex, node: number): string[] {
  return pathTo(ix, node).map((i) => nodeName(ix.tree, i));
}

/**
 * Resolves a name path back to a node. At each level the heaviest child with that name wins
 * (two frames may share a name with different files). Returns the deepest node reached and
 * whether the whole path resolved.
 */
export function resolveNamePath(ix: TreeIndex, names: readonly string[]): { node: number; complete: boolean } {
  let node = 0;
  for (const name of names) {
    let best = -1;
    const stop = ix.end[node]!;
    for (let c = node + 1; c < stop; c = ix.end[c]!) {
      if (nodeName(ix.tree, c) === name && (best < 0 || ix.tree.nodeTotal[c]! > ix.tree.nodeTotal[best]!)) best = c;
    }
    if (best < 0) return { node, complete: false };
    node = best;
  }
  return { node, complete: true };
}

/** Deepest depth inside node's subtree. */
export function subtreeMaxDepth(ix: TreeIndex, node: number): number {
  if (node === 0) return ix.maxDepth;
  const d = ix.tree.nodeDepth;
  let m = d[node]!;
  const stop = ix.end[node]!;
  for (let i = node + 1; i < stop; i++) if (d[i]! > m) m = d[i]!;
  return m;
}
