/** Reader for the collector's own JSON format (see exporters/json.ts). Validates everything it reads. */
import { PROFILE_JSON_FORMAT, PROFILE_JSON_VERSION } from "../exporters/json.js";
import type { Frame, FrameKind, Labels, Profile, Sample, ValueType } from "../model.js";

const KINDS = new Set<FrameKind>(["python", "native", "kernel", "other"]);

function fail(what: string): never {
  throw new Error(`invalid perforator-profile JSON: ${what}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function num(v: unknown, what: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) fail(`${what} must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

function str(v: unknown, what: string): string {
  if (typeof v !== "string") fail(`${what} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function valueType(v: unknown, what: string): ValueType {
  if (!isRecord(v)) fail(`${what} must be an object {type, unit}`);
  return { type: str(v.type, `${what}.type`), unit: str(v.unit, `${what}.unit`) };
}

function stringRecord(v: unknown, what: string): Record<string, string> {
  if (!isRecord(v)) fail(`${what} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = str(x, `${what}.${k}`);
  return out;
}

/** Parses `serializeProfile` output (text or an already parsed object). */
export function parseProfile(input: string | unknown): Profile {
  let doc: unknown = input;
  if (typeof input === "string") {
    try {
      doc = JSON.parse(input);
    } catch (e) {
      throw new Error(`invalid perforator-profile JSON: not JSON (${(e as Error).message})`);
    }
  }
  if (!isRecord(doc)) fail("expected a JSON object");
  if (doc.format !== PROFILE_JSON_FORMAT) {
    fail(`"format" is ${JSON.stringify(doc.format)}, expected "${PROFILE_JSON_FORMAT}"`);
  }
  if (doc.version !== PROFILE_JSON_VERSION) {
    fail(
      `"version" ${JSON.stringify(doc.version)} is not supported (this build reads version ${PROFILE_JSON_VERSION}); upgrade @perforator/profile`,
    );
  }
  if (!Array.isArray(doc.sampleTypes) || doc.sampleTypes.length === 0) fail("sampleTypes must be a non-empty array");
  const sampleTypes = doc.sampleTypes.map((t, i) => valueType(t, `sampleTypes[${i}]`));
  const defaultSampleType = num(doc.defaultSampleType, "defaultSampleType");
  if (!Number.isInteger(defaultSampleType) || defaultSampleType < 0 || defaultSampleType >= sampleTypes.length) {
    fail(`defaultSampleType ${defaultSampleType} is not an index into sampleTypes`);
  }
  if (!Array.isArray(doc.frames)) fail("frames must be an array");
  const frames: Frame[] = doc.frames.map((f, i) => {
    if (!Array.isArray(f) || f.length !== 5) fail(`frames[${i}] must be [name, file, line, kind, module]`);
    const kind = str(f[3], `frames[${i}].kind`) as FrameKind;
    if (!KINDS.has(kind)) fail(`frames[${i}].kind ${JSON.stringify(kind)} is not python|native|kernel|other`);
    return {
      name: str(f[0], `frames[${i}].name`),
      file: str(f[1], `frames[${i}].file`),
      line: num(f[2], `frames[${i}].line`),
      kind,
      module: str(f[4], `frames[${i}].module`),
    };
  });
  if (!Array.isArray(doc.labelSets)) fail("labelSets must be an array");
  const labelSets: Labels[] = doc.labelSets.map((l, i) => Object.freeze(stringRecord(l, `labelSets[${i}]`)));
  if (!Array.isArray(doc.samples)) fail("samples must be an array");
  const nf = frames.length;
  const nt = sampleTypes.length;
  const samples: Sample[] = doc.samples.map((s, i) => {
    if (!Array.isArray(s) || s.length !== 3 || !Array.isArray(s[0]) || !Array.isArray(s[1])) {
      fail(`samples[${i}] must be [stack, values, labelSet]`);
    }
    const stack = s[0] as unknown[];
    for (const x of stack) {
      if (typeof x !== "number" || !Number.isInteger(x) || x < 0 || x >= nf) {
        fail(`samples[${i}] refers to frame ${JSON.stringify(x)}, but there are ${nf} frames`);
      }
    }
    const values = s[1] as unknown[];
    if (values.length !== nt) fail(`samples[${i}] has ${values.length} values, expected ${nt}`);
    const li = s[2];
    if (typeof li !== "number" || !Number.isInteger(li) || li < 0 || li >= labelSets.length) {
      fail(`samples[${i}] refers to label set ${JSON.stringify(li)}, but there are ${labelSets.length}`);
    }
    return {
      stack: stack as number[],
      values: values.map((v, j) => num(v, `samples[${i}].values[${j}]`)),
      labels: labelSets[li]!,
    };
  });
  return {
    sampleTypes,
    defaultSampleType,
    frames,
    samples,
    timeNanos: num(doc.timeNanos, "timeNanos"),
    durationNanos: num(doc.durationNanos, "durationNanos"),
    period: num(doc.period, "period"),
    periodType: valueType(doc.periodType, "periodType"),
    meta: stringRecord(doc.meta ?? {}, "meta"),
  };
}
