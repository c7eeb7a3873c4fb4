"use client";

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { computeLayout, hitTest, type LayoutMode, nodeRect } from "../core/layout.js";
import { FlameRenderer, type RenderStats } from "../core/renderer.js";
import { formatPercent, type SearchResult } from "../core/search.js";
import { nodeKind, nodeLocation, nodeModule, nodeName, type TreeIndex } from "../core/tree.js";
import { formatDelta, formatValue } from "./format.js";

export interface FlameCanvasProps {
  ix: TreeIndex;
  zoom: number;
  mode: LayoutMode;
  search: SearchResult | null;
  diff: boolean;
  onZoom: (node: number) => void;
  /** Height of the scrolling viewport in CSS px (the canvas never exceeds it). */
  maxHeight?: number;
  rowHeight?: number;
  ariaLabel: string;
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
  const { ix, zoom, mode, search, diff, onZoom, hookId } = props;
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

  const layout = useMemo(
    () => computeLayout(ix, { zoom, mode, width: Math.max(1, width), rowHeight }),
    [ix, zoom, mode, width, rowHeight],
  );
  const viewportHeight = Math.min(layout.height, maxHeight);

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
      diff,
      devicePixelRatio: window.devicePixelRatio || 1,
    });
    statsRef.current = stats;
    if (firstDrawRef.current === null) firstDrawRef.current = performance.now();
    return stats;
  }, [layout, scrollTop, viewportHeight, search, hover?.node, diff, width]);

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
    };
    return () => {
      delete hooks[hookId];
    };
  }, [hookId, ix, layout, scrollTop, draw]);

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

  const onKeyDown = (e: React.KeyboardEvent) => {
    if ((e.key === "Escape" || e.key === "Backspace") && zoom > 0) {
      e.preventDefault();
      onZoom(ix.tree.nodeParent[zoom]!);
    }
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
      onKeyDown={onKeyDown}
    >
      <div style={{ height: layout.height, position: "relative" }}>
        <canvas
          ref={canvasRef}
          onMouseMove={onMouseMove}
          onMouseLeave={() => setHover(null)}
          onClick={(e) => {
            const node = nodeAt(e.clientX, e.clientY);
            if (node >= 0) onZoom(node);
          }}
        />
      </div>
      {hover && hover.node < ix.n ? <Tooltip ix={ix} zoom={layout.view.zoom} hover={hover} diff={diff} /> : null}
    </div>
  );
}

function Tooltip({ ix, zoom, hover, diff }: { ix: TreeIndex; zoom: number; hover: Hover; diff: boolean }) {
  const t = ix.tree;
  const n = hover.node;
  const total = t.nodeTotal[n]!;
  const self = t.nodeSelf[n]!;
  const loc = nodeLocation(t, n);
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
      {loc ? <div className="pfg-muted">{loc}</div> : null}
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
            <td>{formatPercent(zoomTotal > 0 ? total / zoomTotal : 0)} of zoomed frame</td>
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
