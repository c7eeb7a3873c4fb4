/** Before/after comparison of two profiles, each normalised by its own total. */
import { type Frame, type Profile, resolveValueIndex, sameValueType, totalValue } from "../model.js";
import { alignFrames, type MatchOptions } from "./match.js";
import { functionKey, type TopOptions, topFunctions } from "./top.js";

/** A function (line 0 unless byLine) in either profile, with both sides' values. */
export interface TopDiffRow extends Frame {
  /** Raw values. */
  beforeSelf: number;
  afterSelf: number;
  beforeTotal: number;
  afterTotal: number;
  /** Share of each profile's total, 0..1. */
  beforeSelfShare: number;
  afterSelfShare: number;
  beforeTotalShare: number;
  afterTotalShare: number;
  /** afterShare - beforeShare (positive = got more expensive). */
  selfDelta: number;
  totalDelta: number;
}

export interface TopDiffOptions extends TopOptions, MatchOptions {
  /** Sort key (default "total"): by |delta| of total share or of self share. */
  sortBy?: "total" | "self";
}

/**
 * One row per function present in either profile, sorted by |delta| (largest change first).
 * Shares are relative to each profile's own total, so a longer recording does not look like a regression.
 * Functions are matched across the profiles by name and module (`match: "name"`, the default) or by every field of
 * the frame (`match: "exact"`); see ops/match.ts. A row shows the target's file and line when both have it.
 */
export function topFunctionsDiff(baseIn: Profile, targetIn: Profile, opts: TopDiffOptions = {}): TopDiffRow[] {
  const [base, target] = alignFrames(baseIn, targetIn, opts);
  const tvi = resolveValueIndex(target, opts.valueIndex);
  let bvi = opts.valueIndex;
  if (bvi === undefined) {
    const i = base.sampleTypes.findIndex((t) => sameValueType(t, target.sampleTypes[tvi]!));
    bvi = i >= 0 ? i : base.defaultSampleType;
  }
  bvi = resolveValueIndex(base, bvi);
  const before = topFunctions(base, { byLine: opts.byLine, valueIndex: bvi });
  const after = topFunctions(target, { byLine: opts.byLine, valueIndex: tvi });
  const bt = totalValue(base, bvi);
  const at = totalValue(target, tvi);
  const share = (v: number, t: number) => (t === 0 ? 0 : v / t);
  const rows = new Map<string, TopDiffRow>();
  const row = (r: (typeof before)[number]): TopDiffRow => {
    const k = functionKey(r, true);
    let d = rows.get(k);
    if (!d) {
      d = {
        name: r.name,
        file: r.file,
        line: r.line,
        kind: r.kind,
        module: r.module,
        beforeSelf: 0,
        afterSelf: 0,
        beforeTotal: 0,
        afterTotal: 0,
        beforeSelfShare: 0,
        afterSelfShare: 0,
        beforeTotalShare: 0,
        afterTotalShare: 0,
        selfDelta: 0,
        totalDelta: 0,
      };
      rows.set(k, d);
    }
    return d;
  };
  for (const r of before) {
    const d = row(r);
    d.beforeSelf = r.self;
    d.beforeTotal = r.total;
  }
  for (const r of after) {
    const d = row(r);
    d.afterSelf = r.self;
    d.afterTotal = r.total;
  }
  for (const d of rows.values()) {
    d.beforeSelfShare = share(d.beforeSelf, bt);
    d.afterSelfShare = share(d.afterSelf, at);
    d.beforeTotalShare = share(d.beforeTotal, bt);
    d.afterTotalShare = share(d.afterTotal, at);
    d.selfDelta = d.afterSelfShare - d.beforeSelfShare;
    d.totalDelta = d.afterTotalShare - d.beforeTotalShare;
  }
  const by = opts.sortBy === "self" ? "selfDelta" : "totalDelta";
  return [...rows.values()].sort(
    (a, b) => Math.abs(b[by]) - Math.abs(a[by]) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}
