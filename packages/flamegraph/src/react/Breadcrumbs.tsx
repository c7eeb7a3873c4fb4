"use client";

import { nodeName, pathTo, type TreeIndex } from "../core/tree.js";

/** The zoom path from the root to the zoomed frame; a click zooms to that frame. */
export function Breadcrumbs({ ix, zoom, onZoom }: { ix: TreeIndex; zoom: number; onZoom: (n: number) => void }) {
  const path = [0, ...pathTo(ix, zoom)];
  return (
    <nav className="pfg-crumbs" aria-label="Zoom path" data-testid="breadcrumbs">
      {path.map((n, i) => (
        <span key={n}>
          {i > 0 ? <span className="pfg-muted"> › </span> : null}
          <button type="button" aria-current={n === zoom} onClick={() => onZoom(n)} title={nodeName(ix.tree, n)}>
            {nodeName(ix.tree, n)}
          </button>
        </span>
      ))}
    </nav>
  );
}
