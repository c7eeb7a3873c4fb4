import type { FlameTree, FrameKind } from "@perforator/profile";

/** Order must match FRAME_KINDS in @perforator/profile (flame-tree.ts). */
export const KINDS: readonly FrameKind[] = ["python", "native", "kernel", "other"];

/**
 * Derived per-node arrays computed once per FlameTree, in O(n):
 * - `end[i]`: exclusive end of i's subtree in the pre-order arrays (subtree = i..end[i]-1);
 * - `x[i]`: offset of i from the root's left edge, in value units (siblings packed left to right).
 */
export interface TreeIndex {
  tree: FlameTree;
  n: number;
  end: Uint32Array;
  x: Float64Array;
  maxDepth: number;
  total: number;
}

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
  // x offsets: a first child starts where its parent starts; any other node starts where the
  // previous node at its depth (its previous sibling, in pre-order) ends.
  const x = new Float64Array(n);
  const depthEnd = new Float64Array(maxDepth + 1);
  for (let i = 1; i < n; i++) {
    const p = nodeParent[i]!;
    const d = nodeDepth[i]!;
    const xi = p === i - 1 ? x[p]! : depthEnd[d]!;
    x[i] = xi;
    depthEnd[d] = xi + nodeTotal[i]!;
  }
  return { tree, n, end, x, maxDepth, total: nodeTotal[0]! };
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
