/**
 * StackStore: an append-only dictionary of frames, label sets, stacks and series that profiles are
 * stored against, so a time-range query sums value columns by series id instead of re-interning every
 * input's frames and stacks (the design of Pyroscope's symdb and Parca's stores).
 *
 *   frame     a Frame, identity as frameKey (kind, name, file, line, module)
 *   label set a Labels object, identity as labelsKey (sorted key/value pairs)
 *   stack     a list of frame ids, root first
 *   series    (label set id, stack id): what one sample of a stored profile points at
 *
 * Each kind gets dense ids 0, 1, 2, ... in first-seen order; an id never changes once given.
 * `intern(profile)` returns the profile's StoredProfile: one series id and a row of values per sample.
 * `mergeStored` (merge-stored.ts) sums those columns and symbolises the result once.
 */
import { type Frame, frameKey, type Labels, labelsKey, type Profile, type ValueType } from "../model.js";
import { HASH_KEYS, mix32 } from "../ops/stack-hash.js";
import { readContainer, writeContainer } from "./container.js";

/** The entry counts of a store at one moment; `store.encode(mark)` writes what was appended since. */
export interface StoreMark {
  readonly frames: number;
  readonly labelSets: number;
  readonly stacks: number;
  readonly series: number;
}

/**
 * A profile in stored form: the small fields of a Profile plus two columns. `series[i]` is the store's
 * series id of sample i and `values[i * sampleTypes.length + j]` its value for sample type j.
 * Only the store whose `id` is `storeId` can read it.
 */
export interface StoredProfile {
  readonly storeId: string;
  readonly sampleTypes: readonly ValueType[];
  readonly defaultSampleType: number;
  readonly timeNanos: number;
  readonly durationNanos: number;
  readonly period: number;
  readonly periodType: ValueType;
  readonly meta: Readonly<Record<string, string>>;
  readonly series: Int32Array;
  /**
   * The store's series count when this profile was interned, and the store's history digest at that
   * count: a store that reached the same count through other entries (a fork, or a store restored from
   * an older copy that interned since) has another digest, so its series ids are not trusted.
   */
  readonly storeSeries: number;
  readonly storeDigest: number;
  readonly values: Float64Array;
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
function hashString(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

/** Read-only view of a store's columns for mergeStored; the arrays may be longer than the counts. */
export interface StoreColumns {
  readonly frames: readonly Frame[];
  readonly labelSets: readonly Labels[];
  /** Stack pool: per stack [length, frame ids...]; stack s starts at stackOff[s]. */
  readonly stackPool: Int32Array;
  readonly stackOff: Int32Array;
  readonly seriesLabel: Int32Array;
  readonly seriesStack: Int32Array;
  readonly stacks: number;
  readonly series: number;
}

const EMPTY: Labels = Object.freeze({});
/** Samples per probe batch in intern(): their table slots and runs stay in L1/L2. */
const CHUNK = 128;

/** Hash of the n frame ids a[o..o+n). Multilinear: independent products per depth, mixed at the end. */
function hashStack(a: Int32Array, o: number, n: number): number {
  let h = n;
  for (let i = 0; i < n; i++) h = (h + Math.imul(a[o + i]! + 1, HASH_KEYS[i & 255]!)) | 0;
  return mix32(h);
}

const hashSeries = (li: number, si: number) => mix32(Math.imul(li + 1, 0x9e3779b1) ^ Math.imul(si + 1, 0x7feb352d));

function newStoreId(): string {
  const b = new Uint8Array(12);
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (c?.getRandomValues) c.getRandomValues(b);
  else for (let i = 0; i < b.length; i++) b[i] = Math.floor(Math.random() * 256);
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

function grown(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

const sameLine = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

export class StackStore {
  /** Identity of this store (random, kept by encode/decode); StoredProfiles remember it. */
  readonly id: string;

  private readonly frames: Frame[] = [];
  /** hashString(frameKey) per frame, for the history digest. */
  private frameHash = new Int32Array(1024);
  /** name → frame ids with that name (usually one). */
  private byName = new Map<string, number | number[]>();
  private readonly labelSets: Labels[] = [];
  private labelIndex = new Map<string, number>();
  /** hashString(labelsKey) per label set, for the history digest. */
  private labelHash: number[] = [];

  private stackPool = new Int32Array(1 << 14);
  private stackPoolLen = 0;
  /** stackOff[s] = pool offset of stack s; stackOff[stacks] = pool length. */
  private stackOff = new Int32Array(1024);
  private nStacks = 0;
  /**
   * Open addressing, linear probing: [hash, stack id + 1, pool offset] per slot, so a probe reads the
   * slot and the run and nothing else (memory latency is what interning costs).
   */
  private stackTable = new Int32Array(3 * 1024);
  private stackMask = 1023;

  private seriesLabel = new Int32Array(1024);
  private seriesStack = new Int32Array(1024);
  private nSeries = 0;
  /**
   * seriesDigest[i]: digest of the store's history up to series i, chained over the content of every
   * series (its labels and its stack's frames, by their text), so equal digests mean equal series 0..i.
   */
  private seriesDigest = new Int32Array(1024);
  /** Open addressing: [series id + 1, label set id, stack id] per slot, the key kept in the slot. */
  private seriesTable = new Int32Array(3 * 1024);
  private seriesMask = 1023;

  // Per-intern scratch: frame remap, flat remapped stacks, their hashes and offsets, a chunk's probes.
  private remap = new Int32Array(256);
  private flat = new Int32Array(4096);
  private hs = new Int32Array(256);
  private offs = new Int32Array(257);
  private readonly cand = new Int32Array(CHUNK);
  private readonly sids = new Int32Array(CHUNK);
  /** Receives the cache-touching loads of intern() so they are not optimised away. */
  private sink = 0;

  constructor(id?: string) {
    if (id !== undefined && !/^[0-9a-z_-]{1,64}$/i.test(id)) {
      throw new Error(`store id ${JSON.stringify(id)} is not valid: use 1-64 letters, digits, '-' or '_'`);
    }
    this.id = id ?? newStoreId();
  }

  get frameCount(): number {
    return this.frames.length;
  }
  get labelSetCount(): number {
    return this.labelSets.length;
  }
  get stackCount(): number {
    return this.nStacks;
  }
  get seriesCount(): number {
    return this.nSeries;
  }

  /** The current entry counts, to pass to `encode` later for the entries appended after now. */
  mark(): StoreMark {
    return { frames: this.frames.length, labelSets: this.labelSets.length, stacks: this.nStacks, series: this.nSeries };
  }

  /** The frame with this id (a frozen object owned by the store). */
  frame(id: number): Frame {
    const f = this.frames[id];
    if (f === undefined) throw new RangeError(`frame id ${id} is not in the store (it has ${this.frames.length})`);
    return f;
  }

  /** The label set with this id (frozen, shared). */
  labels(id: number): Labels {
    const l = this.labelSets[id];
    if (l === undefined)
      throw new RangeError(`label set id ${id} is not in the store (it has ${this.labelSets.length})`);
    return l;
  }

  /** Frame ids of this stack, root first. */
  stack(id: number): number[] {
    if (!(id >= 0 && id < this.nStacks)) {
      throw new RangeError(`stack id ${id} is not in the store (it has ${this.nStacks})`);
    }
    const o = this.stackOff[id]!;
    return Array.from(this.stackPool.subarray(o + 1, o + 1 + this.stackPool[o]!));
  }

  /** The (label set id, stack id) of a series. */
  series(id: number): { labelSet: number; stack: number } {
    if (!(id >= 0 && id < this.nSeries)) {
      throw new RangeError(`series id ${id} is not in the store (it has ${this.nSeries})`);
    }
    return { labelSet: this.seriesLabel[id]!, stack: this.seriesStack[id]! };
  }

  /** Digest of the store's first `count` series (0 for none); see StoredProfile.storeDigest. */
  digestAt(count: number): number {
    if (!(Number.isInteger(count) && count >= 0 && count <= this.nSeries)) {
      throw new RangeError(`digestAt(${count}): the store has ${this.nSeries} series`);
    }
    return count === 0 ? 0 : this.seriesDigest[count - 1]!;
  }

  /** @internal Read-only columns for mergeStored. Do not mutate. */
  columns(): StoreColumns {
    return {
      frames: this.frames,
      labelSets: this.labelSets,
      stackPool: this.stackPool,
      stackOff: this.stackOff,
      seriesLabel: this.seriesLabel,
      seriesStack: this.seriesStack,
      stacks: this.nStacks,
      series: this.nSeries,
    };
  }

  /** Id of this frame (same identity as frameKey), interning it if new. */
  internFrame(f: Frame): number {
    const frames = this.frames;
    const hit = this.byName.get(f.name);
    if (hit !== undefined) {
      if (typeof hit === "number") {
        const g = frames[hit]!;
        if (sameLine(g.line, f.line) && g.file === f.file && g.kind === f.kind && g.module === f.module) return hit;
      } else {
        for (const i of hit) {
          const g = frames[i]!;
          if (sameLine(g.line, f.line) && g.file === f.file && g.kind === f.kind && g.module === f.module) return i;
        }
      }
    }
    return this.pushFrame(Object.freeze({ name: f.name, file: f.file, line: f.line, kind: f.kind, module: f.module }));
  }

  private pushFrame(f: Frame): number {
    const idx = this.frames.length;
    this.frames.push(f);
    this.frameHash = grown(this.frameHash, idx + 1);
    this.frameHash[idx] = hashString(frameKey(f));
    const hit = this.byName.get(f.name);
    if (hit === undefined) this.byName.set(f.name, idx);
    else if (typeof hit === "number") this.byName.set(f.name, [hit, idx]);
    else hit.push(idx);
    return idx;
  }

  /** Id of this label set (same identity as labelsKey), interning it if new. */
  internLabels(labels: Labels): number {
    const k = labelsKey(labels);
    let id = this.labelIndex.get(k);
    if (id === undefined) {
      id = this.labelSets.length;
      this.labelSets.push(Object.keys(labels).length === 0 ? EMPTY : Object.freeze({ ...labels }));
      this.labelHash.push(hashString(k));
      this.labelIndex.set(k, id);
    }
    return id;
  }

  /** Id of the stack frames[o..o+n) (store frame ids, root first), interning it if new. */
  private stackId(frames: Int32Array, o: number, n: number, h: number): number {
    const { stackTable: table, stackMask: mask, stackPool: pool } = this;
    let slot = h & mask;
    for (;;) {
      const e = table[3 * slot + 1]!;
      if (e === 0) break;
      if (table[3 * slot] === h) {
        const b = table[3 * slot + 2]!;
        if (pool[b] === n) {
          let i = 0;
          while (i < n && pool[b + 1 + i] === frames[o + i]) i++;
          if (i === n) return e - 1;
        }
      }
      slot = (slot + 1) & mask;
    }
    const id = this.nStacks;
    const b = this.stackPoolLen;
    // 16 spare entries past the last run keep intern()'s touch of pool[b + 12] in bounds.
    this.stackPool = grown(this.stackPool, b + 17 + n);
    this.stackOff = grown(this.stackOff, id + 2);
    const p = this.stackPool;
    p[b] = n;
    for (let i = 0; i < n; i++) p[b + 1 + i] = frames[o + i]!;
    this.stackPoolLen = b + 1 + n;
    this.stackOff[id] = b;
    this.stackOff[id + 1] = this.stackPoolLen;
    this.nStacks = id + 1;
    table[3 * slot] = h;
    table[3 * slot + 1] = id + 1;
    table[3 * slot + 2] = b;
    // Load factor at most 5/8 keeps linear probing short.
    if (this.nStacks * 8 > (mask + 1) * 5) this.rehashStacks((mask + 1) * 2);
    return id;
  }

  /** Id of the stack with these frame ids (root first), interning it if new. */
  internStack(frameIds: readonly number[]): number {
    const n = frameIds.length;
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const f = frameIds[i]!;
      if (!(Number.isInteger(f) && f >= 0 && f < this.frames.length)) {
        throw new RangeError(`stack refers to frame id ${f}, but the store has ${this.frames.length} frames`);
      }
      a[i] = f;
    }
    return this.stackId(a, 0, n, hashStack(a, 0, n));
  }

  /** Id of the series (label set id, stack id), interning it if new. */
  internSeries(labelSet: number, stack: number): number {
    if (!(Number.isInteger(labelSet) && labelSet >= 0 && labelSet < this.labelSets.length)) {
      throw new RangeError(`label set id ${labelSet} is not in the store (it has ${this.labelSets.length})`);
    }
    if (!(Number.isInteger(stack) && stack >= 0 && stack < this.nStacks)) {
      throw new RangeError(`stack id ${stack} is not in the store (it has ${this.nStacks})`);
    }
    return this.seriesId(labelSet, stack);
  }

  private seriesId(li: number, si: number, h = hashSeries(li, si)): number {
    const { seriesTable: table, seriesMask: mask } = this;
    let slot = h & mask;
    for (;;) {
      const e = table[3 * slot]!;
      if (e === 0) break;
      if (table[3 * slot + 2] === si && table[3 * slot + 1] === li) return e - 1;
      slot = (slot + 1) & mask;
    }
    const id = this.nSeries;
    this.seriesLabel = grown(this.seriesLabel, id + 1);
    this.seriesStack = grown(this.seriesStack, id + 1);
    this.seriesLabel[id] = li;
    this.seriesStack[id] = si;
    this.seriesDigest = grown(this.seriesDigest, id + 1);
    {
      let d = Math.imul(this.labelHash[li]! ^ 0x5bd1e995, 0x01000193);
      const b = this.stackOff[si]!;
      const n = this.stackPool[b]!;
      d = Math.imul(d ^ n, 0x01000193);
      for (let k = 0; k < n; k++) d = Math.imul(d ^ this.frameHash[this.stackPool[b + 1 + k]!]!, 0x01000193);
      this.seriesDigest[id] = mix32(mix32(d) ^ Math.imul(this.digestAt(id), 0x9e3779b1));
    }
    this.nSeries = id + 1;
    table[3 * slot] = id + 1;
    table[3 * slot + 1] = li;
    table[3 * slot + 2] = si;
    if (this.nSeries * 8 > (mask + 1) * 5) this.rehashSeries((mask + 1) * 2);
    return id;
  }

  private rehashStacks(size: number): void {
    const table = new Int32Array(3 * size);
    const mask = size - 1;
    const pool = this.stackPool;
    const off = this.stackOff;
    for (let s = 0; s < this.nStacks; s++) {
      const b = off[s]!;
      const h = hashStack(pool, b + 1, pool[b]!);
      let slot = h & mask;
      while (table[3 * slot + 1] !== 0) slot = (slot + 1) & mask;
      table[3 * slot] = h;
      table[3 * slot + 1] = s + 1;
      table[3 * slot + 2] = b;
    }
    this.stackTable = table;
    this.stackMask = mask;
  }

  private rehashSeries(size: number): void {
    const table = new Int32Array(3 * size);
    const mask = size - 1;
    for (let s = 0; s < this.nSeries; s++) {
      const li = this.seriesLabel[s]!;
      const si = this.seriesStack[s]!;
      let slot = hashSeries(li, si) & mask;
      while (table[3 * slot] !== 0) slot = (slot + 1) & mask;
      table[3 * slot] = s + 1;
      table[3 * slot + 1] = li;
      table[3 * slot + 2] = si;
    }
    this.seriesTable = table;
    this.seriesMask = mask;
  }

  /** Forgets every entry appended after `m` (used to undo a failed intern or append) and rebuilds the indexes. */
  private truncate(m: StoreMark): void {
    this.frames.length = m.frames;
    this.byName = new Map();
    const frames = this.frames.splice(0);
    for (const f of frames) this.pushFrame(f);
    this.labelSets.length = m.labelSets;
    this.labelIndex = new Map();
    this.labelHash.length = m.labelSets;
    for (let i = 0; i < this.labelSets.length; i++) this.labelIndex.set(labelsKey(this.labelSets[i]!), i);
    if (m.stacks < this.nStacks) {
      this.nStacks = m.stacks;
      this.stackPoolLen = this.stackOff[m.stacks]!;
    }
    this.nSeries = Math.min(this.nSeries, m.series);
    this.rehashStacks(this.stackMask + 1);
    this.rehashSeries(this.seriesMask + 1);
  }

  /**
   * Interns every sample of `p` and returns it in stored form. Samples keep their order (repeated
   * (stack, labels) pairs stay separate rows; mergeStored sums them). On an error nothing is added.
   */
  intern(p: Profile): StoredProfile {
    const nt = p.sampleTypes.length;
    if (nt === 0) throw new Error("cannot intern a profile without sample types: a profile needs at least one");
    const m = this.mark();
    try {
      return this.internUnchecked(p, nt);
    } catch (e) {
      this.truncate(m);
      throw e;
    }
  }

  private internUnchecked(p: Profile, nt: number): StoredProfile {
    const pf = p.frames;
    const nf = pf.length;
    if (this.remap.length < nf) this.remap = new Int32Array(nf * 2);
    const remap = this.remap;
    for (let i = 0; i < nf; i++) remap[i] = this.internFrame(pf[i]!);
    const samples = p.samples;
    const ns = samples.length;
    const series = new Int32Array(ns);
    const values = new Float64Array(ns * nt);
    const labelCache = new Map<Labels, number>();
    let lastLabels: Labels | undefined;
    let lastLabelId = 0;
    if (this.hs.length < ns) {
      this.hs = new Int32Array(ns * 2);
      this.offs = new Int32Array(ns * 2 + 1);
    }
    const hs = this.hs;
    const offs = this.offs;
    // Pass 1: label set ids (kept in `series` until pass 2 replaces them), stacks remapped to store frame
    // ids into one flat buffer, their hashes, and the values. No table is touched yet.
    let flat = this.flat;
    let fl = 0;
    for (let si = 0; si < ns; si++) {
      const s = samples[si]!;
      // Neighbouring samples usually share one label set object (ProfileBuilder shares them).
      if (s.labels !== lastLabels) {
        lastLabels = s.labels;
        let li = labelCache.get(s.labels);
        if (li === undefined) {
          li = this.internLabels(s.labels);
          labelCache.set(s.labels, li);
        }
        lastLabelId = li;
      }
      series[si] = lastLabelId;
      const st = s.stack;
      const n = st.length;
      if (fl + n > flat.length) {
        const nf2 = new Int32Array(Math.max(flat.length * 2, fl + n));
        nf2.set(flat.subarray(0, fl));
        flat = this.flat = nf2;
      }
      offs[si] = fl;
      let h = n;
      for (let i = 0; i < n; i++) {
        const x = st[i]!;
        if (!(x >>> 0 === x && x < nf)) {
          throw new Error(
            `cannot intern the profile: sample ${si} refers to frame ${String(x)}, but the profile has ${nf} frames (a malformed profile; build it with ProfileBuilder)`,
          );
        }
        const f = remap[x]!;
        flat[fl++] = f;
        h = (h + Math.imul(f + 1, HASH_KEYS[i & 255]!)) | 0;
      }
      hs[si] = mix32(h);
      const sv = s.values;
      const vb = si * nt;
      for (let j = 0; j < nt; j++) values[vb + j] = sv[j] ?? 0;
    }
    offs[ns] = fl;
    // Pass 2, in chunks: a stack probe (table slot, then the run it points at) and a series probe are
    // cache misses that depend on each other. Touching a chunk's slots and runs first, in loops whose
    // loads are independent, lets those misses overlap; the probes then mostly hit the cache. The
    // touches are hints only: stackId and seriesId do the real lookups.
    const cand = this.cand;
    const sids = this.sids;
    let sink = 0;
    for (let c0 = 0; c0 < ns; c0 += CHUNK) {
      const c1 = Math.min(c0 + CHUNK, ns);
      {
        const table = this.stackTable;
        const mask = this.stackMask;
        const pool = this.stackPool;
        for (let si = c0; si < c1; si++) cand[si - c0] = table[3 * (hs[si]! & mask) + 2]!;
        for (let si = c0; si < c1; si++) {
          const b = cand[si - c0]!;
          sink ^= pool[b]! ^ pool[b + 12]!;
        }
      }
      for (let si = c0; si < c1; si++) {
        const fb = offs[si]!;
        sids[si - c0] = this.stackId(flat, fb, offs[si + 1]! - fb, hs[si]!);
      }
      {
        const table = this.seriesTable;
        const mask = this.seriesMask;
        for (let si = c0; si < c1; si++) {
          const h = hashSeries(series[si]!, sids[si - c0]!);
          cand[si - c0] = h;
          sink ^= table[3 * (h & mask)]!;
        }
      }
      for (let si = c0; si < c1; si++) series[si] = this.seriesId(series[si]!, sids[si - c0]!, cand[si - c0]!);
    }
    this.sink ^= sink;
    return {
      storeId: this.id,
      sampleTypes: p.sampleTypes.map((t) => ({ type: t.type, unit: t.unit })),
      defaultSampleType: p.defaultSampleType,
      timeNanos: p.timeNanos,
      durationNanos: p.durationNanos,
      period: p.period,
      periodType: { type: p.periodType.type, unit: p.periodType.unit },
      meta: { ...p.meta },
      series,
      values,
      storeSeries: this.nSeries,
      storeDigest: this.digestAt(this.nSeries),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Persistence. A segment ("PFST" container, see container.ts) holds the entries appended between
  // two marks. Header JSON:
  //   { storeId, from: StoreMark (counts before the segment), frames, labelSets, stacks, series (entry
  //     counts in the segment), labelInts, stackInts (lengths of those sections), strings: string[] }
  // Body sections, in order (string ids index the header's `strings`, which are segment-local):
  //   frameLine   Float64Array(frames)       line of each frame
  //   frameText   Int32Array(4 × frames)     per frame: name, file, kind, module string ids
  //   labelData   Int32Array(labelInts)      per label set: pair count, then key and value string ids,
  //                                          keys sorted
  //   stackData   Int32Array(stackInts)      per stack: length, then frame ids (store ids, root first)
  //   seriesData  Int32Array(2 × series)     per series: label set id, stack id
  // A store is the concatenation of its segments applied in order: decode the first, append the rest.
  // ---------------------------------------------------------------------------------------------

  /** Bytes of the entries appended since `since` (default: the whole store). */
  encode(since: StoreMark = { frames: 0, labelSets: 0, stacks: 0, series: 0 }): Uint8Array {
    const now = this.mark();
    for (const k of ["frames", "labelSets", "stacks", "series"] as const) {
      const v = since[k];
      if (!(Number.isInteger(v) && v >= 0 && v <= now[k])) {
        throw new RangeError(
          `encode(since): since.${k} = ${v} is not a mark of this store (it has ${now[k]} ${k}); pass a value returned by store.mark()`,
        );
      }
    }
    const strings: string[] = [];
    const stringIds = new Map<string, number>();
    const sid = (s: string) => {
      let i = stringIds.get(s);
      if (i === undefined) {
        i = strings.length;
        strings.push(s);
        stringIds.set(s, i);
      }
      return i;
    };
    const nFrames = now.frames - since.frames;
    const frameLine = new Float64Array(nFrames);
    const frameText = new Int32Array(4 * nFrames);
    for (let i = 0; i < nFrames; i++) {
      const f = this.frames[since.frames + i]!;
      frameLine[i] = f.line;
      frameText[4 * i] = sid(f.name);
      frameText[4 * i + 1] = sid(f.file);
      frameText[4 * i + 2] = sid(f.kind);
      frameText[4 * i + 3] = sid(f.module);
    }
    const labelData: number[] = [];
    for (let i = since.labelSets; i < now.labelSets; i++) {
      const l = this.labelSets[i]!;
      const keys = Object.keys(l).sort();
      labelData.push(keys.length);
      for (const k of keys) labelData.push(sid(k), sid(String(l[k])));
    }
    const stackData = this.stackPool.slice(this.stackOff[since.stacks]!, this.stackOff[now.stacks]!);
    const nSeries = now.series - since.series;
    const seriesData = new Int32Array(2 * nSeries);
    for (let i = 0; i < nSeries; i++) {
      seriesData[2 * i] = this.seriesLabel[since.series + i]!;
      seriesData[2 * i + 1] = this.seriesStack[since.series + i]!;
    }
    const header = {
      storeId: this.id,
      from: { frames: since.frames, labelSets: since.labelSets, stacks: since.stacks, series: since.series },
      frames: nFrames,
      labelSets: now.labelSets - since.labelSets,
      stacks: now.stacks - since.stacks,
      series: nSeries,
      labelInts: labelData.length,
      stackInts: stackData.length,
      strings,
    };
    return writeContainer("PFST", header, [frameLine, frameText, Int32Array.from(labelData), stackData, seriesData]);
  }

  /** Rebuilds a store from its first segment (`store.encode()` or `store.encode()` with no mark). */
  static decode(bytes: Uint8Array): StackStore {
    const r = readContainer(bytes, "PFST");
    const id = r.header.storeId;
    if (typeof id !== "string") throw new Error("cannot decode stack store segment: header has no storeId");
    const s = new StackStore(id);
    s.applySegment(r);
    return s;
  }

  /** Applies a segment written by `encode(mark)` of this store, where `mark` equals this store's current counts. */
  append(bytes: Uint8Array): this {
    this.applySegment(readContainer(bytes, "PFST"));
    return this;
  }

  private applySegment(r: ReturnType<typeof readContainer>): void {
    const h = r.header;
    const bad = (what: string): never => {
      throw new Error(`cannot decode stack store segment: ${what}`);
    };
    if (h.storeId !== this.id) {
      bad(
        `it belongs to store ${JSON.stringify(h.storeId)}, not to this store (${this.id}); segments only append to the store that wrote them`,
      );
    }
    const from = h.from as Record<string, unknown> | null;
    const now = this.mark();
    if (from === null || typeof from !== "object") bad("header has no `from` mark");
    for (const k of ["frames", "labelSets", "stacks", "series"] as const) {
      if (from![k] !== now[k]) {
        bad(
          `it starts at ${k} = ${String(from![k])} but this store has ${now[k]}; append segments in the order they were written, each exactly once`,
        );
      }
    }
    const count = (k: string): number => {
      const v = h[k];
      if (!(typeof v === "number" && Number.isSafeInteger(v) && v >= 0)) bad(`header field ${k} is not a count`);
      return v as number;
    };
    const nFrames = count("frames");
    const nLabels = count("labelSets");
    const nStacks = count("stacks");
    const nSeries = count("series");
    const strings = h.strings;
    if (!Array.isArray(strings) || strings.some((x) => typeof x !== "string"))
      bad("header strings is not a list of strings");
    const str = strings as string[];
    const frameLine = r.float64(nFrames, "frame lines");
    const frameText = r.int32(4 * nFrames, "frame names");
    const labelData = r.int32(count("labelInts"), "label sets");
    const stackData = r.int32(count("stackInts"), "stacks");
    const seriesData = r.int32(2 * nSeries, "series");
    r.end();
    const text = (i: number, what: string): string => {
      if (!(i >= 0 && i < str.length)) bad(`${what} refers to string ${i}, but the segment has ${str.length}`);
      return str[i]!;
    };
    // Check everything before adding anything; a duplicate entry (found while adding) undoes the segment.
    const frames: Frame[] = [];
    for (let i = 0; i < nFrames; i++) {
      // Any kind string round-trips (the store keeps what it was given); the model's kinds are four.
      const kind = text(frameText[4 * i + 2]!, `frame ${i}`);
      frames.push(
        Object.freeze({
          name: text(frameText[4 * i]!, `frame ${i}`),
          file: text(frameText[4 * i + 1]!, `frame ${i}`),
          line: frameLine[i]!,
          kind: kind as Frame["kind"],
          module: text(frameText[4 * i + 3]!, `frame ${i}`),
        }),
      );
    }
    const labelSets: Labels[] = [];
    let o = 0;
    for (let i = 0; i < nLabels; i++) {
      const n = labelData[o++];
      if (n === undefined || n < 0 || o + 2 * n > labelData.length) bad(`label set ${i} runs past its section`);
      const pairs: [string, string][] = [];
      for (let k = 0; k < n!; k++) {
        pairs.push([text(labelData[o]!, `label set ${i}`), text(labelData[o + 1]!, `label set ${i}`)]);
        o += 2;
      }
      labelSets.push(n === 0 ? EMPTY : Object.freeze(Object.fromEntries(pairs)));
    }
    if (o !== labelData.length) bad("label set section has bytes past its last label set");
    const totalFrames = now.frames + nFrames;
    o = 0;
    const stackStarts = new Int32Array(nStacks);
    for (let i = 0; i < nStacks; i++) {
      stackStarts[i] = o;
      const n = stackData[o];
      if (n === undefined || n < 0 || o + 1 + n > stackData.length)
        bad(`stack ${now.stacks + i} runs past its section`);
      for (let k = 1; k <= n!; k++) {
        const f = stackData[o + k]!;
        if (!(f >= 0 && f < totalFrames))
          bad(`stack ${now.stacks + i} refers to frame ${f} (the store has ${totalFrames})`);
      }
      o += 1 + n!;
    }
    if (o !== stackData.length) bad("stack section has bytes past its last stack");
    const totalLabels = now.labelSets + nLabels;
    const totalStacks = now.stacks + nStacks;
    for (let i = 0; i < nSeries; i++) {
      const li = seriesData[2 * i]!;
      const si = seriesData[2 * i + 1]!;
      if (!(li >= 0 && li < totalLabels && si >= 0 && si < totalStacks)) {
        bad(
          `series ${now.series + i} refers to label set ${li} and stack ${si} (the store has ${totalLabels} and ${totalStacks})`,
        );
      }
    }
    try {
      const dup = (what: string, i: number): never => bad(`${what} ${i} repeats an earlier entry (corrupted segment)`);
      for (let i = 0; i < nFrames; i++)
        if (this.internFrame(frames[i]!) !== now.frames + i) dup("frame", now.frames + i);
      for (let i = 0; i < nLabels; i++) {
        if (this.internLabels(labelSets[i]!) !== now.labelSets + i) dup("label set", now.labelSets + i);
      }
      for (let i = 0; i < nStacks; i++) {
        const b = stackStarts[i]!;
        const n = stackData[b]!;
        if (this.stackId(stackData, b + 1, n, hashStack(stackData, b + 1, n)) !== now.stacks + i) {
          dup("stack", now.stacks + i);
        }
      }
      for (let i = 0; i < nSeries; i++) {
        if (this.seriesId(seriesData[2 * i]!, seriesData[2 * i + 1]!) !== now.series + i) dup("series", now.series + i);
      }
    } catch (e) {
      this.truncate(now);
      throw e;
    }
  }
}
