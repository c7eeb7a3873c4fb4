/**
 * Test helper: a pprof message as plain data, written two ways — by pprof-format (packed repeated fields, the
 * layout its decoder, the oracle, expects) and by a small protobuf writer here that can also write repeated
 * fields unpacked, zero scalars explicitly, and unknown fields of every wire type into every message.
 */
import {
  Label,
  Line,
  Location,
  Mapping,
  Function as PFunction,
  Profile as PProfile,
  Sample,
  StringTable,
  ValueType,
} from "pprof-format";

export type Int = number | bigint;

export interface RawPprof {
  sampleType: { type: number; unit: number }[];
  sample: { locationId: Int[]; value: Int[]; label: { key: number; str?: number; num?: Int; numUnit?: number }[] }[];
  mapping: { id: Int; memoryStart?: Int; memoryLimit?: Int; fileOffset?: Int; filename?: number; buildId?: number }[];
  location: {
    id: Int;
    mappingId?: Int;
    address?: Int;
    line?: { functionId: Int; line?: Int; column?: Int }[];
    isFolded?: boolean;
  }[];
  function: { id: Int; name?: number; systemName?: number; filename?: number; startLine?: Int }[];
  /** Entry 0 should be "" (a Uint8Array is written as is, for invalid UTF-8). */
  stringTable: (string | Uint8Array)[];
  dropFrames?: number;
  keepFrames?: number;
  timeNanos?: Int;
  durationNanos?: Int;
  periodType?: { type: number; unit: number };
  period?: Int;
  comment?: number[];
  defaultSampleType?: number;
  docUrl?: number;
}

/** pprof-format's encoding. The string table must be strings without duplicates, "" first; no empty messages. */
export function encodeWithPprofFormat(p: RawPprof): Uint8Array {
  if (hasEmptyMessage(p)) throw new Error("pprof-format cannot encode a message with an empty sub-message");
  const st = new StringTable();
  for (const s of p.stringTable) {
    if (typeof s !== "string") throw new Error("pprof-format writes strings only");
    st.dedup(s);
  }
  if (st.strings.length !== Math.max(1, p.stringTable.length)) throw new Error("string table has duplicates");
  const pp = new PProfile({
    sampleType: p.sampleType.map((t) => new ValueType(t)),
    sample: p.sample.map(
      (s) => new Sample({ locationId: s.locationId, value: s.value, label: s.label.map((l) => new Label(l)) }),
    ),
    mapping: p.mapping.map((m) => new Mapping(m)),
    location: p.location.map((l) => new Location({ ...l, line: (l.line ?? []).map((x) => new Line(x)) })),
    function: p.function.map((f) => new PFunction(f)),
    stringTable: st,
    dropFrames: p.dropFrames,
    keepFrames: p.keepFrames,
    timeNanos: p.timeNanos,
    durationNanos: p.durationNanos,
    periodType: p.periodType ? new ValueType(p.periodType) : undefined,
    period: p.period,
    comment: p.comment ?? [],
    defaultSampleType: p.defaultSampleType,
    docUrl: p.docUrl,
  });
  return pp.encode();
}

const zero = (v: Int | boolean | undefined) => v === undefined || v === 0 || v === 0n || v === false;

/**
 * True when some sub-message has every field 0: pprof-format counts such a message as 0 bytes but writes its tag
 * and length, so its encoding of the enclosing message is corrupt. Encode those with {@link encodeWire}.
 */
export function hasEmptyMessage(p: RawPprof): boolean {
  const vt = (t: { type: number; unit: number } | undefined) => t !== undefined && zero(t.type) && zero(t.unit);
  return (
    p.sampleType.some(vt) ||
    vt(p.periodType) ||
    p.sample.some(
      (s) =>
        (s.locationId.length === 0 && s.value.length === 0 && s.label.length === 0) ||
        s.label.some((l) => zero(l.key) && zero(l.str) && zero(l.num) && zero(l.numUnit)),
    ) ||
    p.mapping.some((m) => [m.id, m.memoryStart, m.memoryLimit, m.fileOffset, m.filename, m.buildId].every(zero)) ||
    p.location.some(
      (l) =>
        ([l.id, l.mappingId, l.address, l.isFolded].every(zero) && (l.line ?? []).length === 0) ||
        (l.line ?? []).some((x) => [x.functionId, x.line, x.column].every(zero)),
    ) ||
    p.function.some((f) => [f.id, f.name, f.systemName, f.filename, f.startLine].every(zero))
  );
}

export interface WireOptions {
  /** Repeated varints (location_id, value, comment) as one packed field (default) or one field per value. */
  packed?: boolean;
  /** Write scalar fields that are 0 too (proto3 writers omit them). */
  zeros?: boolean;
  /** Add unknown fields (numbers ≥ 16, so multi-byte tags; every wire type) before and after each message's own. */
  unknown?: boolean;
}

class Writer {
  readonly out: number[] = [];

  varint(v: Int): void {
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) b |= 0x80;
      this.out.push(b);
    } while (x !== 0n);
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  bytes(field: number, b: ArrayLike<number>): void {
    this.tag(field, 2);
    this.varint(b.length);
    for (let i = 0; i < b.length; i++) this.out.push(b[i]!);
  }
}

export function encodeWire(p: RawPprof, opts: WireOptions = {}): Uint8Array {
  const packed = opts.packed ?? true;
  const unknown = (w: Writer, salt: number) => {
    if (!opts.unknown) return;
    w.tag(100 + salt, 0);
    w.varint(2n ** 63n + BigInt(salt));
    w.tag(2000, 1);
    for (let i = 0; i < 8; i++) w.out.push(0xff - i);
    w.tag(17, 5);
    w.out.push(1, 2, 3, 4);
    w.bytes(123456, [0x08, 0x96, 0x01, 0xff]);
  };
  const scalar = (w: Writer, field: number, v: Int | boolean | undefined) => {
    const n = typeof v === "boolean" ? (v ? 1 : 0) : (v ?? 0);
    if (n === 0 || n === 0n) {
      if (!opts.zeros) return;
    }
    w.tag(field, 0);
    w.varint(n);
  };
  const repeated = (w: Writer, field: number, vs: readonly Int[]) => {
    if (vs.length === 0) return;
    if (packed) {
      const inner = new Writer();
      for (const v of vs) inner.varint(v);
      w.bytes(field, inner.out);
    } else {
      for (const v of vs) {
        w.tag(field, 0);
        w.varint(v);
      }
    }
  };
  const message = (w: Writer, field: number, body: (m: Writer) => void) => {
    const m = new Writer();
    unknown(m, field);
    body(m);
    unknown(m, field + 1);
    w.bytes(field, m.out);
  };
  /** A message of scalar fields 1, 2, 3, … with these values. */
  const scalars = (w: Writer, field: number, values: (Int | undefined)[]) =>
    message(w, field, (m) => {
      for (let i = 0; i < values.length; i++) scalar(m, i + 1, values[i]);
    });

  const w = new Writer();
  unknown(w, 0);
  for (const t of p.sampleType) scalars(w, 1, [t.type, t.unit]);
  for (const s of p.sample) {
    message(w, 2, (m) => {
      repeated(m, 1, s.locationId);
      repeated(m, 2, s.value);
      for (const l of s.label) scalars(m, 3, [l.key, l.str, l.num, l.numUnit]);
    });
  }
  for (const mp of p.mapping) {
    scalars(w, 3, [mp.id, mp.memoryStart, mp.memoryLimit, mp.fileOffset, mp.filename, mp.buildId]);
  }
  for (const l of p.location) {
    message(w, 4, (m) => {
      scalar(m, 1, l.id);
      scalar(m, 2, l.mappingId);
      scalar(m, 3, l.address);
      for (const ln of l.line ?? []) scalars(m, 4, [ln.functionId, ln.line, ln.column]);
      scalar(m, 5, l.isFolded);
    });
  }
  for (const f of p.function) scalars(w, 5, [f.id, f.name, f.systemName, f.filename, f.startLine]);
  const utf8 = new TextEncoder();
  for (const s of p.stringTable) w.bytes(6, typeof s === "string" ? utf8.encode(s) : s);
  scalar(w, 7, p.dropFrames);
  scalar(w, 8, p.keepFrames);
  scalar(w, 9, p.timeNanos);
  scalar(w, 10, p.durationNanos);
  if (p.periodType) scalars(w, 11, [p.periodType.type, p.periodType.unit]);
  scalar(w, 12, p.period);
  repeated(w, 13, p.comment ?? []);
  scalar(w, 14, p.defaultSampleType);
  scalar(w, 15, p.docUrl);
  unknown(w, 1);
  return Uint8Array.from(w.out);
}
