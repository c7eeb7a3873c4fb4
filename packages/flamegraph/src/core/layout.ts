import type { TreeIndex } from "./tree.js";
import { subtreeMaxDepth } from "./tree.js";

export type LayoutMode = "flame" | "icicle";

/** Geometry of one view: which node fills the width, orientation and sizes in CSS pixels. */
export interface Viewport {
  /** Zoomed node: it and its ancestors span the full width; its subtree is scaled to fit. */
  zoom: number;
  /** "flame": root at the bottom; "icicle": root on top. */
  mode: LayoutMode;
  width: number;
  rowHeight: number;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Layout {
  ix: TreeIndex;
  view: Viewport;
  /** Number of depth rows drawn (root row included). */
  rows: number;
  /** Full content height in CSS px (rows * rowHeight). */
  height: number;
  /** Pixels per layout unit (`TreeIndex.width`) inside the zoomed subtree. */
  scale: number;
  /** Left edge of the zoomed node, in value units. */
  x0: number;
}

export function computeLayout(ix: TreeIndex, view: Viewport): Layout {
  const zoom = view.zoom >= 0 && view.zoom < ix.n ? view.zoom : 0;
  const rows = subtreeMaxDepth(ix, zoom) + 1;
  const zt = ix.width[zoom]!;
  return {
    ix,
    view: { ...view, zoom },
    rows,
    height: rows * view.rowHeight,
    scale: zt > 0 ? view.width / zt : 0,
    x0: ix.x[zoom]!,
  };
}

/** Top edge (CSS px, content coordinates) of the row at `depth`. */
export function rowY(l: Layout, depth: number): number {
  return l.view.mode === "flame" ? (l.rows - 1 - depth) * l.view.rowHeight : depth * l.view.rowHeight;
}

/** Depth of the row under content y, or -1 outside the content. */
export function depthAtY(l: Layout, y: number): number {
  if (y < 0 || y >= l.height) return -1;
  const r = Math.floor(y / l.view.rowHeight);
  return l.view.mode === "flame" ? l.rows - 1 - r : r;
}

function isAncestorOrSelf(ix: TreeIndex, a: number, node: number): boolean {
  return a <= node && node < ix.end[a]!;
}

/** Rectangle of `node` in content coordinates, or null when it is outside the zoomed view. */
export function nodeRect(l: Layout, node: number): Rect | null {
  const { ix, view } = l;
  const z = view.zoom;
  const d = ix.tree.nodeDepth[node]!;
  const y = rowY(l, d);
  if (isAncestorOrSelf(ix, node, z)) return { x: 0, y, w: view.width, h: view.rowHeight };
  if (!isAncestorOrSelf(ix, z, node)) return null;
  return {
    x: (ix.x[node]! - l.x0) * l.scale,
    y,
    w: ix.width[node]! * l.scale,
    h: view.rowHeight,
  };
}

/** Node under the point (content coordinates), or -1. Walks from the zoomed node down: O(depth x siblings). */
export function hitTest(l: Layout, px: number, py: number): number {
  const { ix, view } = l;
  if (px < 0 || px >= view.width) return -1;
  const depth = depthAtY(l, py);
  if (depth < 0) return -1;
  const z = view.zoom;
  const zd = ix.tree.nodeDepth[z]!;
  if (depth <= zd) {
    let a = z;
    while (ix.tree.nodeDepth[a]! > depth) a = ix.tree.nodeParent[a]!;
    return a;
  }
  const target = l.x0 + px / l.scale;
  let node = z;
  for (let d = zd; d < depth; d++) {
    let next = -1;
    const stop = ix.end[node]!;
    for (let c = node + 1; c < stop; c = ix.end[c]!) {
      const cx = ix.x[c]!;
      if (target >= cx && target < cx + ix.width[c]!) {
        next = c;
        break;
      }
      if (cx > target) break;
    }
    if (next < 0) return -1;
    node = next;
  }
  return node;
}
