/**
 * The one profile model. Every importer produces a `Profile`, every exporter and
 * operation consumes one. It is isomorphic (no Node-only imports) so the viewer
 * can run operations (sandwich, thread split, filters) in the browser.
 *
 * Shape: an interned frame table plus samples. Each sample is a stack of frame
 * indices, ROOT FIRST (the folded-stack order; pprof importers reverse), a value
 * per sample type, and labels (pid, tid, thread name, process name, ...).
 */

export type FrameKind = "python" | "native" | "kernel" | "other";

export interface Frame {
  /** Function name: qualname for Python, symbol (or `module+0xoff`) for native, symbol for kernel. */
  name: string;
  /** Source file (Python) or source path when known. Empty string when unknown. */
  file: string;
  /** Line of the executing instruction (1-based). 0 when unknown. */
  line: number;
  kind: FrameKind;
  /** Binary the frame lives in (`libpython3.12.so.1.0`, `[kernel]`), empty when unknown. */
  module: string;
}

export interface ValueType {
  /** e.g. "cpu", "samples", "wall" */
  type: string;
  /** e.g. "nanoseconds", "count" */
  unit: string;
}

/** Labels attached to one sample. Well-known keys: pid, tid, thread_name, process_name. */
export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  /** Frame indices into `Profile.frames`, root first. */
  stack: readonly number[];
  /** One value per entry of `Profile.sampleTypes`. */
  values: readonly number[];
  labels: Labels;
}

export interface Profile {
  sampleTypes: readonly ValueType[];
  /** Index into sampleTypes of the value shown by default. */
  defaultSampleType: number;
  frames: readonly Frame[];
  samples: readonly Sample[];
  /** Wall-clock start, nanoseconds since the Unix epoch (0 if unknown). */
  timeNanos: number;
  /** Covered duration in nanoseconds (0 if unknown). */
  durationNanos: number;
  /** Sampling period, e.g. 1e9/99 ns for 99 Hz cpu-clock (0 if unknown). */
  period: number;
  periodType: ValueType;
  /** Free-form key/value notes: collector version, hostname, python versions seen, lost samples, ... */
  meta: Readonly<Record<string, string>>;
}

export const WELL_KNOWN_LABELS = {
  pid: "pid",
  tid: "tid",
  threadName: "thread_name",
  processName: "process_name",
} as const;

export function frameKey(f: Frame): string {
  return `${f.kind}\u0000${f.name}\u0000${f.file}\u0000${f.line}\u0000${f.module}`;
}

/** Canonical text key of a label set (sorted keys); equal label sets give equal keys. */
export function labelsKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  let s = "";
  for (const k of keys) s += `${k}\u0001${labels[k]}\u0002`;
  return s;
}

/**
 * Interns frames and aggregates samples with identical (stack, labels).
 * Use it in importers and operations instead of building arrays by hand.
 */
export class ProfileBuilder {
  private readonly frames: Frame[] = [];
  private readonly frameIndex = new Map<string, number>();
  private readonly samples: { stack: number[]; values: number[]; labels: Labels }[] = [];
  private readonly sampleIndex = new Map<string, number>();
  /** Equal label sets share one frozen object, so consumers (merge) can cache by identity. */
  private readonly labelSets = new Map<string, Labels>();
  readonly sampleTypes: ValueType[];

  constructor(
    sampleTypes: readonly ValueType[],
    private readonly base: Partial<Omit<Profile, "frames" | "samples" | "sampleTypes">> = {},
  ) {
    if (sampleTypes.length === 0) throw new Error("a profile needs at least one sample type");
    this.sampleTypes = sampleTypes.map((t) => ({ ...t }));
  }

  frame(f: Frame): number {
    const key = frameKey(f);
    let idx = this.frameIndex.get(key);
    if (idx === undefined) {
      idx = this.frames.length;
      this.frames.push({ name: f.name, file: f.file, line: f.line, kind: f.kind, module: f.module });
      this.frameIndex.set(key, idx);
    }
    return idx;
  }

  /** Adds `values` to the sample with this stack (frame indices, root first) and labels. */
  add(stack: readonly number[], values: readonly number[], labels: Labels = {}): void {
    if (values.length !== this.sampleTypes.length) {
      throw new Error(`sample has ${values.length} values, profile has ${this.sampleTypes.length} sample types`);
    }
    const lk = labelsKey(labels);
    const key = `${stack.join(",")}|${lk}`;
    const idx = this.sampleIndex.get(key);
    if (idx === undefined) {
      let shared = this.labelSets.get(lk);
      if (shared === undefined) {
        shared = Object.freeze({ ...labels });
        this.labelSets.set(lk, shared);
      }
      this.sampleIndex.set(key, this.samples.length);
      this.samples.push({ stack: stack.slice(), values: values.slice(), labels: shared });
    } else {
      const s = this.samples[idx]!;
      for (let i = 0; i < values.length; i++) s.values[i] = s.values[i]! + values[i]!;
    }
  }

  /** Convenience: add a stack given as frames (root first). */
  addFrames(stack: readonly Frame[], values: readonly number[], labels: Labels = {}): void {
    this.add(
      stack.map((f) => this.frame(f)),
      values,
      labels,
    );
  }

  build(): Profile {
    return {
      sampleTypes: this.sampleTypes,
      defaultSampleType: this.base.defaultSampleType ?? 0,
      frames: this.frames,
      samples: this.samples,
      timeNanos: this.base.timeNanos ?? 0,
      durationNanos: this.base.durationNanos ?? 0,
      period: this.base.period ?? 0,
      periodType: this.base.periodType ?? this.sampleTypes[0]!,
      meta: { ...(this.base.meta ?? {}) },
    };
  }
}

/** Sum of the given value over all samples. */
export function totalValue(p: Profile, valueIndex = p.defaultSampleType): number {
  let t = 0;
  for (const s of p.samples) t += s.values[valueIndex] ?? 0;
  return t;
}

/** True when both value types name the same type and unit. */
export function sameValueType(a: ValueType, b: ValueType): boolean {
  return a.type === b.type && a.unit === b.unit;
}

/** `type/unit`, the way pprof tools print a sample type. */
export function formatValueType(t: ValueType): string {
  return `${t.type}/${t.unit}`;
}

/** Checks a value index against the profile's sample types; returns the index to use. */
export function resolveValueIndex(p: Profile, valueIndex: number | undefined): number {
  const vi = valueIndex ?? p.defaultSampleType;
  if (!Number.isInteger(vi) || vi < 0 || vi >= p.sampleTypes.length) {
    throw new Error(
      `value index ${vi} is out of range: the profile has ${p.sampleTypes.length} sample type(s) (${p.sampleTypes
        .map(formatValueType)
        .join(", ")}); pass an index from 0 to ${p.sampleTypes.length - 1}`,
    );
  }
  return vi;
}

/** A builder for a profile derived from `p`: same sample types, timing, period and meta, no frames or samples. */
export function builderLike(p: Profile): ProfileBuilder {
  return new ProfileBuilder(p.sampleTypes, {
    defaultSampleType: p.defaultSampleType,
    timeNanos: p.timeNanos,
    durationNanos: p.durationNanos,
    period: p.period,
    periodType: p.periodType,
    meta: p.meta,
  });
}

/** A profile with the same sample types and metadata as `p` and no samples. */
export function emptyLike(p: Profile): Profile {
  return { ...p, frames: [], samples: [], meta: { ...p.meta } };
}
