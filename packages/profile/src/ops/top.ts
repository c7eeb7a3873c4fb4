/** Flat "top" table: self and total per function (or per line), recursion counted once per stack. */
import { type Frame, type Profile, resolveValueIndex } from "../model.js";

export interface TopOptions {
  /** One row per (function, line) instead of per function (default false). */
  byLine?: boolean;
  valueIndex?: number;
}

/** A function (or, byLine, a line): a Frame whose line is 0 unless byLine. */
export interface TopRow extends Frame {
  /** Value of samples whose leaf is this function. */
  self: number;
  /** Value of samples with this function anywhere on the stack (once per stack). */
  total: number;
}

/** The function (or, byLine, the line) a frame is in: the frame with line 0 unless byLine. */
export function functionOf(f: Frame, byLine: boolean): Frame {
  return { name: f.name, file: f.file, line: byLine ? f.line : 0, kind: f.kind, module: f.module };
}

export function functionKey(f: Frame, byLine: boolean): string {
  return `${f.kind}\u0000${f.name}\u0000${f.file}\u0000${byLine ? f.line : 0}\u0000${f.module}`;
}

/** Rows sorted by self (desc), then total (desc), then name. */
export function topFunctions(p: Profile, opts: TopOptions = {}): TopRow[] {
  const vi = resolveValueIndex(p, opts.valueIndex);
  const byLine = opts.byLine === true;
  const rows: TopRow[] = [];
  const rowIndex = new Map<string, number>();
  const frameRow = new Int32Array(p.frames.length);
  for (let i = 0; i < p.frames.length; i++) {
    const f = p.frames[i]!;
    const k = functionKey(f, byLine);
    let r = rowIndex.get(k);
    if (r === undefined) {
      r = rows.length;
      rows.push({ ...functionOf(f, byLine), self: 0, total: 0 });
      rowIndex.set(k, r);
    }
    frameRow[i] = r;
  }
  // Stamp per row: the last sample that counted it, so a recursive function counts once per stack.
  const stamp = new Int32Array(rows.length).fill(-1);
  p.samples.forEach((s, si) => {
    const v = s.values[vi] ?? 0;
    if (v === 0 || s.stack.length === 0) return;
    for (const fi of s.stack) {
      const r = frameRow[fi]!;
      if (stamp[r] !== si) {
        stamp[r] = si;
        rows[r]!.total += v;
      }
    }
    rows[frameRow[s.stack[s.stack.length - 1]!]!]!.self += v;
  });
  return rows
    .filter((r) => r.total !== 0)
    .sort((a, b) => b.self - a.self || b.total - a.total || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
