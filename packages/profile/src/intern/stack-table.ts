/**
 * The one stack interner of the profile package, shared by merge() (ProfileMerger) and StackStore.
 *
 * StackTable keeps runs `[tag, n, payload…, frames…]` in one pool and finds them through an open-addressing table
 * (linear probing, slots `[hash, run offset + 1]`). The tag is part of the key (merge: the label set id, so one run per
 * (labels, stack); StackStore: 0, one run per stack); the payload is not (merge: the summed values as float64s,
 * StackStore: the stack id). Memory latency dominates at these sizes, so what one probe touches is packed together
 * and kept small: a probe reads one slot and one run, and a hit adds the values or reads the id without touching
 * other memory. Runs are appended in insertion order and 8-byte aligned (float64 payloads).
 *
 * StackBatch is the first pass over an input profile, the same for both users: frames remapped to table ids, every
 * sample's stack flattened into one buffer and hashed, its tag and values. The second pass (per user) probes in
 * chunks: `touchChunk` loads a chunk's slots and then the runs they point to in two tight loops whose loads are independent,
 * so the cache misses of many samples overlap instead of being paid one after another, and the probes then mostly hit
 * the cache.
 */
import type { Labels, Profile } from "../model.js";
import type { FrameTable } from "./frame-table.js";
import { HASH_KEYS, mix32, runSeed } from "./hash.js";
import type { LabelTable } from "./label-table.js";

/** Samples per probe batch: their slots and runs (~100 bytes each) stay in L1/L2. */
export const CHUNK = 128;
/** Spare pool entries past the last run, so `touchChunk` may read a little past any run. */
const SPARE = 16;

export class StackTable {
  /** Number of runs. */
  count = 0;
  /** The pool as int32s (tags, lengths, frames, int payloads) and, over the same bytes, float64s (float payloads). */
  pool: Int32Array;
  poolF: Float64Array;
  /** Used length of the pool, in int32s; the next run starts here. */
  poolLen = 0;
  private table = new Int32Array(2 << 12);
  private mask = (1 << 12) - 1;
  /** touchChunk's scratch (a chunk's run offsets) and the sink of its loads. */
  private readonly cand = new Int32Array(CHUNK);
  private sink = 0;
  /** Offset of a run's frames from its start: after the tag, the length and the payload. */
  readonly framesAt: number;

  /** `payloadWords`: int32s of payload per run (2 per float64). */
  constructor(readonly payloadWords: number) {
    this.framesAt = 2 + payloadWords;
    const buf = new ArrayBuffer(1 << 16);
    this.pool = new Int32Array(buf);
    this.poolF = new Float64Array(buf);
  }

  /** Pool offset of the run (tag, frames flat[fb, fb+n)) whose hash is h, or -1. */
  find(h: number, tag: number, flat: Int32Array, fb: number, n: number): number {
    const { table, mask, pool } = this;
    const fo = this.framesAt;
    let slot = h & mask;
    for (;;) {
      const e = table[2 * slot + 1]!;
      if (e === 0) return -1;
      if (table[2 * slot] === h) {
        const b = e - 1;
        if (pool[b] === tag && pool[b + 1] === n) {
          const c = b + fo;
          let i = 0;
          while (i < n && pool[c + i] === flat[fb + i]) i++;
          if (i === n) return b;
        }
      }
      slot = (slot + 1) & mask;
    }
  }

  /**
   * Appends the run (tag, frames flat[fb, fb+n)), which must not be in the table, and returns its pool offset; the
   * caller writes its payload. Runs are 8-byte aligned, so run b's float64 payload is poolF[(b + 2) >> 1 …].
   */
  insert(h: number, tag: number, flat: Int32Array, fb: number, n: number): number {
    const b = this.poolLen;
    const c = b + this.framesAt;
    const end = (c + n + 1) & ~1;
    if (end + SPARE > this.pool.length) this.growPool(end + SPARE);
    const pool = this.pool;
    pool[b] = tag;
    pool[b + 1] = n;
    for (let i = 0; i < n; i++) pool[c + i] = flat[fb + i]!;
    this.poolLen = end;
    this.place(h, b);
    this.count++;
    // Load factor at most 5/8: linear probing stays short and the table stays small.
    if (this.count * 8 > (this.mask + 1) * 5) this.rehash(this.mask * 2 + 1, this.poolLen);
    return b;
  }

  /** Pool offset of the run after the run at b. */
  next(b: number): number {
    return (b + this.framesAt + this.pool[b + 1]! + 1) & ~1;
  }

  /**
   * The header of the chunked second pass, shared by its users: loads the slots of hashes hs[c0, c1), then the runs
   * they point at, so the misses overlap, and returns c1 = min(c0 + CHUNK, ns), the end of the chunk. A hint only:
   * find() does the lookup. The loop over a batch of ns samples is
   *   for (let c0 = 0, c1 = 0; c0 < ns; c0 = c1) { c1 = table.touchChunk(hs, c0, ns); …probe c0..c1… }
   */
  touchChunk(hs: Int32Array, c0: number, ns: number): number {
    const { table, mask, pool, cand } = this;
    const c1 = Math.min(c0 + CHUNK, ns);
    let sink = 0;
    for (let si = c0; si < c1; si++) cand[si - c0] = table[2 * (hs[si]! & mask) + 1]!;
    for (let si = c0; si < c1; si++) {
      const e = cand[si - c0]!;
      sink ^= pool[e]! ^ pool[e + 15]!;
    }
    // Folded into a field so the loads are not optimised away.
    this.sink ^= sink;
    return c1;
  }

  /** Forgets the runs from pool offset `poolLen` on (`count` runs stay): undoes inserts. */
  truncate(poolLen: number, count: number): void {
    if (poolLen >= this.poolLen) return;
    this.poolLen = poolLen;
    this.count = count;
    this.rehash(this.mask, poolLen);
  }

  private place(h: number, b: number): void {
    const { table, mask } = this;
    let slot = h & mask;
    while (table[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
    table[2 * slot] = h;
    table[2 * slot + 1] = b + 1;
  }

  /** A new table of mask + 1 slots holding the slots of runs below `below`. */
  private rehash(mask: number, below: number): void {
    const old = this.table;
    this.table = new Int32Array((mask + 1) * 2);
    this.mask = mask;
    for (let o = 0; o < old.length; o += 2) {
      const e = old[o + 1]!;
      if (e !== 0 && e - 1 < below) this.place(old[o]!, e - 1);
    }
  }

  private growPool(need: number): void {
    let size = this.pool.byteLength * 2;
    while (size < need * 4) size *= 2;
    const buf = new ArrayBuffer(size);
    const np = new Int32Array(buf);
    np.set(this.pool.subarray(0, this.poolLen));
    this.pool = np;
    this.poolF = new Float64Array(buf);
  }
}

/** Pass 1 of interning a profile's samples into a StackTable; scratch reused from profile to profile. */
export class StackBatch {
  /** Every sample's stack, remapped to FrameTable ids, one after another; sample i is flat[offs[i], offs[i+1]). */
  flat = new Int32Array(4096);
  offs = new Int32Array(257);
  /** Hash of each sample's run (its tag and stack), see hashRun. */
  hs = new Int32Array(256);
  /** Tag of each sample: its label set id, or 0 without labels. */
  tags = new Int32Array(256);
  private remap = new Int32Array(256);

  /**
   * Interns `p`'s frames into `frames` and its label sets into `labels` (null: every tag is 0), fills the arrays above
   * for its samples and writes their values (nt per sample, row-major, missing ones 0) into `values`.
   * Throws when a sample refers to a frame outside the profile's frame table (`what` starts the message).
   * `hashTags` false: the hashes are of the stacks alone (tag 0), for a table that keys stacks without labels.
   */
  load(
    p: Profile,
    frames: FrameTable,
    labels: LabelTable | null,
    values: Float64Array,
    nt: number,
    what: string,
    hashTags = true,
  ): void {
    const pf = p.frames;
    const nf = pf.length;
    if (this.remap.length < nf) this.remap = new Int32Array(nf * 2);
    const remap = this.remap;
    for (let i = 0; i < nf; i++) remap[i] = frames.intern(pf[i]!);
    const samples = p.samples;
    const ns = samples.length;
    if (this.hs.length < ns) {
      this.hs = new Int32Array(ns * 2);
      this.tags = new Int32Array(ns * 2);
      this.offs = new Int32Array(ns * 2 + 1);
    }
    const { hs, tags, offs } = this;
    const labelCache = new Map<Labels, number>();
    let flat = this.flat;
    let fl = 0;
    let lastLabels: Labels | undefined;
    let lastTag = 0;
    for (let si = 0; si < ns; si++) {
      const s = samples[si]!;
      // Neighbouring samples usually share their label set object (ProfileBuilder shares them).
      if (labels !== null && s.labels !== lastLabels) {
        lastLabels = s.labels;
        lastTag = labels.idOf(s.labels, labelCache);
      }
      const st = s.stack;
      const n = st.length;
      if (fl + n > flat.length) {
        const grown = new Int32Array(Math.max(flat.length * 2, fl + n));
        grown.set(flat.subarray(0, fl));
        flat = this.flat = grown;
      }
      offs[si] = fl;
      // Multilinear hash (see hash.ts): independent products per depth, mixed at the end.
      let h = runSeed(hashTags ? lastTag : 0, n);
      for (let i = 0; i < n; i++) {
        const x = st[i]!;
        if (!(x >>> 0 === x && x < nf)) {
          throw new Error(
            `${what}: sample ${si} refers to frame ${String(x)}, but the profile has ${nf} frames (a malformed profile; build it with ProfileBuilder)`,
          );
        }
        const f = remap[x]!;
        flat[fl++] = f;
        h = (h + Math.imul(f + 1, HASH_KEYS[i & 255]!)) | 0;
      }
      hs[si] = mix32(h);
      tags[si] = lastTag;
      const sv = s.values;
      const vb = si * nt;
      for (let j = 0; j < nt; j++) values[vb + j] = sv[j] ?? 0;
    }
    offs[ns] = fl;
  }
}
