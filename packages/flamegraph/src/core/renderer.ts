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

  private getHatch(): CanvasPattern | null {
    if (this.hatch || typeof document === "undefined") return this.hatch;
    const c = document.createElement("canvas");
    c.width = 8;
    c.height = 8;
    const g = c.getContext("2d");
    if (!g) return null;
    g.strokeStyle = "rgba(0,0,0,0.35)";
    g.lineWidth = 1.5;
    g.beginPath();
    g.moveTo(0, 8);
    g.lineTo(8, 0);
    g.stroke();
    this.hatch = this.ctx.createPattern(c, "repeat");
    return this.hatch;
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
      if (diff && hatch && node !== 0 && tree.nodeBaseTotal![node] === 0) {
        // Only in the target profile: hatched so it does not read as "grew a bit".
        hatched.push(x, y, w - gap, rowH - 1);
      }
      stats.drawn++;
      if (w >= LABEL_MIN_WIDTH) {
        const name = tree.strings[tree.frameName[tree.nodeFrame[node]!]!] ?? "";
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
    const nodeTotal = tree.nodeTotal;
    const nodeDepth = tree.nodeDepth;
    const scale = layout.scale;
    const x0 = layout.x0;
    const stop = end[z]!;
    let i = z + 1;
    let visited = 0;
    while (i < stop) {
      visited++;
      const w = nodeTotal[i]! * scale;
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
    if (hatch && hatched.length > 0) {
      ctx.fillStyle = hatch;
      for (let k = 0; k < hatched.length; k += 4)
        ctx.fillRect(hatched[k]!, hatched[k + 1]!, hatched[k + 2]!, hatched[k + 3]!);
    }

    ctx.fillStyle = "#1b1b1f";
    for (let k = 0; k < labelsT.length; k++) ctx.fillText(labelsT[k]!, labelsX[k]!, labelsY[k]!);
    stats.labels = labelsT.length;

    if (hover >= 0 && hover < ix.n) {
      const anc = hover <= z && z < end[hover]!;
      const inSub = z <= hover && hover < stop;
      if (anc || inSub) {
        const hx = anc ? 0 : (xs[hover]! - x0) * scale;
        const hw = anc ? view.width : nodeTotal[hover]! * scale;
        const hy = rowY(layout, nodeDepth[hover]!);
        ctx.strokeStyle = "#111";
        ctx.lineWidth = 1.5;
        ctx.strokeRect(hx + 0.75, hy + 0.75, Math.max(0, hw - 2.5), rowH - 2.5);
      }
    }
    stats.ms = performance.now() - t0;
    return stats;
  }
}
