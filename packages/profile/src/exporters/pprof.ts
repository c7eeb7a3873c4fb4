/**
 * pprof export (gzipped profile.proto), readable by `go tool pprof`, Pyroscope and Parca.
 * One Location per model frame (one Line each), one Function per (name, file), one Mapping
 * per module. Kernel frames outside a kernel mapping get the `_[k]` suffix so the kind survives.
 */
import { gzipSync } from "fflate";
import {
  Label,
  Line,
  Location,
  Mapping,
  Function as PprofFunction,
  Profile as PprofProfile,
  Sample,
  StringTable,
  ValueType,
} from "pprof-format";
import { isKernelModule, KERNEL_SUFFIX } from "../frame-text.js";
import { labelsKey, type Profile } from "../model.js";

/** Labels written as numeric pprof labels when their value is a canonical integer. */
const NUMERIC_LABELS = new Set(["pid", "tid"]);

export interface ToPprofOptions {
  /** gzip the output (default true; `.pb.gz` is what tools expect). */
  gzip?: boolean;
}

function int(n: number): number | bigint {
  const r = Math.round(n);
  return Number.isSafeInteger(r) ? r : BigInt(r);
}

export function toPprof(p: Profile, opts: ToPprofOptions = {}): Uint8Array {
  const st = new StringTable();
  const str = (x: string) => st.dedup(x);

  const mappings: Mapping[] = [];
  const mappingIds = new Map<string, number>();
  const functions: PprofFunction[] = [];
  const functionIds = new Map<string, number>();
  const locations: Location[] = [];

  for (let i = 0; i < p.frames.length; i++) {
    const f = p.frames[i]!;
    let mappingId = 0;
    if (f.module !== "") {
      mappingId = mappingIds.get(f.module) ?? 0;
      if (mappingId === 0) {
        mappingId = mappings.length + 1;
        mappingIds.set(f.module, mappingId);
        mappings.push(
          new Mapping({
            id: mappingId,
            filename: str(f.module),
            hasFunctions: true,
            hasFilenames: true,
            hasLineNumbers: true,
          }),
        );
      }
    }
    const name = f.kind === "kernel" && !isKernelModule(f.module) ? f.name + KERNEL_SUFFIX : f.name;
    const fkey = `${name}\u0000${f.file}`;
    let functionId = functionIds.get(fkey) ?? 0;
    if (functionId === 0) {
      functionId = functions.length + 1;
      functionIds.set(fkey, functionId);
      // No system_name: `go tool pprof` demangles functions whose name equals their system name and
      // would turn Python's "<module>" into "" (it reads as a C++ template argument list).
      functions.push(new PprofFunction({ id: functionId, name: str(name), filename: str(f.file) }));
    }
    locations.push(new Location({ id: i + 1, mappingId, line: [new Line({ functionId, line: int(f.line) })] }));
  }

  const labelCache = new Map<string, Label[]>();
  const samples: Sample[] = [];
  for (const s of p.samples) {
    const locationId: number[] = new Array(s.stack.length);
    for (let i = 0; i < s.stack.length; i++) locationId[i] = s.stack[s.stack.length - 1 - i]! + 1;
    const lk = labelsKey(s.labels);
    let label = labelCache.get(lk);
    if (!label) {
      label = [];
      for (const k of Object.keys(s.labels).sort()) {
        const v = s.labels[k]!;
        if (NUMERIC_LABELS.has(k) && /^(0|-?[1-9]\d{0,14})$/.test(v)) {
          label.push(new Label({ key: str(k), num: Number(v) }));
        } else {
          label.push(new Label({ key: str(k), str: str(v) }));
        }
      }
      labelCache.set(lk, label);
    }
    samples.push(new Sample({ locationId, value: s.values.map(int), label }));
  }

  const comment: number[] = [];
  for (const k of Object.keys(p.meta).sort()) comment.push(str(`${k}=${p.meta[k]}`));

  const pp = new PprofProfile({
    sampleType: p.sampleTypes.map((t) => new ValueType({ type: str(t.type), unit: str(t.unit) })),
    sample: samples,
    mapping: mappings,
    location: locations,
    function: functions,
    stringTable: st,
    timeNanos: int(p.timeNanos),
    durationNanos: int(p.durationNanos),
    periodType: new ValueType({ type: str(p.periodType.type), unit: str(p.periodType.unit) }),
    period: int(p.period),
    comment,
    defaultSampleType: str(p.sampleTypes[p.defaultSampleType]?.type ?? ""),
  });
  const raw = pp.encode();
  return opts.gzip === false ? raw : gzipSync(raw);
}
