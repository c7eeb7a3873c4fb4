import { DIFF_GREY, diffColor, hslToRgb, kindColor } from "./color.js";
import type { Layout } from "./layout.js";
import { rowY } from "./layout.js";
import type { SearchResult } from "./search.js";
import { KINDS } from "./tree.js";

export interface RenderInput {
  layout: Layout;
  /** Content y (CSS px) shown at the canvas' top edge (the scroll position). */
  scrollTop: number;
  /** Visible height in CSS px; the canvas is never taller than this (no browser canvas limits). */
  viewportHeight: number;
  search: SearchResult | null;
  /** Hovered node or -1 */
  hover: number;
  /** Keyboard-focused node (drawn with a focus ring), or -1 / undefined for none. */
  focus?: number;
  /** Colour by diff when the tree has baseline arrays. */
  diff: boolean;
  devicePixelRatio: number;
}

export interface RenderStats {
  /** Frames drawn as their own rectangle. */
  drawn: number;
  /** Runs of sub-pixel frames merged into one rectangle. */
  aggregated: number;
  /** Labels drawn. */
  labels: number;
  /** Nodes looked at by the traversal (drawn, merged, or skipped with their subtree). */
  visited: number;
  /** Time in the traversal, in pixel painting (incl. upload) and in total, ms. */
  traverseMs: number;
  paintMs: number;
  ms: number;
}

/** Frames narrower than this (CSS px) are not drawn individually; adjacent ones are merged. */
export const MIN_FRAME_WIDTH = 0.5;
const LABEL_MIN_WIDTH = 22;
const FONT = '12px ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace';
const MATCH_COLOR = "hsl(300, 85%, 62%)";
const DIMMED_COLOR = "hsl(0, 0%, 87%)";
const AGGREGATE_COLOR = "hsl(0, 0%, 72%)";
/** Keyboard focus ring: the viewer's accent blue with a white inner line, visible on any fill. */
export const FOCUS_RING_COLOR = "#2563eb";
/** Outline of frames that exist only in the baseline of a diff ("removed"). */
export const REMOVED_OUTLINE_COLOR = "#1e3a8a";
/** White in the little-endian RGBA pixel buffer (ImageData is RGBA bytes; x86/ARM are little-endian). */
const WHITE = 0xffffffff;

/**
 * Draws a laid-out FlameTree on a 2D canvas. No DOM node per frame: only frames that are at
 * least MIN_FRAME_WIDTH wide and in the visible rows are drawn; a subtree whose root is too
 * narrow is skipped in O(1) thanks to the pre-order `end` index.
 */
export class FlameRenderer {
  private readonly ctx: CanvasRenderingContext2D;
  /** Pixel colour per frame in the normal view (0 = not computed yet). */
  private frameColors = new Uint32Array(0);
  private colorTree: unknown = null;
  private hatch: CanvasPattern | null = null;
  private ghost: CanvasPattern | null = null;
  private image: ImageData | null = null;
  private pixels: Uint32Array | null = null;
  private readonly rgbaCache = new Map<string, number>();

  /** CSS hsl() colour → pixel value for the little-endian RGBA buffer. */
  private rgba(css: string): number {
    let v = this.rgbaCache.get(css);
    if (v === undefined) {
      const [r, g, b] = hslToRgb(css);
      v = (0xff000000 | (b << 16) | (g << 8) | r) >>> 0;
      this.rgbaCache.set(css, v);
    }
    return v;
  }

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext("2d", { alpha: false });
    if (!ctx) throw new Error("Canvas 2D context is not available in this browser: the flamegraph cannot be drawn.");
    this.ctx = ctx;
  }

  /**
   * Label width. The label font is monospace, so one advance (measured once per render) gives
   * every width without a measureText call per frame; wide characters (CJK) are counted as two.
   */
  private advance = 7;

  private textWidth(s: string): number {
    let n = s.length;
    for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x1100) n++;
    return n * this.advance;
  }

  /** Longest prefix of `s` + "…" that fits in `avail` px ("" if not even one char fits). */
  elide(s: string, avail: number): string {
    if (this.textWidth(s) <= avail) return s;
    let n = Math.min(s.length - 1, Math.floor(avail / this.advance) - 1);
    while (n > 0 && this.textWidth(s.slice(0, n)) + this.advance > avail) n--;
    return n > 0 ? `${s.slice(0, n)}…` : "";
  }

  /** Dark forward-slash hatching: a frame only in the target ("new"). */
  private getHatch(): CanvasPattern | null {
    if (this.hatch || typeof document === "undefined") return this.hatch;
    this.hatch = stripePattern(this.ctx, 8, "rgba(0,0,0,0.35)", 1.5, [[0, 8, 8, 0]]);
    return this.hatch;
  }

  /** White back-slash stripes: a "removed" frame reads as a ghost of its baseline self. */
  private getGhost(): CanvasPattern | null {
    if (this.ghost || typeof document === "undefined") return this.ghost;
    this.ghost = stripePattern(this.ctx, 6, "#fff", 2, [
      [-1, -1, 7, 7],
      [5, -1, 7, 1],
      [-1, 5, 1, 7],
    ]);
    return this.ghost;
  }

  render(input: RenderInput): RenderStats {
    const t0 = performance.now();
    const { layout, scrollTop, search, hover } = input;
    const { ix, view } = layout;
    const tree = ix.tree;
    const dpr = input.devicePixelRatio > 0 ? input.devicePixelRatio : 1;
    const vh = Math.max(1, Math.min(input.viewportHeight, layout.height));
    const devW = Math.max(1, Math.round(view.width * dpr));
    const devH = Math.max(1, Math.round(vh * dpr));
    if (this.canvas.width !== devW) this.canvas.width = devW;
    if (this.canvas.height !== devH) this.canvas.height = devH;
    this.canvas.style.width = `${view.width}px`;
    this.canvas.style.height = `${vh}px`;

    const ctx = this.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, -scrollTop * dpr);
    ctx.font = FONT;
    ctx.textBaseline = "middle";
    this.advance = ctx.measureText("MMMMMMMMMM").width / 10 || 7;

    if (this.colorTree !== tree) {
      this.colorTree = tree;
      this.frameColors = new Uint32Array(tree.frameName.length);
    }
    const diff = input.diff && tree.nodeBaseTotal !== undefined;
    const baseTot = tree.baseTotal ?? 0;
    const total = ix.total;
    const rowH = view.rowHeight;
    const top = scrollTop;
    const bottom = scrollTop + vh;
    const flame = view.mode === "flame";
    const hatch = diff ? this.getHatch() : null;
    const ghost = diff ? this.getGhost() : null;
    const nodeBase = tree.nodeBaseTotal;
    const matched = search && !search.error ? search.matched : null;

    const stats: RenderStats = { drawn: 0, aggregated: 0, labels: 0, visited: 0, traverseMs: 0, paintMs: 0, ms: 0 };
    const labelsX: number[] = [];
    const labelsY: number[] = [];
    const labelsT: string[] = [];

    const matchPx = this.rgba(MATCH_COLOR);
    const dimmedPx = this.rgba(DIMMED_COLOR);
    const aggregatePx = this.rgba(AGGREGATE_COLOR);
    const colorOf = (node: number): number => {
      if (matched) return matched[node] ? matchPx : dimmedPx;
      if (diff) {
        const bt = tree.nodeBaseTotal![node]!;
        const sb = baseTot > 0 ? bt / baseTot : 0;
        const st = total > 0 ? tree.nodeTotal[node]! / total : 0;
        return this.rgba(node === 0 ? DIFF_GREY : diffColor(sb, st).color);
      }
      const f = tree.nodeFrame[node]!;
      let c = this.frameColors[f]!;
      if (c === 0) {
        c = this.rgba(kindColor(KINDS[tree.frameKind[f]!] ?? "other", tree.strings[tree.frameName[f]!] ?? ""));
        this.frameColors[f] = c;
      }
      return c;
    };

    // Rectangles grouped by depth row (all frames of a depth share one y band): x, width, pixel colour.
    const rows: number[][] = [];
    const hatched: number[] = [];
    const removed: number[] = [];
    const push = (px: number, x: number, d: number, w: number): void => {
      let b = rows[d];
      if (!b) {
        b = [];
        rows[d] = b;
      }
      b.push(x, w, px);
    };
    const drawFrame = (node: number, x: number, y: number, w: number): void => {
      const gap = w > 3 ? 1 : 0;
      push(colorOf(node), x, tree.nodeDepth[node]!, w - gap);
      if (diff && node !== 0 && nodeBase) {
        // Only in the target profile ("new"): dark hatch, so it does not read as "grew a bit".
        // Only in the baseline ("removed"): white stripes and an outline, drawn at its baseline width.
        if (nodeBase[node] === 0) hatched.push(x, y, w - gap, rowH - 1);
        else if (tree.nodeTotal[node] === 0) removed.push(x, y, w - gap, rowH - 1);
      }
      stats.drawn++;
      if (w >= LABEL_MIN_WIDTH) {
        const f = tree.nodeFrame[node]!;
        const line = tree.frameLine[f]!;
        const base = tree.strings[tree.frameName[f]!] ?? "";
        // A tree built per line has one frame per (function, line): the label says which line.
        const name = line > 0 ? `${base}:${line}` : base;
        const text = this.elide(name, w - 6);
        if (text) {
          labelsX.push(x + 3);
          labelsY.push(y + (rowH - 1) / 2);
          labelsT.push(text);
        }
      }
    };

    // Ancestors of the zoomed node and the zoomed node itself: full width.
    const z = view.zoom;
    for (let a = z; a >= 0; a = tree.nodeParent[a]!) {
      const y = rowY(layout, tree.nodeDepth[a]!);
      if (y + rowH > top && y < bottom) drawFrame(a, 0, y, view.width);
      if (a === 0) break;
    }

    // Pending runs of sub-pixel frames, one per depth row.
    const maxD = ix.maxDepth + 1;
    const runStart = new Float64Array(maxD).fill(-1);
    const runEnd = new Float64Array(maxD);
    const flush = (d: number): void => {
      const s = runStart[d]!;
      if (s < 0) return;
      const w = runEnd[d]! - s;
      if (w >= MIN_FRAME_WIDTH) {
        const y = rowY(layout, d);
        if (y + rowH > top && y < bottom) {
          push(aggregatePx, s, d, w);
          stats.aggregated++;
        }
      }
      runStart[d] = -1;
    };

    const { end, x: xs } = ix;
    const widths = ix.width;
    const nodeDepth = tree.nodeDepth;
    const scale = layout.scale;
    const x0 = layout.x0;
    const stop = end[z]!;
    let i = z + 1;
    let visited = 0;
    while (i < stop) {
      visited++;
      const w = widths[i]! * scale;
      const d = nodeDepth[i]!;
      const y = rowY(layout, d);
      // Rows deeper than the viewport edge: the whole subtree is off-screen too.
      if (flame ? y + rowH <= top : y >= bottom) {
        i = end[i]!;
        continue;
      }
      const x = (xs[i]! - x0) * scale;
      if (w < MIN_FRAME_WIDTH) {
        if (w > 0) {
          if (runStart[d]! >= 0 && x - runEnd[d]! <= 0.01) runEnd[d] = x + w;
          else {
            flush(d);
            runStart[d] = x;
            runEnd[d] = x + w;
          }
        }
        i = end[i]!;
        continue;
      }
      flush(d);
      if (y + rowH > top && y < bottom) drawFrame(i, x, y, w);
      i++;
    }
    for (let d = 0; d < maxD; d++) flush(d);
    stats.visited = visited;
    const tPaint = performance.now();
    stats.traverseMs = tPaint - t0;

    // Frames are written straight into a pixel buffer (integer device pixels, one memory fill per
    // row span) and uploaded once: thousands of tiny fillRect calls cost far more, above all on
    // software-rendered canvases.
    if (!this.image || this.image.width !== devW || this.image.height !== devH) {
      this.image = ctx.createImageData(devW, devH);
      this.pixels = new Uint32Array(this.image.data.buffer);
    }
    const pix = this.pixels!;
    pix.fill(WHITE);
    const bandH = rowH - 1;
    for (let d = 0; d < rows.length; d++) {
      const r = rows[d];
      if (!r) continue;
      const y = rowY(layout, d);
      const y1 = Math.max(0, Math.round((y - scrollTop) * dpr));
      const y2 = Math.min(devH, Math.round((y + bandH - scrollTop) * dpr));
      if (y2 <= y1) continue;
      // Paint the band's first scanline frame by frame, then copy it down the band.
      const line = y1 * devW;
      for (let k = 0; k < r.length; k += 3) {
        const xa = Math.round(r[k]! * dpr);
        const x1 = Math.max(0, xa);
        const x2 = Math.min(devW, Math.max(Math.round((r[k]! + r[k + 1]!) * dpr), xa + 1));
        if (x2 > x1) pix.fill(r[k + 2]!, line + x1, line + x2);
      }
      for (let yy = y1 + 1; yy < y2; yy++) pix.copyWithin(yy * devW, line, line + devW);
    }
    ctx.putImageData(this.image, 0, 0);
    stats.paintMs = performance.now() - tPaint;
    // Patterns and outlines go in one path each: one fill / stroke call however many frames.
    const fillRects = (rects: number[], style: CanvasPattern): void => {
      ctx.beginPath();
      for (let k = 0; k < rects.length; k += 4) ctx.rect(rects[k]!, rects[k + 1]!, rects[k + 2]!, rects[k + 3]!);
      ctx.fillStyle = style;
      ctx.fill();
    };
    if (hatch && hatched.length > 0) fillRects(hatched, hatch);
    if (removed.length > 0) {
      if (ghost) fillRects(removed, ghost);
      ctx.beginPath();
      for (let k = 0; k < removed.length; k += 4) {
        const w = removed[k + 2]!;
        if (w >= 3) ctx.rect(removed[k]! + 0.5, removed[k + 1]! + 0.5, w - 1, removed[k + 3]! - 1);
      }
      ctx.strokeStyle = REMOVED_OUTLINE_COLOR;
      ctx.lineWidth = 1;
      ctx.setLineDash([3, 2]);
      ctx.stroke();
      ctx.setLineDash([]);
    }

    ctx.fillStyle = "#1b1b1f";
    for (let k = 0; k < labelsT.length; k++) ctx.fillText(labelsT[k]!, labelsX[k]!, labelsY[k]!);
    stats.labels = labelsT.length;

    const box = (node: number): { x: number; y: number; w: number } | null => {
      if (node < 0 || node >= ix.n) return null;
      const anc = node <= z && z < end[node]!;
      if (!anc && !(z <= node && node < stop)) return null;
      return {
        x: anc ? 0 : (xs[node]! - x0) * scale,
        y: rowY(layout, nodeDepth[node]!),
        w: anc ? view.width : widths[node]! * scale,
      };
    };
    const hb = box(hover);
    if (hb) {
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 1.5;
      ctx.strokeRect(hb.x + 0.75, hb.y + 0.75, Math.max(0, hb.w - 2.5), rowH - 2.5);
    }
    const fb = box(input.focus ?? -1);
    if (fb) {
      // At least 6 px wide, so a focused sub-pixel frame still shows where it is.
      const w = Math.max(6, fb.w);
      const x = Math.min(Math.max(0, fb.x - (w - fb.w) / 2), view.width - w);
      // Three rings (dark, accent, white) so the focus shows on any fill, blue diff frames included.
      ctx.lineWidth = 1;
      ctx.strokeStyle = "#0b1533";
      ctx.strokeRect(x + 0.5, fb.y + 0.5, w - 1, rowH - 1);
      ctx.strokeStyle = "#fff";
      ctx.strokeRect(x + 3.5, fb.y + 3.5, Math.max(0, w - 7), Math.max(0, rowH - 7));
      ctx.lineWidth = 2;
      ctx.strokeStyle = FOCUS_RING_COLOR;
      ctx.strokeRect(x + 2, fb.y + 2, Math.max(0, w - 4), Math.max(0, rowH - 4));
    }
    stats.ms = performance.now() - t0;
    return stats;
  }
}

/** A repeating `size`×`size` tile of straight strokes (each [x0, y0, x1, y1]), or null without a 2D context. */
function stripePattern(
  ctx: CanvasRenderingContext2D,
  size: number,
  stroke: string,
  width: number,
  segments: readonly (readonly [number, number, number, number])[],
): CanvasPattern | null {
  const c = document.createElement("canvas");
  c.width = size;
  c.height = size;
  const g = c.getContext("2d");
  if (!g) return null;
  g.strokeStyle = stroke;
  g.lineWidth = width;
  g.beginPath();
  for (const [x0, y0, x1, y1] of segments) {
    g.moveTo(x0, y0);
    g.lineTo(x1, y1);
  }
  g.stroke();
  return ctx.createPattern(c, "repeat");
}
