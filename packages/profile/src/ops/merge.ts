/**
 * merge(profiles): sums samples with the same (stack, labels) across profiles.
 *
 * This is the server's hot path (a day of one-minute profiles is 1,440 merges), so it avoids
 * per-sample strings: frames are interned once per input profile into a remap table (by name,
 * then a compare of the other fields, so no key string is built), label sets are cached by
 * object identity (ProfileBuilder shares one object per distinct set), and (labels, stack) keys
 * live in an open-addressing hash table over one pool of runs [labels, len, values, frames].
 * Each input profile is processed in two passes: remap + hash every sample into flat scratch
 * arrays, then probe in chunks whose table slots and runs are touched first, so the cache
 * misses of many samples overlap instead of being paid one after another.
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
import { HASH_KEYS, mix32 } from "./stack-hash.js";

export interface MergeOptions {
  /** Keep labels (default true). With false, samples that differ only in labels are summed together. */
  keepLabels?: boolean;
}

const EMPTY: Labels = Object.freeze({});
/** Samples per prefetch batch in ProfileMerger.add: their slots and runs (~100 bytes each) stay in L1/L2. */
const CHUNK = 128;

/**
 * Interns frames by name, then compares the other fields: no key string per frame (names rarely repeat with
 * other fields). `frames[i]` is a copy of the frame that got id i.
 */
export class FrameTable {
  readonly frames: Frame[] = [];
  /** name → frame indices with that name (usually one). */
  private readonly byName = new Map<string, number | number[]>();

  intern(f: Frame): number {
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
}

/** Incremental merge: `add` profiles one by one (e.g. as they are read from storage), then `build`. */
export class ProfileMerger {
  readonly sampleTypes: readonly ValueType[];
  private readonly nt: number;
  private readonly keepLabels: boolean;
  private readonly info: MergeInfo;

  private readonly frameTable = new FrameTable();
  private readonly labelSets: Labels[] = [];
  private readonly labelIndex = new Map<string, number>();

  // Memory latency dominates at this size, so what one probe touches is packed together and kept small:
  // a table slot is [hash, run+1] (8 bytes) and each distinct (labels, stack) is one run in the pool,
  // [labelSet, len, values as float64..., frames..., pad], so a probe reads one slot and one run, and
  // summing the values touches no other memory. Runs are 8-byte aligned and appended in insertion
  // order, so build() reads them back sequentially.
  private count = 0;
  private poolBuf = new ArrayBuffer(1 << 16);
  private pool = new Int32Array(this.poolBuf);
  private poolF = new Float64Array(this.poolBuf);
  private poolLen = 0;
  private table = new Int32Array(2 << 12);
  private mask = (1 << 12) - 1;
  private remap = new Int32Array(256);
  private readonly cand = new Int32Array(CHUNK);
  /** Receives the cache-touching loads of add() so they are not optimised away. */
  private sink = 0;
  /** Per-input-profile scratch: remapped stacks (flat), their hashes, label ids and offsets. */
  private flat = new Int32Array(4096);
  private hs = new Int32Array(256);
  private lis = new Int32Array(256);
  private offs = new Int32Array(257);
  private svs = new Float64Array(512);

  constructor(sampleTypes: readonly ValueType[], opts: MergeOptions = {}) {
    if (sampleTypes.length === 0) throw new Error("a profile needs at least one sample type");
    this.sampleTypes = sampleTypes.map((t) => ({ ...t }));
    this.nt = sampleTypes.length;
    this.keepLabels = opts.keepLabels !== false;
    this.info = new MergeInfo(this.sampleTypes);
  }

  private internFrame(f: Frame): number {
    return this.frameTable.intern(f);
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

  private rehash(): void {
    const old = this.table;
    const mask = this.mask * 2 + 1;
    const table = new Int32Array((mask + 1) * 2);
    for (let o = 0; o < old.length; o += 2) {
      const e = old[o + 1]!;
      if (e === 0) continue;
      const h = old[o]!;
      let slot = h & mask;
      while (table[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
      table[2 * slot] = h;
      table[2 * slot + 1] = e;
    }
    this.table = table;
    this.mask = mask;
  }

  add(p: Profile): this {
    const nt = this.nt;
    this.info.add(p);

    const pf = p.frames;
    if (this.remap.length < pf.length) this.remap = new Int32Array(pf.length * 2);
    const remap = this.remap;
    for (let i = 0; i < pf.length; i++) remap[i] = this.internFrame(pf[i]!);

    const labelCache = new Map<Labels, number>();
    const keepLabels = this.keepLabels;
    const samples = p.samples;
    const ns = samples.length;
    if (this.hs.length < ns) {
      this.hs = new Int32Array(ns * 2);
      this.lis = new Int32Array(ns * 2);
      this.offs = new Int32Array(ns * 2 + 1);
    }
    if (this.svs.length < ns * nt) this.svs = new Float64Array(ns * nt * 2);
    const svs = this.svs;
    const hs = this.hs;
    const lis = this.lis;
    const offs = this.offs;
    // Pass 1: remap every stack into one flat buffer and hash it (no table access yet).
    let flat = this.flat;
    let fl = 0;
    let lastLabels: Labels | undefined;
    let lastLabelId = 0;
    for (let si = 0; si < ns; si++) {
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
      if (fl + n > flat.length) {
        const nf = new Int32Array(Math.max(flat.length * 2, fl + n));
        nf.set(flat.subarray(0, fl));
        flat = this.flat = nf;
      }
      offs[si] = fl;
      // Multilinear hash: a sum of independent products (one random odd key per depth), so the per-frame
      // work is not one long chain of dependent multiplies; mixed at the end.
      let h = Math.imul(li + 1, 0x9e3779b1) ^ n;
      for (let i = 0; i < n; i++) {
        const f = remap[st[i]!]!;
        flat[fl++] = f;
        h = (h + Math.imul(f + 1, HASH_KEYS[i & 255]!)) | 0;
      }
      hs[si] = mix32(h);
      lis[si] = li;
      const sv = s.values;
      for (let j = 0; j < nt; j++) svs[si * nt + j] = sv[j] ?? 0;
    }
    offs[ns] = fl;
    // Pass 2: probe; a hit adds the values in place in the run. The table slot and the run of a sample
    // are cache misses that depend on each other, so each chunk of samples is first touched in two
    // tight loops (all slots, then all runs they point to) whose loads are independent and overlap;
    // the probes then mostly hit the cache. The touches are hints only: find() does the real lookup.
    const vo = 2;
    const cand = this.cand;
    let sink = 0;
    for (let c0 = 0; c0 < ns; c0 += CHUNK) {
      const c1 = Math.min(c0 + CHUNK, ns);
      {
        const table = this.table;
        const mask = this.mask;
        const pool = this.pool;
        for (let si = c0; si < c1; si++) cand[si - c0] = table[2 * (hs[si]! & mask) + 1]!;
        for (let si = c0; si < c1; si++) {
          const e = cand[si - c0]!;
          sink ^= pool[e]! ^ pool[e + 15]!;
        }
      }
      for (let si = c0; si < c1; si++) {
        const h = hs[si]!;
        const li = lis[si]!;
        const fb = offs[si]!;
        const n = offs[si + 1]! - fb;
        const b = this.find(h, n, li, flat, fb);
        const vb = si * nt;
        if (b >= 0) {
          const pf = this.poolF;
          const o = (b + vo) >> 1;
          for (let j = 0; j < nt; j++) pf[o + j] += svs[vb + j]!;
        } else {
          this.insert(h, n, li, svs, vb, flat, fb);
        }
      }
    }
    this.sink ^= sink;
    return this;
  }

  /** Pool offset of the run for (labels li, stack flat[fb, fb+n)), or -1. */
  private find(h: number, n: number, li: number, flat: Int32Array, fb: number): number {
    const { table, mask, pool } = this;
    const fo = 2 + 2 * this.nt;
    let slot = h & mask;
    for (;;) {
      const e = table[2 * slot + 1]!;
      if (e === 0) return -1;
      if (table[2 * slot] === h) {
        const b = e - 1;
        if (pool[b] === li && pool[b + 1] === n) {
          const c = b + fo;
          let i = 0;
          while (i < n && pool[c + i] === flat[fb + i]) i++;
          if (i === n) return b;
        }
      }
      slot = (slot + 1) & mask;
    }
  }

  private insert(h: number, n: number, li: number, svs: Float64Array, vb: number, flat: Int32Array, fb: number): void {
    const nt = this.nt;
    const b = this.poolLen;
    const fo = 2 + 2 * nt;
    const end = b + fo + n + ((n & 1) === 0 ? 0 : 1);
    // 16 spare entries past the last run keep add()'s touch of pool[e + 15] in bounds.
    if (end + 16 > this.pool.length) {
      let size = this.poolBuf.byteLength * 2;
      while (size < (end + 16) * 4) size *= 2;
      const buf = new ArrayBuffer(size);
      const np = new Int32Array(buf);
      np.set(this.pool.subarray(0, b));
      this.poolBuf = buf;
      this.pool = np;
      this.poolF = new Float64Array(buf);
    }
    const pool = this.pool;
    pool[b] = li;
    pool[b + 1] = n;
    const pf = this.poolF;
    const o = (b + 2) >> 1;
    for (let j = 0; j < nt; j++) pf[o + j] = svs[vb + j]!;
    const c = b + fo;
    for (let i = 0; i < n; i++) pool[c + i] = flat[fb + i]!;
    this.poolLen = end;
    const mask = this.mask;
    const table = this.table;
    let slot = h & mask;
    while (table[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
    table[2 * slot] = h;
    table[2 * slot + 1] = b + 1;
    this.count++;
    // Load factor at most 5/8: linear probing stays short and the table stays small.
    if (this.count * 8 > (mask + 1) * 5) this.rehash();
  }

  build(): Profile {
    const { count, nt, pool, poolF } = this;
    const fo = 2 + 2 * nt;
    const samples: Sample[] = new Array(count);
    let b = 0;
    for (let i = 0; i < count; i++) {
      const li = pool[b]!;
      const n = pool[b + 1]!;
      const stack: number[] = new Array(n);
      const c = b + fo;
      for (let k = 0; k < n; k++) stack[k] = pool[c + k]!;
      const v: number[] = new Array(nt);
      const o = (b + 2) >> 1;
      for (let j = 0; j < nt; j++) v[j] = poolF[o + j]!;
      samples[i] = { stack, values: v, labels: this.keepLabels ? this.labelSets[li]! : EMPTY };
      b = c + n + ((n & 1) === 0 ? 0 : 1);
    }
    return { ...this.info.build(), frames: this.frameTable.frames.slice(), samples };
  }
}

/** The fields of a profile that merging combines without looking at samples. */
export type ProfileHeader = Pick<
  Profile,
  "sampleTypes" | "defaultSampleType" | "timeNanos" | "durationNanos" | "period" | "periodType" | "meta"
>;

/**
 * Everything a merge computes besides frames and samples (shared by ProfileMerger and mergeStored):
 * the sample-type check, the covered time, merged_profiles and the first-wins meta.
 */
export class MergeInfo {
  private first: ProfileHeader | undefined;
  private profiles = 0;
  private mergedCount = 0;
  private timeStart = Number.POSITIVE_INFINITY;
  private timeEnd = 0;
  private allTimed = true;
  private durationSum = 0;
  private readonly meta: Record<string, string> = {};

  constructor(readonly sampleTypes: readonly ValueType[]) {}

  /** Throws when `p` has other sample types than the first profile; otherwise accounts for it. */
  add(p: ProfileHeader): void {
    const types = this.sampleTypes;
    const same = p.sampleTypes.length === types.length && p.sampleTypes.every((t, i) => sameValueType(t, types[i]!));
    if (!same) {
      throw new Error(
        `cannot merge profiles with different sample types: profile 0 has [${types
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
  }

  build(): ProfileHeader {
    const first = this.first;
    const meta = { ...this.meta };
    if (this.profiles > 1) meta.merged_profiles = String(this.mergedCount);
    return {
      sampleTypes: this.sampleTypes.map((t) => ({ ...t })),
      defaultSampleType: first?.defaultSampleType ?? 0,
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
