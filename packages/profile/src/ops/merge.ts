/**
 * merge(profiles): sums samples with the same (stack, labels) across profiles.
 *
 * This is the server's hot path (a day of one-minute profiles is 1,440 merges), so it avoids
 * per-sample strings: frames are interned once per input profile into a remap table (by name,
 * then a compare of the other fields, so no key string is built), label sets are cached by
 * object identity (ProfileBuilder shares one object per distinct set), and (labels, stack) keys
 * live in an open-addressing hash table over a flat Int32Array pool.
 */
import {
  type Frame,
  formatValueType,
  type Labels,
  labelsKey,
  type Profile,
  type Sample,
  sameValueType,
  type ValueType,
} from "../model.js";

export interface MergeOptions {
  /** Keep labels (default true). With false, samples that differ only in labels are summed together. */
  keepLabels?: boolean;
}

const EMPTY: Labels = Object.freeze({});

/** Incremental merge: `add` profiles one by one (e.g. as they are read from storage), then `build`. */
export class ProfileMerger {
  readonly sampleTypes: readonly ValueType[];
  private readonly nt: number;
  private readonly keepLabels: boolean;
  private first: Profile | undefined;
  private profiles = 0;
  private mergedCount = 0;

  private readonly frames: Frame[] = [];
  /** name → frame indices with that name (usually one). */
  private readonly byName = new Map<string, number | number[]>();
  private readonly labelSets: Labels[] = [];
  private readonly labelIndex = new Map<string, number>();

  // Memory latency dominates at this size, so what one probe touches is packed together:
  // table slots are [hash, sample+1, poolStart] and the pool holds [labelSet, len, ...frames] per sample,
  // so a probe reads one slot and one pool run. Sample records [start, len, labelSet] serve build().
  private cap = 1024;
  private rec = new Int32Array(this.cap * 3);
  private values: Float64Array;
  private count = 0;
  private pool = new Int32Array(16384);
  private poolLen = 0;
  private table = new Int32Array(3 << 12);
  private mask = (1 << 12) - 1;
  private remap = new Int32Array(256);
  private scratch = new Int32Array(256);

  private timeStart = Number.POSITIVE_INFINITY;
  private timeEnd = 0;
  private allTimed = true;
  private durationSum = 0;
  private readonly meta: Record<string, string> = {};

  constructor(sampleTypes: readonly ValueType[], opts: MergeOptions = {}) {
    if (sampleTypes.length === 0) throw new Error("a profile needs at least one sample type");
    this.sampleTypes = sampleTypes.map((t) => ({ ...t }));
    this.nt = sampleTypes.length;
    this.keepLabels = opts.keepLabels !== false;
    this.values = new Float64Array(this.cap * this.nt);
  }

  private internFrame(f: Frame): number {
    const frames = this.frames;
    const hit = this.byName.get(f.name);
    if (hit !== undefined) {
      if (typeof hit === "number") {
        const g = frames[hit]!;
        if (g.line === f.line && g.file === f.file && g.kind === f.kind && g.module === f.module) return hit;
      } else {
        for (const i of hit) {
          const g = frames[i]!;
          if (g.line === f.line && g.file === f.file && g.kind === f.kind && g.module === f.module) return i;
        }
      }
    }
    const idx = frames.length;
    frames.push({ name: f.name, file: f.file, line: f.line, kind: f.kind, module: f.module });
    if (hit === undefined) this.byName.set(f.name, idx);
    else if (typeof hit === "number") this.byName.set(f.name, [hit, idx]);
    else hit.push(idx);
    return idx;
  }

  private labelId(labels: Labels, cache: Map<Labels, number>): number {
    const cached = cache.get(labels);
    if (cached !== undefined) return cached;
    const k = labelsKey(labels);
    let g = this.labelIndex.get(k);
    if (g === undefined) {
      g = this.labelSets.length;
      this.labelSets.push(Object.keys(labels).length === 0 ? EMPTY : Object.freeze({ ...labels }));
      this.labelIndex.set(k, g);
    }
    cache.set(labels, g);
    return g;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const rec = new Int32Array(cap * 3);
    rec.set(this.rec);
    this.rec = rec;
    const v = new Float64Array(cap * this.nt);
    v.set(this.values);
    this.values = v;
    this.cap = cap;
  }

  private rehash(): void {
    const old = this.table;
    const mask = this.mask * 2 + 1;
    const table = new Int32Array((mask + 1) * 3);
    for (let o = 0; o < old.length; o += 3) {
      const e = old[o + 1]!;
      if (e === 0) continue;
      const h = old[o]!;
      let slot = h & mask;
      while (table[3 * slot + 1] !== 0) slot = (slot + 1) & mask;
      table[3 * slot] = h;
      table[3 * slot + 1] = e;
      table[3 * slot + 2] = old[o + 2]!;
    }
    this.table = table;
    this.mask = mask;
  }

  add(p: Profile): this {
    const nt = this.nt;
    const same = p.sampleTypes.length === nt && p.sampleTypes.every((t, i) => sameValueType(t, this.sampleTypes[i]!));
    if (!same) {
      throw new Error(
        `cannot merge profiles with different sample types: profile 0 has [${this.sampleTypes
          .map(formatValueType)
          .join(", ")}], profile ${this.profiles} has [${p.sampleTypes.map(formatValueType).join(", ")}]`,
      );
    }
    if (!this.first) this.first = p;
    this.profiles++;
    this.mergedCount += Number(p.meta.merged_profiles ?? 1) || 1;
    if (p.timeNanos > 0) {
      if (p.timeNanos < this.timeStart) this.timeStart = p.timeNanos;
      if (p.timeNanos + p.durationNanos > this.timeEnd) this.timeEnd = p.timeNanos + p.durationNanos;
    } else this.allTimed = false;
    this.durationSum += p.durationNanos;
    for (const k in p.meta) if (!(k in this.meta)) this.meta[k] = p.meta[k]!;

    const pf = p.frames;
    if (this.remap.length < pf.length) this.remap = new Int32Array(pf.length * 2);
    const remap = this.remap;
    for (let i = 0; i < pf.length; i++) remap[i] = this.internFrame(pf[i]!);

    const labelCache = new Map<Labels, number>();
    const keepLabels = this.keepLabels;
    const samples = p.samples;
    let lastLabels: Labels | undefined;
    let lastLabelId = 0;
    for (let si = 0; si < samples.length; si++) {
      const s = samples[si]!;
      let li = 0;
      if (keepLabels) {
        // Neighbouring samples usually share their label set object.
        if (s.labels !== lastLabels) {
          lastLabels = s.labels;
          lastLabelId = this.labelId(s.labels, labelCache);
        }
        li = lastLabelId;
      }
      const st = s.stack;
      const n = st.length;
      if (this.scratch.length < n) this.scratch = new Int32Array(n * 2);
      const scratch = this.scratch;
      let h = Math.imul(li ^ 0x2545f491, 0x9e3779b1) ^ n;
      for (let i = 0; i < n; i++) {
        const f = remap[st[i]!]!;
        scratch[i] = f;
        h = Math.imul(h ^ f, 0x01000193);
        h ^= h >>> 15;
      }
      h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
      h ^= h >>> 13;
      const found = this.find(h, n, li);
      const sv = s.values;
      if (found >= 0) {
        const vals = this.values;
        const o = found * nt;
        for (let j = 0; j < nt; j++) vals[o + j] += sv[j] ?? 0;
      } else {
        this.insert(h, n, li, sv);
      }
    }
    return this;
  }

  private find(h: number, n: number, li: number): number {
    const { table, mask, pool, scratch } = this;
    let slot = h & mask;
    for (;;) {
      const o = 3 * slot;
      const e = table[o + 1]!;
      if (e === 0) return -1;
      if (table[o] === h) {
        const b = table[o + 2]!;
        if (pool[b] === li && pool[b + 1] === n) {
          let i = 0;
          while (i < n && pool[b + 2 + i] === scratch[i]) i++;
          if (i === n) return e - 1;
        }
      }
      slot = (slot + 1) & mask;
    }
  }

  private insert(h: number, n: number, li: number, sv: readonly number[]): void {
    if (this.count === this.cap) this.grow();
    if (this.poolLen + n + 2 > this.pool.length) {
      const np = new Int32Array(Math.max(this.pool.length * 2, this.poolLen + n + 2));
      np.set(this.pool);
      this.pool = np;
    }
    const c = this.count;
    const pool = this.pool;
    const scratch = this.scratch;
    const b0 = this.poolLen;
    pool[b0] = li;
    pool[b0 + 1] = n;
    const b = b0 + 2;
    for (let i = 0; i < n; i++) pool[b + i] = scratch[i]!;
    const rec = this.rec;
    rec[c * 3] = b;
    rec[c * 3 + 1] = n;
    rec[c * 3 + 2] = li;
    const nt = this.nt;
    const o = c * nt;
    for (let j = 0; j < nt; j++) this.values[o + j] = sv[j] ?? 0;
    this.poolLen += n + 2;
    const mask = this.mask;
    let slot = h & mask;
    const table = this.table;
    while (table[3 * slot + 1] !== 0) slot = (slot + 1) & mask;
    table[3 * slot] = h;
    table[3 * slot + 1] = c + 1;
    table[3 * slot + 2] = b0;
    this.count++;
    if (this.count * 2 > mask) this.rehash();
  }

  build(): Profile {
    const { count, nt, pool, rec, values } = this;
    const samples: Sample[] = new Array(count);
    for (let i = 0; i < count; i++) {
      const b = rec[i * 3]!;
      const n = rec[i * 3 + 1]!;
      const stack: number[] = new Array(n);
      for (let k = 0; k < n; k++) stack[k] = pool[b + k]!;
      const v: number[] = new Array(nt);
      for (let j = 0; j < nt; j++) v[j] = values[i * nt + j]!;
      samples[i] = { stack, values: v, labels: this.keepLabels ? this.labelSets[rec[i * 3 + 2]!]! : EMPTY };
    }
    const first = this.first;
    const meta = { ...this.meta };
    if (this.profiles > 1) meta.merged_profiles = String(this.mergedCount);
    return {
      sampleTypes: this.sampleTypes.map((t) => ({ ...t })),
      defaultSampleType: first?.defaultSampleType ?? 0,
      frames: this.frames.slice(),
      samples,
      // Covered time: the span of all inputs when all have a start time, else the sum of durations.
      timeNanos: this.timeStart === Number.POSITIVE_INFINITY ? 0 : this.timeStart,
      durationNanos: this.allTimed && this.profiles > 0 ? this.timeEnd - this.timeStart : this.durationSum,
      period: first?.period ?? 0,
      periodType: { ...(first?.periodType ?? this.sampleTypes[0]!) },
      meta,
    };
  }
}

export function merge(profiles: readonly Profile[], opts: MergeOptions = {}): Profile {
  if (profiles.length === 0) throw new Error("merge needs at least one profile, got none");
  const m = new ProfileMerger(profiles[0]!.sampleTypes, opts);
  for (const p of profiles) m.add(p);
  return m.build();
}
