/**
 * merge(profiles): sums samples with the same (stack, labels) across profiles.
 *
 * This is the server's hot path (a day of one-minute profiles is 1,440 merges), so it avoids
 * per-sample strings: frames are interned once per input profile into a remap table, label sets
 * are cached by object identity (ProfileBuilder shares one object per distinct set), and
 * (labels, stack) keys live in an open-addressing hash table over a flat Int32Array pool.
 */
import {
  type Frame,
  formatValueType,
  frameKey,
  type Labels,
  labelsKey,
  type Profile,
  type Sample,
  sameValueType,
} from "../model.js";

export interface MergeOptions {
  /** Keep labels (default true). With false, samples that differ only in labels are summed together. */
  keepLabels?: boolean;
}

export function merge(profiles: readonly Profile[], opts: MergeOptions = {}): Profile {
  if (profiles.length === 0) throw new Error("merge needs at least one profile, got none");
  const first = profiles[0]!;
  const nt = first.sampleTypes.length;
  for (let pi = 1; pi < profiles.length; pi++) {
    const p = profiles[pi]!;
    const same = p.sampleTypes.length === nt && p.sampleTypes.every((t, i) => sameValueType(t, first.sampleTypes[i]!));
    if (!same) {
      throw new Error(
        `cannot merge profiles with different sample types: profile 0 has [${first.sampleTypes
          .map(formatValueType)
          .join(", ")}], profile ${pi} has [${p.sampleTypes.map(formatValueType).join(", ")}]`,
      );
    }
  }
  const keepLabels = opts.keepLabels !== false;

  const frames: Frame[] = [];
  const frameIndex = new Map<string, number>();
  const labelSets: Labels[] = [];
  const labelIndex = new Map<string, number>();
  const EMPTY: Labels = Object.freeze({});

  // Sample table: for sample i, its stack is pool[start[i] .. start[i]+len[i]), its label set labelOf[i].
  let cap = 1024;
  let start = new Int32Array(cap);
  let len = new Int32Array(cap);
  let labelOf = new Int32Array(cap);
  let hashOf = new Int32Array(cap);
  let values = new Float64Array(cap * nt);
  let count = 0;
  let pool = new Int32Array(16384);
  let poolLen = 0;
  // Open addressing: slot → sample index + 1 (0 = empty). Kept under 50% load.
  let tableBits = 12;
  let table = new Int32Array(1 << tableBits);
  let mask = (1 << tableBits) - 1;

  const growSamples = () => {
    cap *= 2;
    const g = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    start = g(start);
    len = g(len);
    labelOf = g(labelOf);
    hashOf = g(hashOf);
    const v = new Float64Array(cap * nt);
    v.set(values);
    values = v;
  };
  const rehash = () => {
    tableBits++;
    table = new Int32Array(1 << tableBits);
    mask = (1 << tableBits) - 1;
    for (let i = 0; i < count; i++) {
      let slot = hashOf[i]! & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = i + 1;
    }
  };

  let timeStart = Number.POSITIVE_INFINITY;
  let timeEnd = 0;
  let allTimed = true;
  let durationSum = 0;
  const meta: Record<string, string> = {};

  let remap = new Int32Array(256);
  let scratch = new Int32Array(256);
  for (const p of profiles) {
    if (p.timeNanos > 0) {
      timeStart = Math.min(timeStart, p.timeNanos);
      timeEnd = Math.max(timeEnd, p.timeNanos + p.durationNanos);
    } else allTimed = false;
    durationSum += p.durationNanos;
    for (const k in p.meta) if (!(k in meta)) meta[k] = p.meta[k]!;

    const pf = p.frames;
    if (remap.length < pf.length) remap = new Int32Array(pf.length * 2);
    for (let i = 0; i < pf.length; i++) {
      const f = pf[i]!;
      const key = frameKey(f);
      let idx = frameIndex.get(key);
      if (idx === undefined) {
        idx = frames.length;
        frames.push({ name: f.name, file: f.file, line: f.line, kind: f.kind, module: f.module });
        frameIndex.set(key, idx);
      }
      remap[i] = idx;
    }

    const byObject = new Map<Labels, number>();
    for (const s of p.samples) {
      let li = 0;
      if (keepLabels) {
        const cached = byObject.get(s.labels);
        if (cached !== undefined) li = cached;
        else {
          const k = labelsKey(s.labels);
          let g = labelIndex.get(k);
          if (g === undefined) {
            g = labelSets.length;
            labelSets.push(Object.keys(s.labels).length === 0 ? EMPTY : Object.freeze({ ...s.labels }));
            labelIndex.set(k, g);
          }
          byObject.set(s.labels, g);
          li = g;
        }
      }
      const st = s.stack;
      const n = st.length;
      if (scratch.length < n) scratch = new Int32Array(n * 2);
      let h = Math.imul(li ^ 0x2545f491, 0x9e3779b1) ^ n;
      for (let i = 0; i < n; i++) {
        const f = remap[st[i]!]!;
        scratch[i] = f;
        h = Math.imul(h ^ f, 0x01000193);
        h ^= h >>> 15;
      }
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h ^= h >>> 13;
      let slot = h & mask;
      let found = -1;
      for (;;) {
        const e = table[slot]!;
        if (e === 0) break;
        const c = e - 1;
        if (hashOf[c] === h && len[c] === n && labelOf[c] === li) {
          const b = start[c]!;
          let eq = true;
          for (let i = 0; i < n; i++) {
            if (pool[b + i] !== scratch[i]) {
              eq = false;
              break;
            }
          }
          if (eq) {
            found = c;
            break;
          }
        }
        slot = (slot + 1) & mask;
      }
      const sv = s.values;
      if (found >= 0) {
        const o = found * nt;
        for (let j = 0; j < nt; j++) values[o + j] += sv[j] ?? 0;
        continue;
      }
      if (count === cap) growSamples();
      if (poolLen + n > pool.length) {
        const np = new Int32Array(Math.max(pool.length * 2, poolLen + n));
        np.set(pool);
        pool = np;
      }
      pool.set(scratch.subarray(0, n), poolLen);
      start[count] = poolLen;
      len[count] = n;
      labelOf[count] = li;
      hashOf[count] = h;
      const o = count * nt;
      for (let j = 0; j < nt; j++) values[o + j] = sv[j] ?? 0;
      poolLen += n;
      table[slot] = count + 1;
      count++;
      if (count * 2 > mask) rehash();
    }
  }

  const samples: Sample[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const b = start[i]!;
    const stack = Array.from(pool.subarray(b, b + len[i]!));
    const v: number[] = new Array(nt);
    for (let j = 0; j < nt; j++) v[j] = values[i * nt + j]!;
    samples[i] = { stack, values: v, labels: keepLabels ? labelSets[labelOf[i]!]! : EMPTY };
  }
  if (profiles.length > 1) {
    let n = 0;
    for (const p of profiles) n += Number(p.meta.merged_profiles ?? 1) || 1;
    meta.merged_profiles = String(n);
  }
  return {
    sampleTypes: first.sampleTypes.map((t) => ({ ...t })),
    defaultSampleType: first.defaultSampleType,
    frames,
    samples,
    // Covered time: the span of all inputs when all have a start time, else the sum of durations.
    timeNanos: timeStart === Number.POSITIVE_INFINITY ? 0 : timeStart,
    durationNanos: allTimed ? timeEnd - timeStart : durationSum,
    period: first.period,
    periodType: { ...first.periodType },
    meta,
  };
}
