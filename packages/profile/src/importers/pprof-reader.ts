/**
 * A hand-written reader for pprof's profile.proto (perftools.profiles.Profile) that decodes straight into the
 * profile model, and a scan that validates the same message and sums its values without building anything.
 *
 * One cursor over the (inflated) bytes, no object per field or varint: a first pass over the top-level fields
 * records where each sample, mapping, location, function and string is; the small tables (mappings, functions,
 * locations) are then read into flat arrays, and the samples last, once every id they refer to is known.
 * Strings are decoded once each, when first used.
 *
 * Both entry points run the same checks in the same order, so they accept the same messages and fail with the
 * same error. Rejected: malformed wire format (truncated or over-long varints, lengths past the end, wire types
 * other than 0/1/2/5, a known field with the wrong wire type, field number 0), a string index outside the string
 * table, a non-empty string_table[0], no sample_type, a sample whose value count differs from the sample_type
 * count, a sample that refers to a location the profile does not define, a line that refers to a function the
 * profile does not define. Unknown fields are skipped by wire type.
 *
 * Numbers: every varint is read as int64 and becomes the nearest double (uint64 ids and values ≥ 2^63 become
 * negative, as the pprof-format path did; a 10-byte varint's bits beyond 64 are dropped). Like the former importer,
 * ids are matched by that number (a later mapping, function or location with the same id wins), id 0 is an id like
 * any other, and a location whose mapping_id is not defined has no mapping.
 */
import { isKernelModule, KERNEL_SUFFIX, looksLikePythonFile } from "../frame-text.js";
import { HASH_KEYS, mix32 } from "../intern/hash.js";
import {
  type Frame,
  type FrameKind,
  type Labels,
  labelsKey,
  type Profile,
  type Sample,
  type ValueType,
} from "../model.js";

/** What {@link scanPprof} learns from a profile without decoding its stacks. */
export interface PprofScan {
  sampleTypes: ValueType[];
  /** Index into sampleTypes, chosen as the decoder chooses it. */
  defaultSampleType: number;
  period: number;
  periodType: ValueType;
  timeNanos: number;
  durationNanos: number;
  /** Sample messages in the profile (the decoded Profile merges samples with equal stacks and labels). */
  sampleCount: number;
  /** Sum of each sample type's values over all samples, in float64. */
  totals: number[];
}

export function inferKind(name: string, file: string, module: string): { kind: FrameKind; name: string } {
  if (name.endsWith(KERNEL_SUFFIX) && name.length > KERNEL_SUFFIX.length) {
    return { kind: "kernel", name: name.slice(0, -KERNEL_SUFFIX.length) };
  }
  if (isKernelModule(module)) return { kind: "kernel", name };
  if (looksLikePythonFile(file)) return { kind: "python", name };
  return { kind: "native", name };
}

export function basename(path: string): string {
  const i = path.lastIndexOf("/");
  return i >= 0 ? path.slice(i + 1) : path;
}

const TWO32 = 4294967296;
const WIRE_NAMES = ["varint", "fixed64", "length-delimited", "start-group", "end-group", "fixed32", "6", "7"];

// Error context: which message the cursor is in.
const AT_TOP = 0;
const AT_SAMPLE_TYPE = 1;
const AT_SAMPLE = 2;
const AT_MAPPING = 3;
const AT_LOCATION = 4;
const AT_FUNCTION = 5;
const AT_PERIOD_TYPE = 6;
const CONTEXT_NAMES = ["", "sample_type", "sample", "mapping", "location", "function", "period_type"];

// Messages of varint fields only, by field number (1 first).
const VALUE_TYPE_FIELDS = ["type", "unit"];
const MAPPING_FIELDS = [
  "id",
  "memory_start",
  "memory_limit",
  "file_offset",
  "filename",
  "build_id",
  "has_functions",
  "has_filenames",
  "has_line_numbers",
  "has_inline_frames",
];
const FUNCTION_FIELDS = ["id", "name", "system_name", "filename", "start_line"];
const LINE_FIELDS = ["function_id", "line", "column"];
const LABEL_FIELDS = ["key", "str", "num", "num_unit"];

/** Default TextDecoder, as pprof-format used: invalid UTF-8 becomes U+FFFD, a leading BOM is dropped. */
const utf8 = /* @__PURE__ */ new TextDecoder();

function decodeString(b: Uint8Array, start: number, end: number): string {
  return start === end ? "" : utf8.decode(b.subarray(start, end));
}

/** A growable int32 column (byte offsets, indices). */
class Ints {
  a: Int32Array<ArrayBuffer>;
  n = 0;

  constructor(capacity = 16) {
    this.a = new Int32Array(capacity);
  }

  push(v: number): void {
    if (this.n === this.a.length) this.a = this.grown();
    this.a[this.n++] = v;
  }

  pushPair(v: number, w: number): void {
    if (this.n + 2 > this.a.length) this.a = this.grown();
    this.a[this.n++] = v;
    this.a[this.n++] = w;
  }

  private grown(): Int32Array<ArrayBuffer> {
    const b = new Int32Array(this.a.length * 2);
    b.set(this.a);
    return b;
  }
}

/** A growable float64 column (ids, addresses, line numbers: any int64 as the nearest double). */
class Nums {
  a = new Float64Array(16);
  n = 0;

  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.n * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

/** id → index of the last entry with that id; a typed array when the ids are small, a Map otherwise. */
class IdIndex {
  private readonly dense: Int32Array | null = null;
  private readonly map: Map<number, number> | null = null;

  constructor(column: Nums) {
    const ids = column.a;
    const n = column.n;
    let max = -1;
    let small = true;
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      if (id < 0 || id > 0x3fffffff) {
        small = false;
        break;
      }
      if (id > max) max = id;
    }
    if (small && max < 4 * n + 64) {
      const d = new Int32Array(max + 1).fill(-1);
      for (let i = 0; i < n; i++) d[ids[i]] = i;
      this.dense = d;
    } else {
      const m = new Map<number, number>();
      for (let i = 0; i < n; i++) m.set(ids[i], i);
      this.map = m;
    }
  }

  get(id: number): number {
    const d = this.dense;
    if (d !== null) return id >= 0 && id < d.length ? d[id] : -1;
    return this.map!.get(id) ?? -1;
  }
}

class Reader {
  readonly buf: Uint8Array;
  pos = 0;
  end: number;
  private context = AT_TOP;
  /** Fields of the last varintMessage. */
  private readonly fields = new Float64Array(MAPPING_FIELDS.length);
  /** The field being read: its wire type, number and where its tag starts. */
  wire = 0;
  field = 0;
  fieldAt = 0;
  private contextIndex = 0;

  // Top level: [start, end) of every message and string, and the scalar fields.
  readonly sampleTypeAt = new Ints();
  readonly sampleAt: Ints;
  readonly mappingAt = new Ints();
  readonly locationAt: Ints;
  readonly functionAt: Ints;
  readonly stringAt: Ints;
  periodTypeStart = -1;
  periodTypeEnd = -1;
  dropFrames = 0;
  keepFrames = 0;
  timeNanos = 0;
  durationNanos = 0;
  period = 0;
  defaultSampleTypeIdx = 0;
  docUrl = 0;
  readonly comments = new Nums();
  private strings: (string | undefined)[] = [];
  nStrings = 1;

  // Tables, by position in the message.
  readonly mapId = new Nums();
  readonly mapStart = new Nums();
  readonly mapOffset = new Nums();
  readonly mapFile = new Ints();
  readonly fnId = new Nums();
  readonly fnName = new Ints();
  readonly fnSystemName = new Ints();
  readonly fnFile = new Ints();
  readonly locId = new Nums();
  readonly locMapping = new Nums();
  readonly locAddress = new Nums();
  readonly locLineStart = new Ints();
  /** Per line (all locations, in order): the function's index and the line number. */
  readonly lineFn = new Ints();
  readonly lineNo = new Nums();
  fnIndex: IdIndex | null = null;
  locIndex: IdIndex | null = null;

  // The sample being read.
  locs: Int32Array = new Int32Array(64);
  nLocs = 0;
  vals: Float64Array = new Float64Array(1);
  nVals = 0;
  labelKey: number[] = [];
  labelStr: number[] = [];
  labelNum: number[] = [];
  nLabels = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.end = buf.length;
    // Room for a typical profile's messages without regrowing (a sample is rarely under 32 bytes).
    const hint = Math.max(16, buf.length >> 5);
    this.sampleAt = new Ints(hint);
    this.locationAt = new Ints(hint >> 1);
    this.functionAt = new Ints(hint >> 1);
    this.stringAt = new Ints(hint);
  }

  fail(msg: string): never {
    const where = this.context === AT_TOP ? "" : ` (in ${CONTEXT_NAMES[this.context]} ${this.contextIndex})`;
    throw new Error(`pprof: ${msg}${where}`);
  }

  enter(context: number, index: number, start: number, end: number): void {
    this.context = context;
    this.contextIndex = index;
    this.pos = start;
    this.end = end;
  }

  varint(): number {
    const p = this.pos;
    if (p + 1 < this.end) {
      // One- and two-byte varints (small ids, indices, lengths) inline; the rest, and the last byte, below.
      const b = this.buf;
      const c = b[p];
      if (c < 0x80) {
        this.pos = p + 1;
        return c;
      }
      const d = b[p + 1];
      if (d < 0x80) {
        this.pos = p + 2;
        return (c & 0x7f) | (d << 7);
      }
    }
    return this.varintSlow();
  }

  /** The general case: int64 semantics (two's complement, bits past 64 dropped), at most 10 bytes. */
  private varintSlow(): number {
    const b = this.buf;
    const start = this.pos;
    const end = this.end;
    let p = start;
    let lo = 0;
    let c = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      if (p >= end) this.fail(`truncated varint at byte ${start}`);
      c = b[p++];
      lo |= (c & 0x7f) << shift;
      if (c < 0x80) {
        this.pos = p;
        return lo;
      }
    }
    if (p >= end) this.fail(`truncated varint at byte ${start}`);
    c = b[p++];
    lo = (lo | ((c & 0x0f) << 28)) >>> 0;
    let hi = (c & 0x7f) >>> 4;
    if (c >= 0x80) {
      let shift = 3;
      for (;;) {
        if (shift > 31) this.fail(`varint longer than 10 bytes at byte ${start}`);
        if (p >= end) this.fail(`truncated varint at byte ${start}`);
        c = b[p++];
        hi |= (c & 0x7f) << shift;
        if (c < 0x80) break;
        shift += 7;
      }
    }
    this.pos = p;
    // hi is the signed high word: asIntN(64) of the value, rounded once to the nearest double.
    return hi * TWO32 + lo;
  }

  /** Reads a field tag; returns it (field number × 8 + wire type). */
  tag(): number {
    const at = this.pos;
    const t = this.varint();
    if (t < 8 || t > 0xffffffff)
      this.fail(t < 0 || t > 0xffffffff ? `invalid field tag at byte ${at}` : `field number 0 at byte ${at}`);
    return t;
  }

  /** Reads the next field's tag: sets wire, field and fieldAt (where the tag starts) and returns the field number. */
  next(): number {
    this.fieldAt = this.pos;
    const t = this.tag();
    this.wire = t & 7;
    this.field = (t - this.wire) / 8;
    return this.field;
  }

  wrongWire(name: string, want: number): never {
    this.fail(
      `field ${this.field} (${name}) at byte ${this.fieldAt} has wire type ${WIRE_NAMES[this.wire]}, expected ${WIRE_NAMES[want]}`,
    );
  }

  /** The current field as a varint; checks the wire type. */
  scalar(name: string): number {
    if (this.wire !== 0) this.wrongWire(name, 0);
    return this.varint();
  }

  /** The current field as length-delimited: checks wire type and length, moves past it, returns where its bytes start. */
  bytes(name: string): number {
    if (this.wire !== 2) this.wrongWire(name, 2);
    const len = this.varint();
    const left = this.end - this.pos;
    if (len < 0 || len > left) {
      this.fail(`field ${this.field} (${name}) at byte ${this.fieldAt} claims ${len} bytes, ${left} left`);
    }
    const start = this.pos;
    this.pos = start + len;
    return start;
  }

  /** Skips the current (unknown) field by its wire type. */
  skip(): void {
    const { wire, field, fieldAt } = this;
    if (wire === 0) this.varint();
    else if (wire === 2) {
      const len = this.varint();
      const left = this.end - this.pos;
      if (len < 0 || len > left) this.fail(`field ${field} at byte ${fieldAt} claims ${len} bytes, ${left} left`);
      this.pos += len;
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      const left = this.end - this.pos;
      if (n > left) this.fail(`field ${field} at byte ${fieldAt} needs ${n} bytes, ${left} left`);
      this.pos += n;
    } else this.fail(`unsupported wire type ${wire} (field ${field}) at byte ${fieldAt}`);
  }

  /** The current field as a repeated varint, packed or not, appended to out. */
  repeated(name: string, out: Nums): void {
    if (this.wire === 0) out.push(this.varint());
    else {
      const start = this.bytes(name);
      const stop = this.pos;
      const end = this.end;
      this.pos = start;
      this.end = stop;
      while (this.pos < stop) out.push(this.varint());
      this.end = end;
    }
  }

  checkString(idx: number, what: string): void {
    if (!(idx >= 0 && idx < this.nStrings)) {
      this.fail(`${what} refers to string ${idx}, but the string table has ${this.nStrings} entries`);
    }
  }

  str(idx: number): string {
    let s = this.strings[idx];
    if (s === undefined) {
      if (this.stringAt.n === 0) return ""; // no string table: pprof-format's implicit [""]
      s = decodeString(this.buf, this.stringAt.a[2 * idx], this.stringAt.a[2 * idx + 1]);
      this.strings[idx] = s;
    }
    return s;
  }

  /** Pass 1: the top-level fields. */
  top(): void {
    while (this.pos < this.end) {
      const field = this.next();
      switch (field) {
        case 1:
          this.sampleTypeAt.pushPair(this.bytes("sample_type"), this.pos);
          break;
        case 2:
          this.sampleAt.pushPair(this.bytes("sample"), this.pos);
          break;
        case 3:
          this.mappingAt.pushPair(this.bytes("mapping"), this.pos);
          break;
        case 4:
          this.locationAt.pushPair(this.bytes("location"), this.pos);
          break;
        case 5:
          this.functionAt.pushPair(this.bytes("function"), this.pos);
          break;
        case 6:
          this.stringAt.pushPair(this.bytes("string_table"), this.pos);
          break;
        case 7:
          this.dropFrames = this.scalar("drop_frames");
          break;
        case 8:
          this.keepFrames = this.scalar("keep_frames");
          break;
        case 9:
          this.timeNanos = this.scalar("time_nanos");
          break;
        case 10:
          this.durationNanos = this.scalar("duration_nanos");
          break;
        case 11:
          this.periodTypeStart = this.bytes("period_type");
          this.periodTypeEnd = this.pos;
          break;
        case 12:
          this.period = this.scalar("period");
          break;
        case 13:
          this.repeated("comment", this.comments);
          break;
        case 14:
          this.defaultSampleTypeIdx = this.scalar("default_sample_type");
          break;
        case 15:
          this.docUrl = this.scalar("doc_url");
          break;
        default:
          this.skip();
      }
    }
    this.nStrings = Math.max(1, this.stringAt.n / 2);
    this.strings = new Array(this.nStrings);
  }

  /**
   * Reads a message whose fields 1…names.length are all varints (the last occurrence wins) into `fields`, from the
   * cursor to `end`; other fields are skipped, absent ones are 0.
   */
  varintMessage(end: number, names: readonly string[]): Float64Array {
    const f = this.fields;
    f.fill(0);
    while (this.pos < end) {
      const field = this.next();
      if (field <= names.length) f[field - 1] = this.scalar(names[field - 1]);
      else this.skip();
    }
    return f;
  }

  /** A ValueType message: its type and unit strings, checked. */
  valueType(context: number, index: number, start: number, end: number): ValueType {
    this.enter(context, index, start, end);
    const f = this.varintMessage(end, VALUE_TYPE_FIELDS);
    this.checkString(f[0], "type");
    this.checkString(f[1], "unit");
    return { type: this.str(f[0]), unit: this.str(f[1]) };
  }

  mapping(index: number, start: number, end: number): void {
    this.enter(AT_MAPPING, index, start, end);
    const f = this.varintMessage(end, MAPPING_FIELDS);
    this.checkString(f[4], "filename");
    this.checkString(f[5], "build_id");
    this.mapId.push(f[0]);
    this.mapStart.push(f[1]);
    this.mapOffset.push(f[3]);
    this.mapFile.push(f[4]);
  }

  function(index: number, start: number, end: number): void {
    this.enter(AT_FUNCTION, index, start, end);
    const f = this.varintMessage(end, FUNCTION_FIELDS);
    this.checkString(f[1], "name");
    this.checkString(f[2], "system_name");
    this.checkString(f[3], "filename");
    this.fnId.push(f[0]);
    this.fnName.push(f[1]);
    this.fnSystemName.push(f[2]);
    this.fnFile.push(f[3]);
  }

  location(index: number, start: number, end: number): void {
    this.enter(AT_LOCATION, index, start, end);
    let id = 0;
    let mappingId = 0;
    let address = 0;
    this.locLineStart.push(this.lineFn.n);
    while (this.pos < end) {
      const field = this.next();
      switch (field) {
        case 1:
          id = this.scalar("id");
          break;
        case 2:
          mappingId = this.scalar("mapping_id");
          break;
        case 3:
          address = this.scalar("address");
          break;
        case 4: {
          const lineStart = this.bytes("line");
          this.line(lineStart, this.pos);
          break;
        }
        case 5:
          this.scalar("is_folded");
          break;
        default:
          this.skip();
      }
    }
    this.locId.push(id);
    this.locMapping.push(mappingId);
    this.locAddress.push(address);
  }

  private line(start: number, end: number): void {
    const outerEnd = this.end;
    this.pos = start;
    this.end = end;
    const f = this.varintMessage(end, LINE_FIELDS);
    const fi = this.fnIndex!.get(f[0]);
    if (fi < 0) {
      const n = this.lineFn.n - this.locLineStart.a[this.locLineStart.n - 1];
      this.fail(`line ${n} refers to function ${f[0]}, which the profile does not define`);
    }
    this.lineFn.push(fi);
    this.lineNo.push(f[1]);
    this.end = outerEnd;
  }

  /**
   * Reads sample `index` into locs (location indices, leaf first), vals and the label arrays, checking every
   * reference and the value count.
   */
  sample(index: number, start: number, end: number, nt: number): void {
    this.enter(AT_SAMPLE, index, start, end);
    this.nLocs = 0;
    this.nVals = 0;
    this.nLabels = 0;
    while (this.pos < end) {
      const field = this.next();
      if (field === 1) {
        if (this.wire === 0) this.addLocation(this.varint(), index);
        else {
          const from = this.bytes("location_id");
          const stop = this.pos;
          this.pos = from;
          this.end = stop;
          while (this.pos < stop) this.addLocation(this.varint(), index);
          this.end = end;
        }
      } else if (field === 2) {
        if (this.wire === 0) this.addValue(this.varint(), nt);
        else {
          const from = this.bytes("value");
          const stop = this.pos;
          this.pos = from;
          this.end = stop;
          while (this.pos < stop) this.addValue(this.varint(), nt);
          this.end = end;
        }
      } else if (field === 3) {
        const from = this.bytes("label");
        this.label(from, this.pos);
      } else this.skip();
    }
    if (this.nVals !== nt) {
      this.fail(`the sample has ${this.nVals} value(s), but the profile has ${nt} sample type(s)`);
    }
  }

  private addLocation(id: number, sample: number): void {
    const li = this.locIndex!.get(id);
    if (li < 0) throw new Error(`pprof: sample ${sample} refers to location ${id}, which the profile does not define`);
    if (this.nLocs === this.locs.length) {
      const more = new Int32Array(this.locs.length * 2);
      more.set(this.locs);
      this.locs = more;
    }
    this.locs[this.nLocs++] = li;
  }

  private addValue(v: number, nt: number): void {
    if (this.nVals < nt) this.vals[this.nVals] = v;
    this.nVals++;
  }

  private label(start: number, end: number): void {
    const outerEnd = this.end;
    this.pos = start;
    this.end = end;
    const f = this.varintMessage(end, LABEL_FIELDS);
    this.checkString(f[0], "a label key");
    this.checkString(f[1], "a label value");
    this.checkString(f[3], "a label num_unit");
    const n = this.nLabels++;
    this.labelKey[n] = f[0];
    this.labelStr[n] = f[1];
    this.labelNum[n] = f[2];
    this.end = outerEnd;
  }
}

interface Header {
  r: Reader;
  sampleTypes: ValueType[];
  defaultSampleType: number;
  periodType: ValueType;
  meta: Record<string, string>;
}

/** Everything but the samples: framing, header fields, string references, the mapping/function/location tables. */
function readHeader(bytes: Uint8Array): Header {
  const r = new Reader(bytes);
  r.top();
  if (r.stringAt.n > 0 && r.str(0) !== "") {
    r.fail(`string_table[0] must be the empty string, found ${JSON.stringify(r.str(0).slice(0, 80))}`);
  }
  const nt = r.sampleTypeAt.n / 2;
  if (nt === 0) r.fail("the profile has no sample_type, so its values have no meaning");
  const sampleTypes: ValueType[] = [];
  for (let i = 0; i < nt; i++) {
    sampleTypes.push(r.valueType(AT_SAMPLE_TYPE, i, r.sampleTypeAt.a[2 * i], r.sampleTypeAt.a[2 * i + 1]));
  }
  const pt = r.periodTypeStart >= 0 ? r.valueType(AT_PERIOD_TYPE, 0, r.periodTypeStart, r.periodTypeEnd) : undefined;
  r.enter(AT_TOP, 0, 0, bytes.length);
  r.checkString(r.dropFrames, "drop_frames");
  r.checkString(r.keepFrames, "keep_frames");
  r.checkString(r.defaultSampleTypeIdx, "default_sample_type");
  r.checkString(r.docUrl, "doc_url");
  for (let i = 0; i < r.comments.n; i++) r.checkString(r.comments.a[i], `comment ${i}`);

  let defaultSampleType = nt - 1; // pprof's convention when default_sample_type is unset
  if (r.defaultSampleTypeIdx !== 0) {
    const name = r.str(r.defaultSampleTypeIdx);
    const i = sampleTypes.findIndex((t) => t.type === name);
    if (i >= 0) defaultSampleType = i;
  }
  const meta: Record<string, string> = {};
  for (let i = 0; i < r.comments.n; i++) {
    const text = r.str(r.comments.a[i]);
    const eq = text.indexOf("=");
    if (eq > 0) meta[text.slice(0, eq)] = text.slice(eq + 1);
    else meta[`comment.${i}`] = text;
  }
  const periodType = pt ?? { ...sampleTypes[defaultSampleType] };

  for (let i = 0; i < r.mappingAt.n / 2; i++) r.mapping(i, r.mappingAt.a[2 * i], r.mappingAt.a[2 * i + 1]);
  for (let i = 0; i < r.functionAt.n / 2; i++) r.function(i, r.functionAt.a[2 * i], r.functionAt.a[2 * i + 1]);
  r.fnIndex = new IdIndex(r.fnId);
  for (let i = 0; i < r.locationAt.n / 2; i++) r.location(i, r.locationAt.a[2 * i], r.locationAt.a[2 * i + 1]);
  r.locLineStart.push(r.lineFn.n);
  r.locIndex = new IdIndex(r.locId);
  r.vals = new Float64Array(nt);
  return { r, sampleTypes, defaultSampleType, periodType, meta };
}

/**
 * Validates a pprof message (raw protobuf, not gzipped) as {@link decodePprofMessage} does, with the same errors,
 * and returns its header and per-type totals without building frames or samples.
 */
export function scanPprofMessage(bytes: Uint8Array): PprofScan {
  const { r, sampleTypes, defaultSampleType, periodType } = readHeader(bytes);
  const nt = sampleTypes.length;
  const totals = new Array<number>(nt).fill(0);
  const n = r.sampleAt.n / 2;
  const vals = r.vals;
  for (let i = 0; i < n; i++) {
    r.sample(i, r.sampleAt.a[2 * i], r.sampleAt.a[2 * i + 1], nt);
    for (let k = 0; k < nt; k++) totals[k] += vals[k];
  }
  return {
    sampleTypes,
    defaultSampleType,
    period: r.period,
    periodType,
    timeNanos: r.timeNanos,
    durationNanos: r.durationNanos,
    sampleCount: n,
    totals,
  };
}

/**
 * Interns frames as ProfileBuilder.frame does (by kind, name, file, line and module, first seen first), in two
 * steps: a frame's "base" (kind, name, file, module), once per (function, mapping) pair, then (base, line) by
 * number. When no name, file or module contains a NUL (the separator of frameKey), equal bases and
 * lines mean equal frame keys and back, so the frame table is the one the former importer built; otherwise
 * (`exact`) bases are not shared and every frame is interned by its full frameKey text, as before.
 */
class FrameInterner {
  readonly frames: Frame[] = [];
  /** name → the last base with that name; baseNext chains the others. */
  private readonly byName = new Map<string, number>();
  private readonly baseNext: number[] = [];
  private readonly baseKind: FrameKind[] = [];
  private readonly baseName: string[] = [];
  private readonly baseFile: string[] = [];
  private readonly baseModule: string[] = [];
  /** The first frame of each base and its line; other lines of the base in `byLine`. */
  private readonly baseLine: number[] = [];
  private readonly baseFrame: number[] = [];
  private readonly byLine = new Map<string, number>();

  constructor(private readonly exact: boolean) {}

  /** A base id for these fields; without `exact` equal fields give the same id, with it every call a new one. */
  base(kind: FrameKind, name: string, file: string, module: string): number {
    let head = -1;
    if (!this.exact) {
      // Bases with this name are chained (usually one): no key string to build and hash, only the name's hash.
      head = this.byName.get(name) ?? -1;
      for (let b = head; b >= 0; b = this.baseNext[b]) {
        if (this.baseKind[b] === kind && this.baseFile[b] === file && this.baseModule[b] === module) return b;
      }
    }
    const b = this.baseKind.length;
    this.baseKind.push(kind);
    this.baseName.push(name);
    this.baseFile.push(file);
    this.baseModule.push(module);
    this.baseLine.push(0);
    this.baseFrame.push(-1);
    this.baseNext.push(head);
    if (!this.exact) this.byName.set(name, b);
    return b;
  }

  frame(b: number, line: number): number {
    if (this.exact) {
      const kind = this.baseKind[b];
      const name = this.baseName[b];
      const file = this.baseFile[b];
      const module = this.baseModule[b];
      const key = `${kind}\u0000${name}\u0000${file}\u0000${line}\u0000${module}`;
      let idx = this.byLine.get(key);
      if (idx === undefined) {
        idx = this.add(b, line);
        this.byLine.set(key, idx);
      }
      return idx;
    }
    const first = this.baseFrame[b];
    if (first < 0) {
      const idx = this.add(b, line);
      this.baseFrame[b] = idx;
      this.baseLine[b] = line;
      return idx;
    }
    if (this.baseLine[b] === line) return first;
    const key = `${b}:${line}`;
    let idx = this.byLine.get(key);
    if (idx === undefined) {
      idx = this.add(b, line);
      this.byLine.set(key, idx);
    }
    return idx;
  }

  private add(b: number, line: number): number {
    const idx = this.frames.length;
    this.frames.push({
      name: this.baseName[b],
      file: this.baseFile[b],
      line,
      kind: this.baseKind[b],
      module: this.baseModule[b],
    });
    return idx;
  }
}

/**
 * Frames of every location, in location order (pprof's leaf-first order of inlined lines), interned in the order
 * the former importer met them, so frame indices are the same.
 */
function buildFrames(r: Reader): { frames: Frame[]; locFrames: Int32Array; locFrameStart: Int32Array } {
  const nLoc = r.locId.n;
  const nFn = r.fnId.n;
  const nMap = r.mapId.n;
  const mapIndex = new IdIndex(r.mapId);
  let nul = false;
  // Per mapping: its file (the frame's module) and whether it is the kernel.
  const modules: string[] = [];
  const kernel: boolean[] = [];
  for (let mi = 0; mi < nMap; mi++) {
    const module = r.str(r.mapFile.a[mi]);
    modules.push(module);
    kernel.push(module !== "" && isKernelModule(module));
    if (module.includes("\u0000")) nul = true;
  }
  // Per function: its name after kind inference, its kind outside a kernel mapping, its file.
  const fnName: string[] = [];
  const fnKind: FrameKind[] = [];
  const fnFile: string[] = [];
  for (let fi = 0; fi < nFn; fi++) {
    const raw = r.str(r.fnName.a[fi]) || r.str(r.fnSystemName.a[fi]);
    const file = r.str(r.fnFile.a[fi]);
    const k = inferKind(raw, file, "");
    fnName.push(k.name);
    fnKind.push(k.kind);
    fnFile.push(file);
    if (raw.includes("\u0000") || file.includes("\u0000")) nul = true;
  }
  const interner = new FrameInterner(nul);
  // (function, mapping) → base, + 1 (0: not seen yet).
  const memoSize = nFn * (nMap + 1);
  const memo = memoSize <= 1 << 20 ? new Int32Array(memoSize) : null;
  const memoMap = memo === null ? new Map<number, number>() : null;
  const locFrameStart = new Int32Array(nLoc + 1);
  const locFrames = new Int32Array(r.lineFn.n + nLoc);
  let nf = 0;
  for (let li = 0; li < nLoc; li++) {
    locFrameStart[li] = nf;
    const mi = mapIndex.get(r.locMapping.a[li]);
    const module = mi >= 0 ? modules[mi] : "";
    const kernelModule = mi >= 0 && kernel[mi];
    const l0 = r.locLineStart.a[li];
    const l1 = r.locLineStart.a[li + 1];
    for (let k = l0; k < l1; k++) {
      const fi = r.lineFn.a[k];
      const mk = fi * (nMap + 1) + mi + 1;
      let b = (memo !== null ? memo[mk] : (memoMap!.get(mk) ?? 0)) - 1;
      if (b < 0) {
        const kind = kernelModule && fnKind[fi] !== "kernel" ? "kernel" : fnKind[fi];
        b = interner.base(kind, fnName[fi], fnFile[fi], module);
        if (memo !== null) memo[mk] = b + 1;
        else memoMap!.set(mk, b + 1);
      }
      locFrames[nf++] = interner.frame(b, r.lineNo.a[k]);
    }
    if (l0 === l1) {
      const addr = r.locAddress.a[li];
      const name =
        mi >= 0
          ? `${basename(module) || "?"}+0x${(addr - r.mapStart.a[mi] + r.mapOffset.a[mi]).toString(16)}`
          : `0x${addr.toString(16)}`;
      locFrames[nf++] = interner.frame(interner.base(kernelModule ? "kernel" : "native", name, "", module), 0);
    }
  }
  locFrameStart[nLoc] = nf;
  return { frames: interner.frames, locFrames, locFrameStart };
}

/**
 * A sample's raw labels (key, str, num per label, in order) → the id of its label set, so each distinct list is
 * turned into strings and a labelsKey once. Open addressing over a hash of the numbers; entries compared exactly.
 */
class RawLabelCache {
  private slots = new Int32Array(64);
  private readonly hashes: number[] = [];
  private readonly starts: number[] = [0];
  private readonly ids: number[] = [];
  private readonly flat: number[] = [];
  // The list looked up last (find → add).
  private hash = 0;
  private slot = 0;
  private key: number[] = [];
  private str: number[] = [];
  private num: number[] = [];
  private n = 0;

  /** The label set id of this list, or -1 (then call add with the id). */
  find(key: number[], str: number[], num: number[], n: number): number {
    let h = n;
    for (let k = 0; k < n; k++) {
      h = Math.imul(h ^ key[k], 0x9e3779b1);
      h = Math.imul(h ^ str[k], 0x85ebca6b);
      const v = num[k];
      h = Math.imul(h ^ (v | 0) ^ ((v / 4294967296) | 0), 0xc2b2ae35);
    }
    h = mix32(h);
    const mask = this.slots.length - 1;
    let slot = h & mask;
    for (;;) {
      const e = this.slots[slot] - 1;
      if (e < 0) break;
      if (this.hashes[e] === h && this.same(e, key, str, num, n)) return this.ids[e];
      slot = (slot + 1) & mask;
    }
    this.hash = h;
    this.slot = slot;
    this.key = key;
    this.str = str;
    this.num = num;
    this.n = n;
    return -1;
  }

  private same(e: number, key: number[], str: number[], num: number[], n: number): boolean {
    const at = this.starts[e];
    if (this.starts[e + 1] - at !== 3 * n) return false;
    const f = this.flat;
    for (let k = 0; k < n; k++) {
      if (f[at + 3 * k] !== key[k] || f[at + 3 * k + 1] !== str[k] || f[at + 3 * k + 2] !== num[k]) return false;
    }
    return true;
  }

  /** Records the list of the last find() that missed. */
  add(id: number): void {
    const e = this.ids.length;
    for (let k = 0; k < this.n; k++) this.flat.push(this.key[k], this.str[k], this.num[k]);
    this.starts.push(this.flat.length);
    this.hashes.push(this.hash);
    this.ids.push(id);
    this.slots[this.slot] = e + 1;
    if (2 * (e + 1) > this.slots.length) {
      const slots = new Int32Array(this.slots.length * 4);
      const mask = slots.length - 1;
      for (let i = 0; i <= e; i++) {
        let slot = this.hashes[i] & mask;
        while (slots[slot] !== 0) slot = (slot + 1) & mask;
        slots[slot] = i + 1;
      }
      this.slots = slots;
    }
  }
}

/** Decodes a pprof message (raw protobuf, not gzipped) into the profile model. */
export function decodePprofMessage(bytes: Uint8Array): Profile {
  const { r, sampleTypes, defaultSampleType, periodType, meta } = readHeader(bytes);
  const { frames, locFrames, locFrameStart } = buildFrames(r);
  const nt = sampleTypes.length;
  const n = r.sampleAt.n / 2;

  // Label sets: a sample's raw (key, str, num) list → label set id; equal label sets (labelsKey) share one id and
  // one frozen object.
  const labelSets: Labels[] = [];
  const labelSetByKey = new Map<string, number>();
  const rawLabels = new RawLabelCache();
  const labelSetOf = (labels: Record<string, string>): number => {
    const lk = labelsKey(labels);
    let id = labelSetByKey.get(lk);
    if (id === undefined) {
      id = labelSets.length;
      labelSets.push(Object.freeze({ ...labels }));
      labelSetByKey.set(lk, id);
    }
    return id;
  };
  let noLabels = -1;

  // Samples with equal (label set, stack) are merged: an open-addressing table of sample index + 1, hashed with
  // the stack tables' per-depth keys (intern/hash.ts).
  const samples: Sample[] = [];
  const sampleLabelSet: number[] = [];
  let size = 16;
  while (size < 2 * n) size *= 2;
  const slots = new Int32Array(size);
  const mask = size - 1;
  const vals = r.vals;
  const scratch: number[] = [];
  const scratchValues: number[] = new Array<number>(nt).fill(0);

  for (let i = 0; i < n; i++) {
    r.sample(i, r.sampleAt.a[2 * i], r.sampleAt.a[2 * i + 1], nt);
    let ls: number;
    if (r.nLabels === 0) {
      if (noLabels < 0) noLabels = labelSetOf({});
      ls = noLabels;
    } else {
      ls = rawLabels.find(r.labelKey, r.labelStr, r.labelNum, r.nLabels);
      if (ls < 0) {
        const labels: Record<string, string> = {};
        for (let k = 0; k < r.nLabels; k++) {
          labels[r.str(r.labelKey[k])] = r.labelStr[k] !== 0 ? r.str(r.labelStr[k]) : String(r.labelNum[k]);
        }
        ls = labelSetOf(labels);
        rawLabels.add(ls);
      }
    }
    // Root-first stack (locations in reverse, each location's lines in reverse) into the scratch array, which
    // is copied (exact size) only for a new sample.
    let depth = 0;
    let h = Math.imul(ls + 1, 0x9e3779b1);
    for (let k = r.nLocs - 1; k >= 0; k--) {
      const li = r.locs[k];
      const f0 = locFrameStart[li];
      for (let j = locFrameStart[li + 1] - 1; j >= f0; j--) {
        const f = locFrames[j];
        h = (h + Math.imul(f + 1, HASH_KEYS[depth & 255])) | 0;
        if (depth < scratch.length) scratch[depth] = f;
        else scratch.push(f);
        depth++;
      }
    }
    let slot = mix32(h ^ depth) & mask;
    let found = -1;
    for (;;) {
      const v = slots[slot];
      if (v === 0) break;
      const cand = samples[v - 1].stack;
      if (sampleLabelSet[v - 1] === ls && cand.length === depth) {
        let j = 0;
        while (j < depth && cand[j] === scratch[j]) j++;
        if (j === depth) {
          found = v - 1;
          break;
        }
      }
      slot = (slot + 1) & mask;
    }
    if (found >= 0) {
      const sv = samples[found].values as number[];
      for (let k = 0; k < nt; k++) sv[k] = sv[k] + vals[k];
    } else {
      for (let k = 0; k < nt; k++) scratchValues[k] = vals[k];
      slots[slot] = samples.length + 1;
      samples.push({ stack: scratch.slice(0, depth), values: scratchValues.slice(), labels: labelSets[ls] });
      sampleLabelSet.push(ls);
    }
  }
  return {
    sampleTypes,
    defaultSampleType,
    frames,
    samples,
    timeNanos: r.timeNanos,
    durationNanos: r.durationNanos,
    period: r.period,
    periodType,
    meta,
  };
}
