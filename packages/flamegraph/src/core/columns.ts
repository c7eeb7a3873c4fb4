/**
 * ProfileColumns: a profile as columns (frames over a string table, interned stacks, series of (stack, label set)
 * with a value row each) instead of one object per sample. The web app sends a server-side merge in this shape
 * (`encodeColumns` / `decodeColumns`), straight from the merged rollup columns, and the viewer builds its FlameTree
 * and top table from it without materialising samples (`buildColumnsTree`, `topFunctionsColumns`). Operations that
 * need a `Profile` (sandwich, diff) get one from `columnsToProfile`, on demand.
 */
import {
  FRAME_KINDS,
  type Frame,
  type FrameKind,
  type Labels,
  type Profile,
  type Sample,
  type ValueType,
} from "@perforator/profile";

export interface ProfileColumns {
  readonly kind: "columns";
  sampleTypes: ValueType[];
  defaultSampleType: number;
  timeNanos: number;
  durationNanos: number;
  period: number;
  periodType: ValueType;
  meta: Record<string, string>;
  /** String table; frames refer to it by index. */
  strings: string[];
  frameName: Uint32Array;
  frameFile: Uint32Array;
  frameLine: Uint32Array;
  /** Index into FRAME_KINDS. */
  frameKind: Uint8Array;
  frameModule: Uint32Array;
  /** Stack i is stackPool[stackOff[i] .. stackOff[i + 1]): frame ids, root first. */
  stackOff: Uint32Array;
  stackPool: Uint32Array;
  labelSets: Labels[];
  /** Series i is (seriesStack[i], seriesLabels[i]) with values[i * nt .. i * nt + nt), nt = sampleTypes.length. */
  seriesStack: Uint32Array;
  seriesLabels: Uint32Array;
  values: Float64Array;
}

export function isColumns(p: Profile | ProfileColumns): p is ProfileColumns {
  return (p as ProfileColumns).kind === "columns";
}

const KIND_INDEX = new Map<string, number>(FRAME_KINDS.map((k, i) => [k, i]));

export function frameKindIndex(kind: string): number {
  return KIND_INDEX.get(kind) ?? 3;
}

/** The sample type index to read: `vi`, else the default; an Error when out of range. */
export function valueIndexOf(c: ProfileColumns, vi: number | undefined): number {
  const i = vi ?? c.defaultSampleType;
  if (!Number.isInteger(i) || i < 0 || i >= c.sampleTypes.length) {
    throw new Error(`value index ${i} is out of range: the profile has ${c.sampleTypes.length} sample type(s)`);
  }
  return i;
}

/** Interns strings into a table whose entry 0 is "". */
export class StringIds {
  readonly strings: string[];
  private readonly ids = new Map<string, number>();
  /** Starting from a copy of `initial` (whose entry 0 must be ""). */
  constructor(initial: readonly string[] = [""]) {
    this.strings = initial.slice();
    for (let i = this.strings.length - 1; i >= 0; i--) this.ids.set(this.strings[i]!, i);
  }
  id(s: string): number {
    let i = this.ids.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, i);
    }
    return i;
  }
}

/** Frame columns over a string table, from frame objects. */
export function frameColumns(
  frames: readonly Frame[],
  ids = new StringIds(),
): Pick<ProfileColumns, "strings" | "frameName" | "frameFile" | "frameLine" | "frameKind" | "frameModule"> {
  const n = frames.length;
  const frameName = new Uint32Array(n);
  const frameFile = new Uint32Array(n);
  const frameLine = new Uint32Array(n);
  const frameKind = new Uint8Array(n);
  const frameModule = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const f = frames[i]!;
    frameName[i] = ids.id(f.name);
    frameFile[i] = ids.id(f.file);
    frameLine[i] = f.line;
    frameKind[i] = frameKindIndex(f.kind);
    frameModule[i] = ids.id(f.module);
  }
  return { strings: ids.strings, frameName, frameFile, frameLine, frameKind, frameModule };
}

/** The frame object of frame `i`. */
export function frameAt(c: ProfileColumns, i: number): Frame {
  return {
    name: c.strings[c.frameName[i]!]!,
    file: c.strings[c.frameFile[i]!]!,
    line: c.frameLine[i]!,
    kind: (FRAME_KINDS[c.frameKind[i]!] ?? "other") as FrameKind,
    module: c.strings[c.frameModule[i]!]!,
  };
}

/** Columns of a Profile: samples sharing a stack array (or a labels object) share its id. */
export function columnsFromProfile(p: Profile): ProfileColumns {
  const nt = p.sampleTypes.length;
  const stackIds = new Map<readonly number[], number>();
  const labelIds = new Map<Labels, number>();
  const labelSets: Labels[] = [];
  const n = p.samples.length;
  const seriesStack = new Uint32Array(n);
  const seriesLabels = new Uint32Array(n);
  const values = new Float64Array(n * nt);
  const off: number[] = [0];
  const pool: number[] = [];
  for (let s = 0; s < n; s++) {
    const sample = p.samples[s]!;
    let st = stackIds.get(sample.stack);
    if (st === undefined) {
      st = off.length - 1;
      for (const f of sample.stack) pool.push(f);
      off.push(pool.length);
      stackIds.set(sample.stack, st);
    }
    let li = labelIds.get(sample.labels);
    if (li === undefined) {
      li = labelSets.length;
      labelSets.push(sample.labels);
      labelIds.set(sample.labels, li);
    }
    seriesStack[s] = st;
    seriesLabels[s] = li;
    for (let j = 0; j < nt; j++) values[s * nt + j] = sample.values[j] ?? 0;
  }
  return {
    kind: "columns",
    ...columnsHeader(p),
    ...frameColumns(p.frames),
    stackOff: Uint32Array.from(off),
    stackPool: Uint32Array.from(pool),
    labelSets,
    seriesStack,
    seriesLabels,
    values,
  };
}

/** The Profile the columns hold: one sample per series (series of one stack share its array). */
export function columnsToProfile(c: ProfileColumns): Profile {
  const nt = c.sampleTypes.length;
  const frames: Frame[] = [];
  for (let i = 0; i < c.frameName.length; i++) frames.push(frameAt(c, i));
  const stacks: (number[] | undefined)[] = new Array(c.stackOff.length - 1);
  const n = c.seriesStack.length;
  const samples: Sample[] = new Array(n);
  for (let s = 0; s < n; s++) {
    const st = c.seriesStack[s]!;
    let stack = stacks[st];
    if (stack === undefined) {
      stack = Array.from(c.stackPool.subarray(c.stackOff[st]!, c.stackOff[st + 1]!));
      stacks[st] = stack;
    }
    samples[s] = {
      stack,
      values: Array.from(c.values.subarray(s * nt, s * nt + nt)),
      labels: c.labelSets[c.seriesLabels[s]!]!,
    };
  }
  return { ...columnsHeader(c), frames, samples };
}

/** Number of series with a non-zero value of the default type (what `samples.length` is to a Profile, roughly). */
export function seriesCount(c: ProfileColumns): number {
  return c.seriesStack.length;
}

// --- wire format -------------------------------------------------------------------------------------------------

const MAGIC = 0x4c434650; // "PFCL" little-endian
const VERSION = 1;
export const COLUMNS_CONTENT_TYPE = "application/vnd.perforator.columns";

/** The profile-level fields of ProfileColumns (a Profile's header). */
type HeaderFields =
  | "sampleTypes"
  | "defaultSampleType"
  | "timeNanos"
  | "durationNanos"
  | "period"
  | "periodType"
  | "meta";

/** A copy of a profile's header fields, as ProfileColumns holds them. */
export function columnsHeader(h: Pick<Profile, HeaderFields>): Pick<ProfileColumns, HeaderFields> {
  return {
    sampleTypes: h.sampleTypes.map((t) => ({ ...t })),
    defaultSampleType: h.defaultSampleType,
    timeNanos: h.timeNanos,
    durationNanos: h.durationNanos,
    period: h.period,
    periodType: { ...h.periodType },
    meta: { ...h.meta },
  };
}

interface WireHeader extends Pick<ProfileColumns, HeaderFields | "strings" | "labelSets"> {
  frames: number;
  stacks: number;
  pool: number;
  series: number;
}

/**
 * Bytes: "PFCL", version, header length, pad to 8; a JSON header (metadata, string table, label sets, counts);
 * then little-endian columns: values (f64), frame name/file/line/module, stack offsets, stack pool, series stack,
 * series label set (u32), frame kinds (u8). Sent gzip-compressed.
 */
export function encodeColumns(c: ProfileColumns): Uint8Array {
  const head: WireHeader = {
    ...columnsHeader(c),
    strings: c.strings,
    labelSets: c.labelSets,
    frames: c.frameName.length,
    stacks: c.stackOff.length - 1,
    pool: c.stackPool.length,
    series: c.seriesStack.length,
  };
  const json = new TextEncoder().encode(JSON.stringify(head));
  const start = align8(12 + json.length);
  const nt = c.sampleTypes.length;
  const u32 = [
    c.frameName,
    c.frameFile,
    c.frameLine,
    c.frameModule,
    c.stackOff,
    c.stackPool,
    c.seriesStack,
    c.seriesLabels,
  ];
  const u32Len = u32.reduce((a, x) => a + x.length, 0);
  const total = start + head.series * nt * 8 + u32Len * 4 + head.frames;
  const buf = new ArrayBuffer(total);
  const dv = new DataView(buf);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, VERSION, true);
  dv.setUint32(8, json.length, true);
  const bytes = new Uint8Array(buf);
  bytes.set(json, 12);
  let o = start;
  new Float64Array(buf, o, head.series * nt).set(c.values.subarray(0, head.series * nt));
  o += head.series * nt * 8;
  for (const a of u32) {
    new Uint32Array(buf, o, a.length).set(a);
    o += a.length * 4;
  }
  bytes.set(c.frameKind, o);
  return bytes;
}

function align8(n: number): number {
  return n + ((8 - (n % 8)) % 8);
}

/** The columns of `encodeColumns` bytes (already inflated); typed arrays are views into `bytes` when aligned. */
export function decodeColumns(bytes: Uint8Array): ProfileColumns {
  if (bytes.length < 12) throw new Error("columnar profile payload is truncated");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw new Error("not a columnar profile payload (bad magic)");
  const version = dv.getUint32(4, true);
  if (version !== VERSION) throw new Error(`columnar profile payload version ${version} is not supported`);
  const jsonLen = dv.getUint32(8, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + jsonLen))) as WireHeader;
  const start = align8(12 + jsonLen);
  const nt = h.sampleTypes.length;
  const need = h.series * nt * 8 + (4 * h.frames + h.stacks + 1 + h.pool + 2 * h.series) * 4 + h.frames;
  if (bytes.length < start + need) throw new Error("columnar profile payload is truncated");
  let buf: ArrayBufferLike = bytes.buffer;
  let o = bytes.byteOffset + start;
  if (o % 8 !== 0) {
    buf = bytes.slice(start, start + need).buffer;
    o = 0;
  }
  const values = new Float64Array(buf, o, h.series * nt);
  o += h.series * nt * 8;
  const u32 = (n: number) => {
    const a = new Uint32Array(buf, o, n);
    o += n * 4;
    return a;
  };
  const frameName = u32(h.frames);
  const frameFile = u32(h.frames);
  const frameLine = u32(h.frames);
  const frameModule = u32(h.frames);
  const stackOff = u32(h.stacks + 1);
  const stackPool = u32(h.pool);
  const seriesStack = u32(h.series);
  const seriesLabels = u32(h.series);
  const frameKind = new Uint8Array(buf, o, h.frames);
  return {
    kind: "columns",
    ...columnsHeader(h),
    strings: h.strings,
    frameName,
    frameFile,
    frameLine,
    frameKind,
    frameModule,
    stackOff,
    stackPool,
    labelSets: h.labelSets,
    seriesStack,
    seriesLabels,
    values,
  };
}
