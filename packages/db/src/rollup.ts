/**
 * Rollups: the merged samples of many profiles in one columnar, self-contained blob (frames, label sets,
 * stacks, series, values), and ColumnMerger, which merges rollups and profiles into one without building an
 * object per input sample. See docs/platform-store.md for why rollups look like this.
 *
 * A rollup keeps each profile's own labels (host, pod, ... from the upload) inside its samples' label sets,
 * under keys prefixed with PROFILE_LABEL_PREFIX, so a label-filtered query can still use it; the query strips
 * them again (stripProfileLabels).
 */
import { gunzipSync, gzipSync } from "node:zlib";
import {
  type Frame,
  type FrameKind,
  FrameTable,
  type Labels,
  labelsKey,
  MergeInfo,
  type Profile,
  type ProfileHeader,
  type Sample,
  type ValueType,
} from "@perforator/profile";

export const PROFILE_LABEL_PREFIX = "\u0001";

export interface RollupData {
  /** Merged header (covered time, `merged_profiles`, first-wins meta), as merge() computes it. */
  header: ProfileHeader;
  frames: Frame[];
  labelSets: Labels[];
  /** Stack i is stackPool[stackOff[i] .. stackOff[i+1]) (frame ids, root first). */
  stackOff: Int32Array;
  stackPool: Int32Array;
  /** Series i is (seriesStack[i], seriesLabel[i]) with values[i * nt .. i * nt + nt). */
  seriesStack: Int32Array;
  seriesLabel: Int32Array;
  values: Float64Array;
}

export function seriesCount(d: RollupData): number {
  return d.seriesStack.length;
}

const MAGIC = 0x4c524650; // "PFRL" little-endian
const VERSION = 1;

/**
 * Columnar bytes, gzip-compressed by default (level 1: ~3x smaller). Pass `gzip: false` for the rollups a day
 * query reads by the dozen: inflating costs more than reading the larger blob.
 */
export function encodeRollup(d: RollupData, opts: { gzip?: boolean } = {}): Uint8Array {
  const head = new TextEncoder().encode(
    JSON.stringify({
      header: d.header,
      frames: d.frames.map((f) => [f.name, f.file, f.line, f.kind, f.module]),
      labelSets: d.labelSets,
      stacks: d.stackOff.length - 1,
      pool: d.stackPool.length,
      series: d.seriesStack.length,
    }),
  );
  const headPad = (8 - ((16 + head.length) % 8)) % 8;
  const nStacks = d.stackOff.length - 1;
  const nSeries = d.seriesStack.length;
  const nt = d.header.sampleTypes.length;
  const total = 16 + head.length + headPad + nSeries * nt * 8 + (nStacks + 1 + d.stackPool.length + 2 * nSeries) * 4;
  const buf = new ArrayBuffer(total);
  const dv = new DataView(buf);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, VERSION, true);
  dv.setUint32(8, head.length, true);
  dv.setUint32(12, nt, true);
  const u8 = new Uint8Array(buf);
  u8.set(head, 16);
  let o = 16 + head.length + headPad;
  new Float64Array(buf, o, nSeries * nt).set(d.values.subarray(0, nSeries * nt));
  o += nSeries * nt * 8;
  for (const arr of [d.stackOff.subarray(0, nStacks + 1), d.stackPool, d.seriesStack, d.seriesLabel]) {
    new Int32Array(buf, o, arr.length).set(arr);
    o += arr.length * 4;
  }
  return opts.gzip === false ? u8 : gzipSync(u8, { level: 1 });
}

export function decodeRollup(bytes: Uint8Array): RollupData {
  let raw: Uint8Array = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      raw = gunzipSync(bytes);
    } catch (err) {
      throw new Error(`rollup blob is not valid gzip (corrupted?): ${(err as Error).message}`);
    }
  }
  if (raw.length < 16) throw new Error("rollup blob is truncated");
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw new Error("not a perforator rollup blob (bad magic)");
  if (dv.getUint32(4, true) !== VERSION)
    throw new Error(`rollup blob version ${dv.getUint32(4, true)} is not supported`);
  const headLen = dv.getUint32(8, true);
  const nt = dv.getUint32(12, true);
  const h = JSON.parse(new TextDecoder().decode(raw.subarray(16, 16 + headLen))) as {
    header: ProfileHeader;
    frames: [string, string, number, FrameKind, string][];
    labelSets: Labels[];
    stacks: number;
    pool: number;
    series: number;
  };
  // Copy the columns into an aligned buffer of their own (the inflated Buffer may sit at any offset).
  const start = 16 + headLen + ((8 - ((16 + headLen) % 8)) % 8);
  const need = h.series * nt * 8 + (h.stacks + 1 + h.pool + 2 * h.series) * 4;
  if (raw.length < start + need) throw new Error("rollup blob is truncated");
  // Typed-array views straight into the blob when it is 8-byte aligned (a file read or an inflated buffer of its
  // own usually is); otherwise copy the columns into an aligned buffer first.
  let cols: ArrayBufferLike;
  let o: number;
  if ((raw.byteOffset + start) % 8 === 0) {
    cols = raw.buffer;
    o = raw.byteOffset + start;
  } else {
    cols = new ArrayBuffer(need);
    new Uint8Array(cols).set(raw.subarray(start, start + need));
    o = 0;
  }
  const values = new Float64Array(cols, o, h.series * nt);
  o += h.series * nt * 8;
  const take = (n: number) => {
    const a = new Int32Array(cols, o, n);
    o += n * 4;
    return a;
  };
  const stackOff = take(h.stacks + 1);
  const stackPool = take(h.pool);
  const seriesStack = take(h.series);
  const seriesLabel = take(h.series);
  return {
    header: h.header,
    frames: h.frames.map(([name, file, line, kind, module]) => ({ name, file, line, kind, module })),
    labelSets: h.labelSets.map((l) => Object.freeze(l)),
    stackOff,
    stackPool,
    seriesStack,
    seriesLabel,
    values,
  };
}

/** Maps an input label set to the label set kept in the output, or null to drop its samples. */
export type LabelMapper = (labels: Labels) => Labels | null;

function grow<T extends Int32Array | Float64Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  let n = a.length * 2;
  while (n < need) n *= 2;
  const b = new (a.constructor as { new (n: number): T })(n);
  b.set(a);
  return b;
}

const EMPTY: Labels = Object.freeze({});

/**
 * Merges rollups and profiles column-wise: frames through a FrameTable, label sets by labelsKey, stacks by
 * their global frame ids (one hash table), series through their stack (a short chain per stack). Values are
 * summed in float64 in input order. The header follows merge(): the covered time, `merged_profiles`, first-wins meta, and an Error for
 * different sample types.
 */
export class ColumnMerger {
  private readonly info: MergeInfo;
  private readonly nt: number;
  private readonly frameTable = new FrameTable();
  private readonly labelSets: Labels[] = [];
  private readonly labelIndex = new Map<string, number>();

  private nStacks = 0;
  private stackOff = new Int32Array(1 << 12);
  private stackPool = new Int32Array(1 << 15);
  private stackHash = new Int32Array(1 << 12);
  private stackTable = new Int32Array(1 << 13); // stack id + 1, 0 = empty
  private stackMask = (1 << 13) - 1;

  private nSeries = 0;
  private seriesStack = new Int32Array(1 << 12);
  private seriesLabel = new Int32Array(1 << 12);
  private values: Float64Array;
  /**
   * Series are found through their stack: seriesHead[stack] is its first series + 1, seriesNext[series] the
   * next series of the same stack + 1 (stacks have few label sets each, so the chains are short). This
   * touches two small arrays per lookup instead of probing a hash table over all series.
   */
  private seriesHead = new Int32Array(1 << 12);
  private seriesNext = new Int32Array(1 << 12);

  constructor(readonly sampleTypes: readonly ValueType[]) {
    this.info = new MergeInfo(sampleTypes);
    this.nt = sampleTypes.length;
    this.values = new Float64Array((1 << 12) * this.nt);
  }

  get seriesCount(): number {
    return this.nSeries;
  }

  private labelId(l: Labels): number {
    const k = labelsKey(l);
    let id = this.labelIndex.get(k);
    if (id === undefined) {
      id = this.labelSets.length;
      this.labelSets.push(Object.keys(l).length === 0 ? EMPTY : Object.freeze({ ...l }));
      this.labelIndex.set(k, id);
    }
    return id;
  }

  /** Interns the stack in `buf[0..n)` (global frame ids); returns its id. */
  private stackId(buf: Int32Array, n: number): number {
    let h = 0x811c9dc5 ^ n;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    const mask = this.stackMask;
    const table = this.stackTable;
    let slot = h & mask;
    for (;;) {
      const e = table[slot]!;
      if (e === 0) break;
      const id = e - 1;
      if (this.stackHash[id] === h) {
        const o = this.stackOff[id]!;
        if (this.stackOff[id + 1]! - o === n) {
          const pool = this.stackPool;
          let i = 0;
          while (i < n && pool[o + i] === buf[i]) i++;
          if (i === n) return id;
        }
      }
      slot = (slot + 1) & mask;
    }
    const id = this.nStacks++;
    this.stackOff = grow(this.stackOff, id + 2);
    this.stackHash = grow(this.stackHash, id + 1);
    this.seriesHead = grow(this.seriesHead, id + 1);
    const o = this.stackOff[id]!;
    this.stackPool = grow(this.stackPool, o + n);
    this.stackPool.set(buf.subarray(0, n), o);
    this.stackOff[id + 1] = o + n;
    this.stackHash[id] = h;
    table[slot] = id + 1;
    if (this.nStacks * 2 > mask) this.rehashStacks();
    return id;
  }

  private rehashStacks(): void {
    const mask = this.stackMask * 2 + 1;
    const table = new Int32Array(mask + 1);
    for (let id = 0; id < this.nStacks; id++) {
      let slot = this.stackHash[id]! & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = id + 1;
    }
    this.stackTable = table;
    this.stackMask = mask;
  }

  /** Adds `vals[vo .. vo + nt)` to series (stack, label). */
  private addSeries(stack: number, label: number, vals: ArrayLike<number>, vo: number): void {
    const nt = this.nt;
    let e = this.seriesHead[stack]!;
    while (e !== 0) {
      const id = e - 1;
      if (this.seriesLabel[id] === label) {
        const v = this.values;
        for (let j = 0; j < nt; j++) v[id * nt + j] = v[id * nt + j]! + (vals[vo + j] ?? 0);
        return;
      }
      e = this.seriesNext[id]!;
    }
    const id = this.nSeries++;
    if (id >= this.seriesStack.length) {
      this.seriesStack = grow(this.seriesStack, id + 1);
      this.seriesLabel = grow(this.seriesLabel, id + 1);
      this.seriesNext = grow(this.seriesNext, id + 1);
      this.values = grow(this.values, (id + 1) * nt);
    }
    this.seriesStack[id] = stack;
    this.seriesLabel[id] = label;
    this.seriesNext[id] = this.seriesHead[stack]!;
    this.seriesHead[stack] = id + 1;
    for (let j = 0; j < nt; j++) this.values[id * nt + j] = vals[vo + j] ?? 0;
  }

  private mapLabelSets(sets: readonly Labels[], map: LabelMapper | undefined): Int32Array {
    const out = new Int32Array(sets.length);
    for (let i = 0; i < sets.length; i++) {
      const m = map ? map(sets[i]!) : sets[i]!;
      out[i] = m === null ? -1 : this.labelId(m);
    }
    return out;
  }

  addRollup(d: RollupData, map?: LabelMapper): this {
    this.info.add(d.header);
    const frameMap = new Int32Array(d.frames.length);
    for (let i = 0; i < d.frames.length; i++) frameMap[i] = this.frameTable.intern(d.frames[i]!);
    const labelMap = this.mapLabelSets(d.labelSets, map);
    const { stackOff, stackPool, seriesStack, seriesLabel, values } = d;
    const nStacks = stackOff.length - 1;
    // Every stack once, in pool order (sequential reads); then the series, which only index small arrays.
    const stackMap = new Int32Array(nStacks);
    let buf = new Int32Array(256);
    for (let st = 0; st < nStacks; st++) {
      const o = stackOff[st]!;
      const n = stackOff[st + 1]! - o;
      if (buf.length < n) buf = new Int32Array(n * 2);
      for (let i = 0; i < n; i++) buf[i] = frameMap[stackPool[o + i]!]!;
      stackMap[st] = this.stackId(buf, n);
    }
    const nt = this.nt;
    for (let s = 0; s < seriesStack.length; s++) {
      const li = labelMap[seriesLabel[s]!]!;
      if (li >= 0) this.addSeries(stackMap[seriesStack[s]!]!, li, values, s * nt);
    }
    return this;
  }

  addProfile(p: Profile, map?: LabelMapper): this {
    this.info.add(p);
    const frameMap = new Int32Array(p.frames.length);
    for (let i = 0; i < p.frames.length; i++) frameMap[i] = this.frameTable.intern(p.frames[i]!);
    const byObject = new Map<Labels, number>();
    let buf = new Int32Array(256);
    for (const s of p.samples) {
      let li = byObject.get(s.labels);
      if (li === undefined) {
        const m = map ? map(s.labels) : s.labels;
        li = m === null ? -1 : this.labelId(m);
        byObject.set(s.labels, li);
      }
      if (li < 0) continue;
      const n = s.stack.length;
      if (buf.length < n) buf = new Int32Array(n * 2);
      for (let i = 0; i < n; i++) buf[i] = frameMap[s.stack[i]!]!;
      this.addSeries(this.stackId(buf, n), li, s.values, 0);
    }
    return this;
  }

  build(): RollupData {
    return {
      header: this.info.build(),
      frames: this.frameTable.frames.slice(),
      labelSets: this.labelSets.slice(),
      stackOff: this.stackOff.slice(0, this.nStacks + 1),
      stackPool: this.stackPool.slice(0, this.stackOff[this.nStacks]!),
      seriesStack: this.seriesStack.slice(0, this.nSeries),
      seriesLabel: this.seriesLabel.slice(0, this.nSeries),
      values: this.values.slice(0, this.nSeries * this.nt),
    };
  }
}

/** The Profile a rollup holds: one sample per series (samples with one stack share its array). */
export function rollupToProfile(d: RollupData): Profile {
  const nt = d.header.sampleTypes.length;
  const nStacks = d.stackOff.length - 1;
  // Only the frames the samples use, renumbered in first-use order.
  const frameMap = new Int32Array(d.frames.length).fill(-1);
  const frames: Frame[] = [];
  const stacks: (number[] | undefined)[] = new Array(nStacks);
  const n = d.seriesStack.length;
  const samples: Sample[] = new Array(n);
  for (let s = 0; s < n; s++) {
    const st = d.seriesStack[s]!;
    let stack = stacks[st];
    if (stack === undefined) {
      const o = d.stackOff[st]!;
      const len = d.stackOff[st + 1]! - o;
      stack = new Array(len);
      for (let i = 0; i < len; i++) {
        const f = d.stackPool[o + i]!;
        let g = frameMap[f]!;
        if (g < 0) {
          g = frames.length;
          frames.push(d.frames[f]!);
          frameMap[f] = g;
        }
        stack[i] = g;
      }
      stacks[st] = stack;
    }
    const values = new Array<number>(nt);
    for (let j = 0; j < nt; j++) values[j] = d.values[s * nt + j]!;
    samples[s] = { stack, values, labels: d.labelSets[d.seriesLabel[s]!]! };
  }
  return { ...d.header, frames, samples };
}

/** Splits a rollup label set into the profile's labels (prefix removed) and the sample's own labels. */
export function splitProfileLabels(l: Labels): { profile: Record<string, string>; sample: Record<string, string> } {
  const profile: Record<string, string> = {};
  const sample: Record<string, string> = {};
  for (const k in l) {
    if (k.startsWith(PROFILE_LABEL_PREFIX)) profile[k.slice(PROFILE_LABEL_PREFIX.length)] = l[k]!;
    else sample[k] = l[k]!;
  }
  return { profile, sample };
}

/** A label mapper adding a profile's labels (prefixed) to each sample's labels: what a rollup stores. */
export function withProfileLabels(profileLabels: Readonly<Record<string, string>>): LabelMapper {
  const extra: Record<string, string> = {};
  for (const k in profileLabels) extra[PROFILE_LABEL_PREFIX + k] = profileLabels[k]!;
  return (l) => ({ ...l, ...extra });
}
