/**
 * The importer as it was before the hand-written reader (`pprof-reader.ts`): pprof-format's generic decoder,
 * then a ProfileBuilder over its object graph. Not exported from the package: it is the oracle of the
 * differential tests (`pprof-reader.test.ts`) and the baseline row of the bench. Kept as it was; only the frame
 * helpers it shares with the reader are imported from there.
 */
import { gunzipSync } from "fflate";
import { Profile as PprofProfile } from "pprof-format";
import { isKernelModule } from "../frame-text.js";
import { type Frame, type FrameKind, type Profile, ProfileBuilder } from "../model.js";
import { isGzip } from "./pprof.js";
import { basename, inferKind } from "./pprof-reader.js";

type Numeric = number | bigint;

/** pprof varints are int64: negative values come back as huge unsigned bigints. */
function toNum(v: Numeric | undefined): number {
  if (v === undefined) return 0;
  if (typeof v === "bigint") return Number(BigInt.asIntN(64, v));
  return v;
}

/**
 * Walks the top-level protobuf fields and checks that every length fits in the buffer;
 * pprof-format's decoder silently reads past the end of truncated or non-protobuf input.
 * Returns an explanation, or undefined when the framing is sound.
 */
function checkProtobufFraming(b: Uint8Array): string | undefined {
  let i = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (let k = 0; k < 10; k++) {
      if (i >= b.length) return -1;
      const c = b[i++]!;
      v += (c & 0x7f) * mul;
      mul *= 128;
      if ((c & 0x80) === 0) return v;
    }
    return -1;
  };
  while (i < b.length) {
    const at = i;
    const tag = varint();
    if (tag < 0) return `truncated field tag at byte ${at}`;
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0) return `field number 0 at byte ${at}`;
    if (wire === 0) {
      if (varint() < 0) return `truncated varint at byte ${at}`;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) {
      const len = varint();
      if (len < 0 || i + len > b.length)
        return `field ${field} at byte ${at} claims ${len} bytes, ${b.length - i} left`;
      i += len;
    } else return `unsupported wire type ${wire} at byte ${at}`;
    if (i > b.length) return `truncated field at byte ${at}`;
  }
  return undefined;
}

export function parsePprofWithPprofFormat(input: Uint8Array): Profile {
  let bytes = input;
  if (isGzip(bytes)) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new Error(`pprof: the gzip stream is corrupt or truncated (${(e as Error).message})`);
    }
  }
  const framing = checkProtobufFraming(bytes);
  if (framing !== undefined) throw new Error(`pprof: not a valid profile.proto message (${framing})`);
  let pp: PprofProfile;
  try {
    pp = PprofProfile.decode(bytes);
  } catch (e) {
    throw new Error(`pprof: not a valid profile.proto message (${(e as Error).message})`);
  }
  const strings = pp.stringTable.strings;
  const s = (i: Numeric | undefined): string => strings[toNum(i)] ?? "";
  if (pp.sampleType.length === 0)
    throw new Error("pprof: the profile has no sample_type, so its values have no meaning");
  const sampleTypes = pp.sampleType.map((t) => ({ type: s(t.type), unit: s(t.unit) }));
  let defaultSampleType = sampleTypes.length - 1; // pprof's convention when default_sample_type is unset
  const dst = toNum(pp.defaultSampleType);
  if (dst !== 0) {
    const name = s(dst);
    const i = sampleTypes.findIndex((t) => t.type === name);
    if (i >= 0) defaultSampleType = i;
  }
  const meta: Record<string, string> = {};
  pp.comment.forEach((c, i) => {
    const text = s(c);
    const eq = text.indexOf("=");
    if (eq > 0) meta[text.slice(0, eq)] = text.slice(eq + 1);
    else meta[`comment.${i}`] = text;
  });
  const periodType = pp.periodType
    ? { type: s(pp.periodType.type), unit: s(pp.periodType.unit) }
    : { ...sampleTypes[defaultSampleType]! };
  const b = new ProfileBuilder(sampleTypes, {
    defaultSampleType,
    timeNanos: toNum(pp.timeNanos),
    durationNanos: toNum(pp.durationNanos),
    period: toNum(pp.period),
    periodType,
    meta,
  });

  const mappings = new Map<number, { file: string; start: number; offset: number }>();
  for (const m of pp.mapping) {
    mappings.set(toNum(m.id), { file: s(m.filename), start: toNum(m.memoryStart), offset: toNum(m.fileOffset) });
  }
  const functions = new Map<number, { name: string; file: string }>();
  for (const f of pp.function) {
    const name = s(f.name) || s(f.systemName);
    functions.set(toNum(f.id), { name, file: s(f.filename) });
  }
  // Location id → frame indices, LEAF first (as pprof orders inlined lines).
  const locations = new Map<number, number[]>();
  for (const loc of pp.location) {
    const mapping = mappings.get(toNum(loc.mappingId));
    const module = mapping?.file ?? "";
    const frames: number[] = [];
    for (const line of loc.line) {
      const fn = functions.get(toNum(line.functionId));
      const raw = fn?.name ?? "";
      const file = fn?.file ?? "";
      const k = inferKind(raw, file, module);
      const frame: Frame = { name: k.name, file, line: toNum(line.line), kind: k.kind, module };
      frames.push(b.frame(frame));
    }
    if (frames.length === 0) {
      const addr = toNum(loc.address);
      const name = mapping
        ? `${basename(module) || "?"}+0x${(addr - mapping.start + mapping.offset).toString(16)}`
        : `0x${addr.toString(16)}`;
      const kind: FrameKind = isKernelModule(module) ? "kernel" : "native";
      frames.push(b.frame({ name, file: "", line: 0, kind, module }));
    }
    locations.set(toNum(loc.id), frames);
  }

  const nt = sampleTypes.length;
  const stack: number[] = [];
  const values: number[] = new Array(nt);
  const labelCache = new Map<string, Record<string, string>>();
  for (const smp of pp.sample) {
    stack.length = 0;
    for (let i = smp.locationId.length - 1; i >= 0; i--) {
      const id = toNum(smp.locationId[i]);
      const frames = locations.get(id);
      if (!frames) throw new Error(`pprof: a sample refers to location ${id}, which the profile does not define`);
      for (let j = frames.length - 1; j >= 0; j--) stack.push(frames[j]!);
    }
    for (let i = 0; i < nt; i++) values[i] = toNum(smp.value[i]);
    let labels: Record<string, string> = {};
    if (smp.label.length > 0) {
      let key = "";
      for (const l of smp.label) key += `${toNum(l.key)}:${toNum(l.str)}:${toNum(l.num)}|`;
      const cached = labelCache.get(key);
      if (cached) labels = cached;
      else {
        for (const l of smp.label) {
          const k = s(l.key);
          labels[k] = toNum(l.str) !== 0 ? s(l.str) : String(toNum(l.num));
        }
        labelCache.set(key, labels);
      }
    }
    b.add(stack, values, labels);
  }
  return b.build();
}
