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
 * Frames, label sets and stacks are interned by the package's one stack interner (../intern/); the series table
 * (a fixed-size key kept in the slot) and the history digest are the store's own. The byte format of a
 * segment is in segment.ts.
 */
import { FrameTable } from "../intern/frame-table.js";
import { fnv1a, hashRun, mix32 } from "../intern/hash.js";
import { LabelTable } from "../intern/label-table.js";
import { CHUNK, StackBatch, StackTable } from "../intern/stack-table.js";
import { type Frame, frameKey, type Labels, labelsKey, type Profile, type ValueType } from "../model.js";
import { decodeSegment, encodeSegment, type Segment } from "./segment.js";

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

/** Read-only view of a store's columns for mergeStored and the segment writer; the arrays may be longer than the counts. */
export interface StoreColumns {
  readonly frames: readonly Frame[];
  readonly labelSets: readonly Labels[];
  /** Stack pool: stack s has stackPool[stackOff[s] + 1] frames, at stackPool[stackOff[s] + stackFramesAt …]. */
  readonly stackPool: Int32Array;
  readonly stackOff: Int32Array;
  readonly stackFramesAt: number;
  readonly seriesLabel: Int32Array;
  readonly seriesStack: Int32Array;
  readonly stacks: number;
  readonly series: number;
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

export class StackStore {
  /** Identity of this store (random, kept by encode/decode); StoredProfiles remember it. */
  readonly id: string;

  private readonly frames = new FrameTable(true);
  /** fnv1a(frameKey) per frame, for the history digest. */
  private frameHash = new Int32Array(1024);
  /** Frames whose frameHash is computed. */
  private hashedFrames = 0;
  private readonly labelSets = new LabelTable();
  /** fnv1a(labelsKey) per label set, for the history digest. */
  private labelHash: number[] = [];

  /** One run per stack: tag 0, payload the stack id. */
  private readonly stacks = new StackTable(1);
  /** stackOff[s] = pool offset of stack s's run. */
  private stackOff = new Int32Array(1024);

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

  // Per-intern scratch: the first pass over a profile, a chunk's series hashes and stack ids.
  private readonly batch = new StackBatch();
  private readonly seriesHs = new Int32Array(CHUNK);
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
    return this.frames.size;
  }
  get labelSetCount(): number {
    return this.labelSets.size;
  }
  get stackCount(): number {
    return this.stacks.count;
  }
  get seriesCount(): number {
    return this.nSeries;
  }

  /** The current entry counts, to pass to `encode` later for the entries appended after now. */
  mark(): StoreMark {
    return {
      frames: this.frames.size,
      labelSets: this.labelSets.size,
      stacks: this.stacks.count,
      series: this.nSeries,
    };
  }

  /** The frame with this id (a frozen object owned by the store). */
  frame(id: number): Frame {
    const f = this.frames.frames[id];
    if (f === undefined) throw new RangeError(`frame id ${id} is not in the store (it has ${this.frames.size})`);
    return f;
  }

  /** The label set with this id (frozen, shared). */
  labels(id: number): Labels {
    const l = this.labelSets.sets[id];
    if (l === undefined) throw new RangeError(`label set id ${id} is not in the store (it has ${this.labelSets.size})`);
    return l;
  }

  /** Frame ids of this stack, root first. */
  stack(id: number): number[] {
    if (!(id >= 0 && id < this.stacks.count)) {
      throw new RangeError(`stack id ${id} is not in the store (it has ${this.stacks.count})`);
    }
    const { pool, framesAt } = this.stacks;
    const o = this.stackOff[id]!;
    return Array.from(pool.subarray(o + framesAt, o + framesAt + pool[o + 1]!));
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

  /** @internal Read-only columns for mergeStored and the segment writer. Do not mutate. */
  columns(): StoreColumns {
    return {
      frames: this.frames.frames,
      labelSets: this.labelSets.sets,
      stackPool: this.stacks.pool,
      stackOff: this.stackOff,
      stackFramesAt: this.stacks.framesAt,
      seriesLabel: this.seriesLabel,
      seriesStack: this.seriesStack,
      stacks: this.stacks.count,
      series: this.nSeries,
    };
  }

  /** Id of this frame (same identity as frameKey), interning it if new. */
  internFrame(f: Frame): number {
    const id = this.frames.intern(f);
    this.hashNewFrames();
    return id;
  }

  /** Computes frameHash for frames the frame table got since the last call. */
  private hashNewFrames(): void {
    const n = this.frames.size;
    if (this.frameHash.length < n) this.frameHash = grown(this.frameHash, n);
    for (let i = this.hashedFrames; i < n; i++) this.frameHash[i] = fnv1a(frameKey(this.frames.frames[i]!));
    this.hashedFrames = n;
  }

  /** Id of this label set (same identity as labelsKey), interning it if new. */
  internLabels(labels: Labels): number {
    const id = this.labelSets.intern(labels);
    this.hashNewLabels();
    return id;
  }

  private hashNewLabels(): void {
    const sets = this.labelSets.sets;
    for (let i = this.labelHash.length; i < sets.length; i++) this.labelHash.push(fnv1a(labelsKey(sets[i]!)));
  }

  /** Id of the stack frames[o..o+n) (store frame ids, root first) whose hashRun is h, interning it if new. */
  private stackId(frames: Int32Array, o: number, n: number, h: number): number {
    const t = this.stacks;
    let b = t.find(h, 0, frames, o, n);
    if (b >= 0) return t.pool[b + 2]!;
    const id = t.count;
    b = t.insert(h, 0, frames, o, n);
    t.pool[b + 2] = id;
    this.stackOff = grown(this.stackOff, id + 1);
    this.stackOff[id] = b;
    return id;
  }

  /** Id of the stack with these frame ids (root first), interning it if new. */
  internStack(frameIds: readonly number[]): number {
    const n = frameIds.length;
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const f = frameIds[i]!;
      if (!(Number.isInteger(f) && f >= 0 && f < this.frames.size)) {
        throw new RangeError(`stack refers to frame id ${f}, but the store has ${this.frames.size} frames`);
      }
      a[i] = f;
    }
    return this.stackId(a, 0, n, hashRun(0, a, 0, n));
  }

  /** Id of the series (label set id, stack id), interning it if new. */
  internSeries(labelSet: number, stack: number): number {
    if (!(Number.isInteger(labelSet) && labelSet >= 0 && labelSet < this.labelSets.size)) {
      throw new RangeError(`label set id ${labelSet} is not in the store (it has ${this.labelSets.size})`);
    }
    if (!(Number.isInteger(stack) && stack >= 0 && stack < this.stacks.count)) {
      throw new RangeError(`stack id ${stack} is not in the store (it has ${this.stacks.count})`);
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
      const { pool, framesAt } = this.stacks;
      let d = Math.imul(this.labelHash[li]! ^ 0x5bd1e995, 0x01000193);
      const b = this.stackOff[si]!;
      const n = pool[b + 1]!;
      d = Math.imul(d ^ n, 0x01000193);
      for (let k = 0; k < n; k++) d = Math.imul(d ^ this.frameHash[pool[b + framesAt + k]!]!, 0x01000193);
      this.seriesDigest[id] = mix32(mix32(d) ^ Math.imul(this.digestAt(id), 0x9e3779b1));
    }
    this.nSeries = id + 1;
    table[3 * slot] = id + 1;
    table[3 * slot + 1] = li;
    table[3 * slot + 2] = si;
    if (this.nSeries * 8 > (mask + 1) * 5) this.rehashSeries((mask + 1) * 2);
    return id;
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
    this.frames.truncate(m.frames);
    this.hashedFrames = Math.min(this.hashedFrames, m.frames);
    this.labelSets.truncate(m.labelSets);
    this.labelHash.length = Math.min(this.labelHash.length, m.labelSets);
    if (m.stacks < this.stacks.count) this.stacks.truncate(this.stackOff[m.stacks]!, m.stacks);
    this.nSeries = Math.min(this.nSeries, m.series);
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
    const ns = p.samples.length;
    const series = new Int32Array(ns);
    const values = new Float64Array(ns * nt);
    // Pass 1: frames, label sets, every stack remapped to store frame ids, flattened and hashed, and the values.
    // Stacks are hashed and interned untagged (tag 0: one run per stack); the label set ids are kept for the series.
    const batch = this.batch;
    batch.load(p, this.frames, this.labelSets, values, nt, "cannot intern the profile", false);
    this.hashNewFrames();
    this.hashNewLabels();
    const { flat, offs, hs, tags } = batch;
    // Pass 2, in chunks: a stack probe (table slot, then the run it points at) and a series probe are
    // cache misses that depend on each other. Touching a chunk's slots and runs first, in loops whose
    // loads are independent, lets those misses overlap; the probes then mostly hit the cache. The
    // touches are hints only: stackId and seriesId do the real lookups.
    const seriesHs = this.seriesHs;
    const sids = this.sids;
    let sink = 0;
    for (let c0 = 0, c1 = 0; c0 < ns; c0 = c1) {
      c1 = this.stacks.touchChunk(hs, c0, ns);
      for (let si = c0; si < c1; si++) {
        const fb = offs[si]!;
        sids[si - c0] = this.stackId(flat, fb, offs[si + 1]! - fb, hs[si]!);
      }
      {
        const table = this.seriesTable;
        const mask = this.seriesMask;
        for (let si = c0; si < c1; si++) {
          const h = hashSeries(tags[si]!, sids[si - c0]!);
          seriesHs[si - c0] = h;
          sink ^= table[3 * (h & mask)]!;
        }
      }
      for (let si = c0; si < c1; si++) series[si] = this.seriesId(tags[si]!, sids[si - c0]!, seriesHs[si - c0]!);
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

  // Persistence: a store is a sequence of segments (byte format in segment.ts), each holding the entries appended
  // between two marks. Decode the first, append the rest in the order they were written.

  /** Bytes of the entries appended since `since` (default: the whole store). */
  encode(since: StoreMark = { frames: 0, labelSets: 0, stacks: 0, series: 0 }): Uint8Array {
    return encodeSegment(this.id, this.columns(), this.mark(), since);
  }

  /** Rebuilds a store from its first segment (`store.encode()` or `store.encode()` with no mark). */
  static decode(bytes: Uint8Array): StackStore {
    const seg = decodeSegment(bytes);
    const s = new StackStore(seg.storeId);
    s.applySegment(seg);
    return s;
  }

  /** Applies a segment written by `encode(mark)` of this store, where `mark` equals this store's current counts. */
  append(bytes: Uint8Array): this {
    this.applySegment(decodeSegment(bytes, { storeId: this.id, at: this.mark() }));
    return this;
  }

  /** Adds a decoded, checked segment's entries; a duplicate entry (found while adding) undoes the segment. */
  private applySegment(seg: Segment): void {
    const now = this.mark();
    const bad = (what: string): never => {
      throw new Error(`cannot decode stack store segment: ${what}`);
    };
    try {
      const dup = (what: string, i: number): never => bad(`${what} ${i} repeats an earlier entry (corrupted segment)`);
      for (let i = 0; i < seg.frames.length; i++) {
        if (this.internFrame(seg.frames[i]!) !== now.frames + i) dup("frame", now.frames + i);
      }
      for (let i = 0; i < seg.labelSets.length; i++) {
        if (this.internLabels(seg.labelSets[i]!) !== now.labelSets + i) dup("label set", now.labelSets + i);
      }
      const { stackData, stackStarts } = seg;
      for (let i = 0; i < stackStarts.length; i++) {
        const b = stackStarts[i]!;
        const n = stackData[b]!;
        if (this.stackId(stackData, b + 1, n, hashRun(0, stackData, b + 1, n)) !== now.stacks + i) {
          dup("stack", now.stacks + i);
        }
      }
      const sd = seg.seriesData;
      for (let i = 0; i < sd.length / 2; i++) {
        if (this.seriesId(sd[2 * i]!, sd[2 * i + 1]!) !== now.series + i) dup("series", now.series + i);
      }
    } catch (e) {
      this.truncate(now);
      throw e;
    }
  }
}
