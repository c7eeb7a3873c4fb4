/**
 * mergeStored: merge() for profiles stored against a StackStore. Instead of interning every input's
 * frames and stacks again, it sums each input's value column into one accumulator row per series (or
 * per stack when labels are dropped), then builds one Sample per touched row with frames renumbered to
 * the frames used. A day of one-minute profiles is a few million array reads and adds.
 */
import type { Frame, Labels, Profile, Sample } from "../model.js";
import { MergeInfo, type MergeOptions } from "../ops/merge.js";
import type { StackStore, StoredProfile } from "./stack-store.js";

const EMPTY: Labels = Object.freeze({});

/**
 * Same result as `merge(profiles)` for `stored = profiles.map((p) => store.intern(p))`: same samples in
 * the same order with the same values (summed in float64 in input order), labels, sample types, time,
 * duration, period and meta. The frame table holds only the frames the samples use.
 */
export function mergeStored(store: StackStore, stored: readonly StoredProfile[], opts: MergeOptions = {}): Profile {
  if (stored.length === 0) throw new Error("mergeStored needs at least one stored profile, got none");
  const info = new MergeInfo(stored[0]!.sampleTypes.map((t) => ({ type: t.type, unit: t.unit })));
  const nt = info.sampleTypes.length;
  if (nt === 0) throw new Error("a profile needs at least one sample type");
  const cols = store.columns();
  const nSeries = cols.series;
  for (let i = 0; i < stored.length; i++) {
    const sp = stored[i]!;
    if (sp.storeId !== store.id) {
      throw new Error(
        `cannot merge stored profile ${i}: it was interned in store ${sp.storeId}, not in this store (${store.id}); merge stored profiles only with the store that interned them`,
      );
    }
    info.add(sp);
    if (!(sp.storeSeries >= 0 && sp.storeSeries <= nSeries)) {
      throw new Error(
        `cannot merge stored profile ${i}: it was interned when store ${store.id} had ${sp.storeSeries} series, this copy has ${nSeries}; append the store segments written after this profile (StackStore.append) before merging`,
      );
    }
    if (store.digestAt(sp.storeSeries) !== sp.storeDigest) {
      throw new Error(
        `cannot merge stored profile ${i}: this copy of store ${store.id} has a different history than the one that interned it (a fork: two writers, or a store restored from an older copy that interned profiles since), so its series ids would mean other stacks here; merge it against the store that interned it`,
      );
    }
    if (sp.values.length !== sp.series.length * nt) {
      throw new Error(
        `cannot merge stored profile ${i}: ${sp.series.length} samples × ${nt} sample types need ${sp.series.length * nt} values, it has ${sp.values.length} (corrupted stored profile)`,
      );
    }
  }
  const keepLabels = opts.keepLabels !== false;
  // Rows: series ids, or stack ids when labels are dropped (samples that differ only in labels sum together).
  const rowOf = keepLabels ? null : cols.seriesStack;
  // Inputs only use series below their storeSeries, so a query over old profiles does not pay for the
  // series appended since.
  let maxSeries = 0;
  for (const sp of stored) if (sp.storeSeries > maxSeries) maxSeries = sp.storeSeries;
  const nRows = keepLabels ? maxSeries : cols.stacks;
  const acc = new Float64Array(nRows * nt);
  const seen = new Uint8Array(nRows);
  const touched = new Int32Array(nRows);
  let nTouched = 0;
  let scratch = new Int32Array(0);
  for (let p = 0; p < stored.length; p++) {
    const { series, values, storeSeries } = stored[p]!;
    const bad = firstBadSeries(series, storeSeries);
    if (bad >= 0) {
      throw new Error(
        `cannot merge stored profile ${p}: sample ${bad} refers to series ${series[bad]}, but the store had ${storeSeries} when it was interned (corrupted stored profile)`,
      );
    }
    let rows = series;
    if (rowOf !== null) {
      // Labels dropped: each sample's row is its series' stack.
      if (scratch.length < series.length) scratch = new Int32Array(series.length);
      rows = scratch.subarray(0, series.length);
      for (let i = 0; i < series.length; i++) rows[i] = rowOf[series[i]!]!;
    }
    nTouched = accumulate(rows, values, nt, acc, seen, touched, nTouched);
  }

  const { frames: storeFrames, labelSets, stackPool: pool, stackOff, stackFramesAt, seriesLabel, seriesStack } = cols;
  const frameMap = new Int32Array(storeFrames.length).fill(-1);
  const frames: Frame[] = [];
  const samples: Sample[] = new Array(nTouched);
  // Samples with the same stack (other threads) share one stack array: fewer objects to allocate and
  // for the garbage collector to copy, which is most of this loop's cost. Stacks are readonly in the model.
  const stackArrays: (number[] | undefined)[] = new Array(cols.stacks);
  for (let k = 0; k < nTouched; k++) {
    const row = touched[k]!;
    const sid = keepLabels ? seriesStack[row]! : row;
    let stack = stackArrays[sid];
    if (stack === undefined) {
      const b = stackOff[sid]!;
      const n = pool[b + 1]!;
      const o = b + stackFramesAt;
      stack = new Array(n);
      for (let d = 0; d < n; d++) {
        const f = pool[o + d]!;
        let m = frameMap[f]!;
        if (m < 0) {
          m = frames.length;
          const g = storeFrames[f]!;
          frames.push({ name: g.name, file: g.file, line: g.line, kind: g.kind, module: g.module });
          frameMap[f] = m;
        }
        stack[d] = m;
      }
      stackArrays[sid] = stack;
    }
    const v: number[] = new Array(nt);
    for (let j = 0; j < nt; j++) v[j] = acc[row * nt + j]!;
    samples[k] = { stack, values: v, labels: keepLabels ? labelSets[seriesLabel[row]!]! : EMPTY };
  }
  return { ...info.build(), frames, samples };
}

/** Index of the first series id outside [0, nSeries), or -1. */
function firstBadSeries(series: Int32Array, nSeries: number): number {
  let bad = 0;
  for (let i = 0; i < series.length; i++) bad |= (nSeries - 1 - series[i]!) | series[i]!;
  if (bad >= 0) return -1;
  for (let i = 0; i < series.length; i++) if (series[i]! >>> 0 >= nSeries) return i;
  return -1;
}

/**
 * Adds each sample's values to its accumulator row (`rows[i]`: its series, or its stack when labels are dropped);
 * returns the new count of touched rows.
 * A row's first value is assigned, not added to 0, so the sums are bit for bit merge()'s (-0 stays -0).
 */
function accumulate(
  rows: Int32Array,
  values: Float64Array,
  nt: number,
  acc: Float64Array,
  seen: Uint8Array,
  touched: Int32Array,
  nTouched: number,
): number {
  const ns = rows.length;
  if (nt === 2) {
    for (let i = 0; i < ns; i++) {
      const row = rows[i]!;
      const a = 2 * row;
      if (seen[row] === 0) {
        seen[row] = 1;
        touched[nTouched++] = row;
        acc[a] = values[2 * i]!;
        acc[a + 1] = values[2 * i + 1]!;
      } else {
        acc[a] += values[2 * i]!;
        acc[a + 1] += values[2 * i + 1]!;
      }
    }
    return nTouched;
  }
  for (let i = 0; i < ns; i++) {
    const row = rows[i]!;
    const a = row * nt;
    const b = i * nt;
    if (seen[row] === 0) {
      seen[row] = 1;
      touched[nTouched++] = row;
      for (let j = 0; j < nt; j++) acc[a + j] = values[b + j]!;
    } else {
      for (let j = 0; j < nt; j++) acc[a + j] += values[b + j]!;
    }
  }
  return nTouched;
}
