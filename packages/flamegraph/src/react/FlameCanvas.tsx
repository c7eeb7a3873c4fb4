"use client";

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { computeLayout, hitTest, type LayoutMode, nodeRect, rowY } from "../core/layout.js";
import type { LineResolver } from "../core/lines.js";
import { FlameRenderer, type RenderStats } from "../core/renderer.js";
import type { SearchResult } from "../core/search.js";
import { children, diffStatus, nodeName, type TreeIndex } from "../core/tree.js";
import { describeNode } from "./node-text.js";
import { type Hover, Tooltip } from "./Tooltip.js";

export interface FlameCanvasProps {
  ix: TreeIndex;
  zoom: number;
  mode: LayoutMode;
  search: SearchResult | null;
  diff: boolean;
  /** Zoom request (click, Enter, Escape/Backspace); without it the view does not zoom (sandwich halves). */
  onZoom?: (node: number) => void;
  /** Height of the scrolling viewport in CSS px (the canvas never exceeds it). */
  maxHeight?: number;
  rowHeight?: number;
  ariaLabel: string;
  /** Per-function trees: recovers the source line(s) of a node for the tooltip. */
  lines?: LineResolver | null;
  /** When set, registers window.__flamegraph[hookId] for browser tests and benchmarks. */
  hookId?: string;
}

/** Test/benchmark hook, clearly named: window.__flamegraph[id]. */
export interface FlameTestHook {
  /** Client-coordinate rectangle of the first visible node named `name` (nth match), or null. */
  rectOf(name: string, nth?: number): { x: number; y: number; w: number; h: number } | null;
  zoomName(): string;
  /** Number of nodes in the drawn tree. */
  nodeCount(): number;
  /** Diff status ("new", "removed", "both") of each node named `name`, in tree order; [] outside a diff. */
  diffStatuses(name: string): string[];
  stats(): RenderStats | null;
  /** performance.now() when this canvas first drew (ms since navigation start). */
  firstDrawAt(): number | null;
  redraw(): RenderStats | null;
  /** Name of the keyboard-focused frame ("" when none). */
  focusName(): string;
}

declare global {
  interface Window {
    __flamegraph?: Record<string, FlameTestHook>;
  }
}

export function FlameCanvas(props: FlameCanvasProps) {
  const { ix, zoom, mode, search, diff, onZoom, hookId, lines } = props;
  const rowHeight = props.rowHeight ?? 18;
  const maxHeight = props.maxHeight ?? 640;
  const scrollRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const rendererRef = useRef<FlameRenderer | null>(null);
  const statsRef = useRef<RenderStats | null>(null);
  const firstDrawRef = useRef<number | null>(null);
  const [width, setWidth] = useState(0);
  const [scrollTop, setScrollTop] = useState(0);
  const [hover, setHover] = useState<Hover | null>(null);
  // Keyboard focus: a frame, drawn with a focus ring while the viewer has DOM focus.
  const [focusNode, setFocusNode] = useState(-1);
  const [hasFocus, setHasFocus] = useState(false);
  const [announcement, setAnnouncement] = useState("");
  // A new tree (other profile, split or by-line toggle) invalidates node indices.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset on a new tree only
  useEffect(() => setFocusNode(-1), [ix]);

  const layout = useMemo(
    () => computeLayout(ix, { zoom, mode, width: Math.max(1, width), rowHeight }),
    [ix, zoom, mode, width, rowHeight],
  );
  const viewportHeight = Math.min(layout.height, maxHeight);
  const z = layout.view.zoom;
  /** Drawn in the current zoom: an ancestor of the zoomed frame, or inside its subtree. */
  const inView = useCallback(
    (n: number) => n >= 0 && n < ix.n && ((n <= z && z < ix.end[n]!) || (z <= n && n < ix.end[z]!)),
    [ix, z],
  );
  const focus = inView(focusNode) ? focusNode : -1;

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const measure = () => setWidth(el.clientWidth);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // Flame mode reads bottom-up: start scrolled to the root row.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    el.scrollTop = mode === "flame" ? layout.height : 0;
    setScrollTop(el.scrollTop);
  }, [mode, layout.height]);

  const draw = useCallback((): RenderStats | null => {
    const canvas = canvasRef.current;
    if (!canvas || width <= 0) return null;
    if (!rendererRef.current) rendererRef.current = new FlameRenderer(canvas);
    const stats = rendererRef.current.render({
      layout,
      scrollTop,
      viewportHeight,
      search,
      hover: hover?.node ?? -1,
      focus: hasFocus ? focus : -1,
      diff,
      devicePixelRatio: window.devicePixelRatio || 1,
    });
    statsRef.current = stats;
    if (firstDrawRef.current === null) firstDrawRef.current = performance.now();
    return stats;
  }, [layout, scrollTop, viewportHeight, search, hover?.node, diff, width, hasFocus, focus]);

  useLayoutEffect(() => {
    draw();
  }, [draw]);

  useEffect(() => {
    if (!hookId) return;
    const hooks = window.__flamegraph ?? {};
    window.__flamegraph = hooks;
    hooks[hookId] = {
      rectOf(name, nth = 0) {
        let seen = 0;
        for (let i = 0; i < ix.n; i++) {
          if (nodeName(ix.tree, i) !== name) continue;
          const r = nodeRect(layout, i);
          if (!r || r.w < 1) continue;
          if (seen++ < nth) continue;
          const box = canvasRef.current!.getBoundingClientRect();
          return { x: box.left + r.x, y: box.top + r.y - scrollTop, w: r.w, h: r.h };
        }
        return null;
      },
      zoomName: () => nodeName(ix.tree, layout.view.zoom),
      nodeCount: () => ix.n,
      diffStatuses(name) {
        const out: string[] = [];
        for (let i = 0; i < ix.n; i++) {
          const st = nodeName(ix.tree, i) === name ? diffStatus(ix.tree, i) : null;
          if (st) out.push(st);
        }
        return out;
      },
      stats: () => statsRef.current,
      firstDrawAt: () => firstDrawRef.current,
      redraw: () => draw(),
      focusName: () => (focus >= 0 ? nodeName(ix.tree, focus) : ""),
    };
    return () => {
      delete hooks[hookId];
    };
  }, [hookId, ix, layout, scrollTop, draw, focus]);

  const nodeAt = (clientX: number, clientY: number): number => {
    const canvas = canvasRef.current;
    if (!canvas) return -1;
    const box = canvas.getBoundingClientRect();
    return hitTest(layout, clientX - box.left, clientY - box.top + scrollTop);
  };

  const onMouseMove = (e: React.MouseEvent) => {
    const node = nodeAt(e.clientX, e.clientY);
    setHover(node >= 0 ? { node, clientX: e.clientX, clientY: e.clientY } : null);
  };

  /** Moves the keyboard focus, announces it and (from the keyboard) scrolls its row into view. */
  const moveFocus = (node: number, scroll: boolean) => {
    setFocusNode(node);
    setAnnouncement(describeNode(ix, node, z, diff, lines));
    const el = scrollRef.current;
    if (!el || !scroll) return;
    const y = rowY(layout, ix.tree.nodeDepth[node]!);
    if (y < el.scrollTop) el.scrollTop = y;
    else if (y + rowHeight > el.scrollTop + viewportHeight) el.scrollTop = y + rowHeight - viewportHeight;
  };

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const t = ix.tree;
    const cur = focus >= 0 ? focus : z;
    if ((e.key === "Escape" || e.key === "Backspace") && zoom > 0 && onZoom) {
      e.preventDefault();
      const up = t.nodeParent[z]!;
      onZoom(up);
      setAnnouncement(`Zoomed out to ${nodeName(t, up)}.`);
      return;
    }
    if (e.key === "Enter") {
      e.preventDefault();
      if (cur !== z && onZoom) {
        onZoom(cur);
        setAnnouncement(`Zoomed into ${nodeName(t, cur)}.`);
      }
      return;
    }
    // The arrow pointing at the root row goes to the parent, the other to the heaviest child.
    const towardRoot = mode === "flame" ? "ArrowDown" : "ArrowUp";
    const towardLeaves = mode === "flame" ? "ArrowUp" : "ArrowDown";
    let next = -1;
    if (e.key === towardRoot) {
      if (cur > 0) next = t.nodeParent[cur]!;
    } else if (e.key === towardLeaves) {
      for (const c of children(ix, cur)) {
        if (
          next < 0 ||
          t.nodeTotal[c]! > t.nodeTotal[next]! ||
          (t.nodeTotal[c] === t.nodeTotal[next] && ix.width[c]! > ix.width[next]!)
        )
          next = c;
      }
    } else if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      // Siblings are only drawn inside the zoomed frame; its ancestors span the whole width.
      if (cur > z && cur < ix.end[z]!) {
        const sibs = children(ix, t.nodeParent[cur]!);
        const k = sibs.indexOf(cur) + (e.key === "ArrowLeft" ? -1 : 1);
        if (k >= 0 && k < sibs.length) next = sibs[k]!;
      }
    } else if (e.key === "Home") {
      next = z;
    } else {
      return;
    }
    e.preventDefault();
    if (next >= 0) moveFocus(next, true);
  };

  return (
    <div
      ref={scrollRef}
      className="pfg-scroll"
      style={{ height: viewportHeight + 2 }}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: the canvas viewer is keyboard operable (Esc/Backspace zoom out)
      tabIndex={0}
      role="application"
      aria-label={props.ariaLabel}
      aria-roledescription="flamegraph"
      onKeyDown={onKeyDown}
      onFocus={(e) => {
        if (e.target !== e.currentTarget) return;
        setHasFocus(true);
        // No scrolling here: a mouse press focuses too, and its click must land where it was aimed.
        if (focus < 0) moveFocus(z, false);
      }}
      onBlur={(e) => {
        if (e.target === e.currentTarget) setHasFocus(false);
      }}
    >
      <div style={{ height: layout.height, position: "relative" }}>
        <canvas
          ref={canvasRef}
          onMouseMove={onMouseMove}
          onMouseLeave={() => setHover(null)}
          onClick={(e) => {
            const node = nodeAt(e.clientX, e.clientY);
            if (node >= 0) {
              setFocusNode(node);
              onZoom?.(node);
            }
          }}
        />
      </div>
      <div className="pfg-sr-only" aria-live="polite" aria-atomic="true" data-testid="flame-announce">
        {announcement}
      </div>
      {hover && hover.node < ix.n ? (
        <Tooltip ix={ix} zoom={layout.view.zoom} hover={hover} diff={diff} lines={lines ?? null} />
      ) : null}
    </div>
  );
}
