import { type FrameKind, fnv1a } from "@perforator/profile";

/** FNV-1a (fnv1a of @perforator/profile): a stable 32-bit hash so a function keeps its colour across profiles and reloads. */
export const hashString: (s: string) => number = fnv1a;

/** Hue range [start, span] per kind: Python greens/teals, native warm oranges, kernel blues, other violet-greys. */
const KIND_HUES: Record<FrameKind, { hue: number; span: number; sat: number; light: number }> = {
  python: { hue: 95, span: 60, sat: 55, light: 62 },
  native: { hue: 18, span: 30, sat: 80, light: 64 },
  kernel: { hue: 200, span: 30, sat: 60, light: 66 },
  other: { hue: 265, span: 30, sat: 18, light: 70 },
};

/** Fill colour of a frame in the normal (non-diff) view: hue family by kind, stable hue offset by name. */
export function kindColor(kind: FrameKind, name: string): string {
  const k = KIND_HUES[kind] ?? KIND_HUES.other;
  const h = hashString(name);
  const hue = k.hue + (h % 1000) * (k.span / 1000);
  const light = k.light + ((h >>> 10) % 8) - 4;
  return `hsl(${hue.toFixed(1)}, ${k.sat}%, ${light}%)`;
}

export const KIND_LEGEND: readonly { kind: FrameKind; label: string; color: string }[] = (
  ["python", "native", "kernel", "other"] as const
).map((kind) => ({
  kind,
  label: kind === "python" ? "Python" : kind === "native" ? "Native" : kind === "kernel" ? "Kernel" : "Other",
  color: `hsl(${KIND_HUES[kind].hue + KIND_HUES[kind].span / 2}, ${KIND_HUES[kind].sat}%, ${KIND_HUES[kind].light}%)`,
}));

/** Changes in share smaller than this (0.1 percentage point) are shown as unchanged grey. */
export const DIFF_EPSILON = 0.001;
/** A change in share of this size (10 percentage points) or more gets full saturation. */
export const DIFF_FULL_SCALE = 0.1;

export interface DiffColor {
  /** CSS colour */
  color: string;
  /** -1 shrank .. +1 grew (0 unchanged), after scaling and clamping */
  intensity: number;
}

export const DIFF_GREY = "hsl(0, 0%, 78%)";

/**
 * Colour of a frame in a diff, from its share of each side's total:
 * red when its share grew, blue when it shrank, grey when |change| < DIFF_EPSILON.
 * Saturation grows with the magnitude (square-root curve so small real changes remain visible).
 */
export function diffColor(shareBase: number, shareTarget: number): DiffColor {
  const delta = shareTarget - shareBase;
  if (!Number.isFinite(delta) || Math.abs(delta) < DIFF_EPSILON) return { color: DIFF_GREY, intensity: 0 };
  const t = Math.min(1, Math.abs(delta) / DIFF_FULL_SCALE);
  const s = Math.sqrt(t);
  const sat = Math.round(35 + 60 * s);
  const light = Math.round(78 - 28 * s);
  const hue = delta > 0 ? 0 : 215;
  return { color: `hsl(${hue}, ${sat}%, ${light}%)`, intensity: delta > 0 ? t : -t };
}

/** Parses "hsl(h, s%, l%)" into [r,g,b] 0..255 (used by tests and the legend). */
export function hslToRgb(css: string): [number, number, number] {
  const m = /hsl\(\s*([\d.]+)\s*,\s*([\d.]+)%\s*,\s*([\d.]+)%\s*\)/.exec(css);
  if (!m) throw new Error(`not an hsl() colour: ${css}`);
  const h = Number(m[1]) / 360;
  const s = Number(m[2]) / 100;
  const l = Number(m[3]) / 100;
  const q = l < 0.5 ? l * (1 + s) : l + s - l * s;
  const p = 2 * l - q;
  const f = (t: number): number => {
    let u = t;
    if (u < 0) u += 1;
    if (u > 1) u -= 1;
    if (u < 1 / 6) return p + (q - p) * 6 * u;
    if (u < 1 / 2) return q;
    if (u < 2 / 3) return p + (q - p) * (2 / 3 - u) * 6;
    return p;
  };
  return [Math.round(f(h + 1 / 3) * 255), Math.round(f(h) * 255), Math.round(f(h - 1 / 3) * 255)];
}
