/**
 * merge(profiles): sums samples with the same (stack, labels) across profiles.
 *
 * This is the server's hot path (a day of one-minute profiles is 1,440 merges), so it avoids per-sample strings:
 * frames, label sets and (labels, stack) runs go through the package's one stack interner (../intern/), whose runs
 * here carry the summed values as their payload, so a repeated (labels, stack) costs one probe and an add in place.
 */

import { FrameTable } from "../intern/frame-table.js";
import { EMPTY_LABELS, LabelTable } from "../intern/label-table.js";
import { StackBatch, StackTable } from "../intern/stack-table.js";
import { type Frame, formatValueType, type Profile, type Sample, sameValueType, type ValueType } from "../model.js";

export interface MergeOptions {
  /** Keep labels (default true). With false, samples that differ only in labels are summed together. */
  keepLabels?: boolean;
}

/** Incremental merge: `add` profiles one by one (e.g. as they are read from storage), then `build`. */
export class ProfileMerger {
  readonly sampleTypes: readonly ValueType[];
  private readonly nt: number;
  private readonly keepLabels: boolean;
  private readonly info: MergeInfo;

  private readonly frames = new FrameTable();
  private readonly labels = new LabelTable();
  /** One run per distinct (labels, stack): tag = label set id, payload = the summed values (float64s). */
  private readonly stacks: StackTable;
  private readonly batch = new StackBatch();
  /** Per-input-profile scratch: the values of every sample. */
  private svs = new Float64Array(512);

  constructor(sampleTypes: readonly ValueType[], opts: MergeOptions = {}) {
    if (sampleTypes.length === 0) throw new Error("a profile needs at least one sample type");
    this.sampleTypes = sampleTypes.map((t) => ({ ...t }));
    this.nt = sampleTypes.length;
    this.keepLabels = opts.keepLabels !== false;
    this.info = new MergeInfo(this.sampleTypes);
    this.stacks = new StackTable(2 * this.nt);
  }

  add(p: Profile): this {
    const nt = this.nt;
    this.info.add(p);
    const ns = p.samples.length;
    if (this.svs.length < ns * nt) this.svs = new Float64Array(ns * nt * 2);
    const svs = this.svs;
    // Pass 1: frames, label sets, every stack remapped, flattened and hashed (no table access yet).
    const batch = this.batch;
    batch.load(p, this.frames, this.keepLabels ? this.labels : null, svs, nt, "cannot merge the profile");
    const { flat, offs, hs, tags } = batch;
    // Pass 2, in chunks whose slots and runs are touched first: a hit adds the values in place in the run.
    const table = this.stacks;
    for (let c0 = 0, c1 = 0; c0 < ns; c0 = c1) {
      c1 = table.touchChunk(hs, c0, ns);
      for (let si = c0; si < c1; si++) {
        const h = hs[si]!;
        const tag = tags[si]!;
        const fb = offs[si]!;
        const n = offs[si + 1]! - fb;
        let b = table.find(h, tag, flat, fb, n);
        const vb = si * nt;
        if (b >= 0) {
          const pf = table.poolF;
          const o = (b + 2) >> 1;
          for (let j = 0; j < nt; j++) pf[o + j] += svs[vb + j]!;
        } else {
          b = table.insert(h, tag, flat, fb, n);
          const pf = table.poolF;
          const o = (b + 2) >> 1;
          for (let j = 0; j < nt; j++) pf[o + j] = svs[vb + j]!;
        }
      }
    }
    return this;
  }

  build(): Profile {
    const { nt, stacks } = this;
    const { count, pool, poolF, framesAt } = stacks;
    const labelSets = this.labels.sets;
    const samples: Sample[] = new Array(count);
    let b = 0;
    for (let i = 0; i < count; i++) {
      const n = pool[b + 1]!;
      const stack: number[] = new Array(n);
      const c = b + framesAt;
      for (let k = 0; k < n; k++) stack[k] = pool[c + k]!;
      const v: number[] = new Array(nt);
      const o = (b + 2) >> 1;
      for (let j = 0; j < nt; j++) v[j] = poolF[o + j]!;
      samples[i] = { stack, values: v, labels: this.keepLabels ? labelSets[pool[b]!]! : EMPTY_LABELS };
      b = stacks.next(b);
    }
    const frames: Frame[] = this.frames.frames.slice();
    return { ...this.info.build(), frames, samples };
  }
}

/** The fields of a profile that merging combines without looking at samples. */
export type ProfileHeader = Pick<
  Profile,
  "sampleTypes" | "defaultSampleType" | "timeNanos" | "durationNanos" | "period" | "periodType" | "meta"
>;

/**
 * Everything a merge computes besides frames and samples (shared by ProfileMerger and mergeStored):
 * the sample-type check, the covered time, merged_profiles and the first-wins meta.
 */
export class MergeInfo {
  private first: ProfileHeader | undefined;
  private profiles = 0;
  private mergedCount = 0;
  private timeStart = Number.POSITIVE_INFINITY;
  private timeEnd = 0;
  private allTimed = true;
  private durationSum = 0;
  private readonly meta: Record<string, string> = {};

  constructor(readonly sampleTypes: readonly ValueType[]) {}

  /** Throws when `p` has other sample types than the first profile; otherwise accounts for it. */
  add(p: ProfileHeader): void {
    const types = this.sampleTypes;
    const same = p.sampleTypes.length === types.length && p.sampleTypes.every((t, i) => sameValueType(t, types[i]!));
    if (!same) {
      throw new Error(
        `cannot merge profiles with different sample types: profile 0 has [${types
          .map(formatValueType)
          .join(", ")}], profile ${this.profiles} has [${p.sampleTypes.map(formatValueType).join(", ")}]`,
      );
    }
    if (!this.first) this.first = p;
    this.profiles++;
    this.mergedCount += Number(p.meta.merged_profiles ?? 1) || 1;
    if (p.timeNanos > 0) {
      if (p.timeNanos < this.timeStart) this.timeStart = p.timeNanos;
      if (p.timeNanos + p.durationNanos > this.timeEnd) this.timeEnd = p.timeNanos + p.durationNanos;
    } else this.allTimed = false;
    this.durationSum += p.durationNanos;
    for (const k in p.meta) if (!(k in this.meta)) this.meta[k] = p.meta[k]!;
  }

  build(): ProfileHeader {
    const first = this.first;
    const meta = { ...this.meta };
    if (this.profiles > 1) meta.merged_profiles = String(this.mergedCount);
    return {
      sampleTypes: this.sampleTypes.map((t) => ({ ...t })),
      defaultSampleType: first?.defaultSampleType ?? 0,
      // Covered time: the span of all inputs when all have a start time, else the sum of durations.
      timeNanos: this.timeStart === Number.POSITIVE_INFINITY ? 0 : this.timeStart,
      durationNanos: this.allTimed && this.profiles > 0 ? this.timeEnd - this.timeStart : this.durationSum,
      period: first?.period ?? 0,
      periodType: { ...(first?.periodType ?? this.sampleTypes[0]!) },
      meta,
    };
  }
}

export function merge(profiles: readonly Profile[], opts: MergeOptions = {}): Profile {
  if (profiles.length === 0) throw new Error("merge needs at least one profile, got none");
  const m = new ProfileMerger(profiles[0]!.sampleTypes, opts);
  for (const p of profiles) m.add(p);
  return m.build();
}
