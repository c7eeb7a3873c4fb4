"use client";

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { computeLayout, hitTest, type LayoutMode, nodeRect, rowY } from "../core/layout.js";
import type { LineResolver } from "../core/lines.js";
import { FlameRenderer, type RenderStats } from "../core/renderer.js";
import { formatPercent, type SearchResult } from "../core/search.js";
import {
  children,
  diffStatus,
  nodeFile,
  nodeKind,
  nodeLine,
  nodeModule,
  nodeName,
  type TreeIndex,
} from "../core/tree.js";
import { formatDelta, formatValue } from "./format.js";

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

interface Hover {
  node: number;
  clientX: number;
  clientY: number;
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

/**
 * Where a node's code is: "file:line" when the tree has lines or all its samples share one line;
 * "file — lines vary (24: 81%, 25: 19%)" otherwise; "" when the file is unknown.
 */
export function describeLocation(ix: TreeIndex, node: number, lines: LineResolver | null | undefined): string {
  const t = ix.tree;
  const file = nodeFile(t, node);
  if (!file) return "";
  const line = nodeLine(t, node);
  if (line > 0) return `${file}:${line}`;
  const info = lines?.linesOf(node);
  if (!info) return file;
  const known = info.lines.filter((l) => l.line > 0);
  if (known.length === 0) return file;
  if (info.lines.length === 1) return `${file}:${known[0]!.line}`;
  const shown = info.lines
    .slice(0, 3)
    .map((l) => `${l.line > 0 ? l.line : "?"}: ${formatPercent(l.value / info.value)}`)
    .join(", ");
  return `${file} — lines vary (${shown}${info.lines.length > 3 ? ", …" : ""})`;
}

/** One sentence for screen readers: name, location, shares, and the diff status. */
export function describeNode(
  ix: TreeIndex,
  node: number,
  zoom: number,
  diff: boolean,
  lines: LineResolver | null | undefined,
): string {
  const t = ix.tree;
  const total = t.nodeTotal[node]!;
  const zt = t.nodeTotal[zoom]!;
  const parts = [nodeName(t, node)];
  const loc = describeLocation(ix, node, lines);
  if (loc) parts.push(loc);
  parts.push(`${formatPercent(ix.total > 0 ? total / ix.total : 0)} of total`);
  if (zoom > 0 && node !== zoom && zt > 0) parts.push(`${formatPercent(total / zt)} of zoomed frame`);
  parts.push(`self ${formatPercent(ix.total > 0 ? t.nodeSelf[node]! / ix.total : 0)}`);
  const status = diff ? diffStatus(t, node) : null;
  if (status && t.nodeBaseTotal) {
    const bt = t.baseTotal ?? 0;
    const before = bt > 0 ? t.nodeBaseTotal[node]! / bt : 0;
    if (status === "new") parts.push("new: not in the baseline");
    else if (status === "removed") parts.push(`removed: only in the baseline, was ${formatPercent(before)}`);
    else parts.push(`before ${formatPercent(before)}`);
  }
  return `${parts.join(", ")}.`;
}

function Tooltip(props: { ix: TreeIndex; zoom: number; hover: Hover; diff: boolean; lines: LineResolver | null }) {
  const { ix, zoom, hover, diff } = props;
  const t = ix.tree;
  const n = hover.node;
  const total = t.nodeTotal[n]!;
  const self = t.nodeSelf[n]!;
  const loc = describeLocation(ix, n, props.lines);
  const status = diff ? diffStatus(t, n) : null;
  const mod = nodeModule(t, n);
  const zoomTotal = t.nodeTotal[zoom]!;
  const baseTot = t.baseTotal ?? 0;
  const inDiff = diff && t.nodeBaseTotal !== undefined;
  const before = inDiff && baseTot > 0 ? t.nodeBaseTotal![n]! / baseTot : 0;
  const after = ix.total > 0 ? total / ix.total : 0;
  const left = Math.min(hover.clientX + 14, (typeof window !== "undefined" ? window.innerWidth : 1e4) - 380);
  return (
    <div className="pfg-tooltip" role="tooltip" style={{ left: Math.max(4, left), top: hover.clientY + 16 }}>
      <div className="pfg-tt-name">{nodeName(t, n)}</div>
      {loc ? (
        <div className="pfg-muted" data-testid="tooltip-location">
          {loc}
        </div>
      ) : null}
      {status === "new" || status === "removed" ? (
        <div className={`pfg-tt-status pfg-${status}`} data-testid="tooltip-status">
          {status === "new"
            ? "new: not in the baseline"
            : "removed: only in the baseline (drawn at its baseline share)"}
        </div>
      ) : null}
      <div className="pfg-muted">
        {nodeKind(t, n)}
        {mod ? ` · ${mod}` : ""}
      </div>
      <table>
        <tbody>
          <tr>
            <td>Total</td>
            <td>{formatValue(total, t.unit)}</td>
            <td>{formatPercent(after)} of total</td>
            <td>{zoomTotal > 0 ? `${formatPercent(total / zoomTotal)} of zoomed frame` : ""}</td>
          </tr>
          <tr>
            <td>Self</td>
            <td>{formatValue(self, t.unit)}</td>
            <td>{formatPercent(ix.total > 0 ? self / ix.total : 0)} of total</td>
            <td />
          </tr>
          {inDiff ? (
            <>
              <tr>
                <td>Before</td>
                <td>{formatPercent(before)}</td>
                <td colSpan={2}>{t.nodeBaseTotal![n] === 0 ? "not in baseline (new)" : "of baseline total"}</td>
              </tr>
              <tr>
                <td>After</td>
                <td>{formatPercent(after)}</td>
                <td colSpan={2}>of new total</td>
              </tr>
              <tr>
                <td>Delta</td>
                <td className={after > before ? "pfg-grew" : after < before ? "pfg-shrank" : ""}>
                  {formatDelta(after - before)}
                </td>
                <td colSpan={2}>change in share of total</td>
              </tr>
            </>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}
