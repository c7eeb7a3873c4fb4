/**
 * The collector's own lossless format: `{"format":"perforator-profile","version":1,...}`.
 * Frames are stored as `[name, file, line, kind, module]`, samples as `[stack, values, labelSetIndex]`
 * with a shared table of label sets, so a minute of samples stays small.
 */
import type { Labels, Profile } from "../model.js";
import { labelsKey } from "../model.js";

export const PROFILE_JSON_FORMAT = "perforator-profile";
export const PROFILE_JSON_VERSION = 1;

export interface ProfileJsonV1 {
  format: typeof PROFILE_JSON_FORMAT;
  version: 1;
  sampleTypes: { type: string; unit: string }[];
  defaultSampleType: number;
  periodType: { type: string; unit: string };
  period: number;
  timeNanos: number;
  durationNanos: number;
  meta: Record<string, string>;
  frames: [string, string, number, string, string][];
  labelSets: Record<string, string>[];
  samples: [number[], number[], number][];
}

export function serializeProfile(p: Profile): string {
  const labelSets: Record<string, string>[] = [];
  const labelIndex = new Map<string, number>();
  const byObject = new Map<Labels, number>();
  const samples: [number[], number[], number][] = [];
  for (const s of p.samples) {
    let li = byObject.get(s.labels);
    if (li === undefined) {
      const k = labelsKey(s.labels);
      li = labelIndex.get(k);
      if (li === undefined) {
        li = labelSets.length;
        labelSets.push({ ...s.labels });
        labelIndex.set(k, li);
      }
      byObject.set(s.labels, li);
    }
    samples.push([s.stack.slice(), s.values.slice(), li]);
  }
  const doc: ProfileJsonV1 = {
    format: PROFILE_JSON_FORMAT,
    version: PROFILE_JSON_VERSION,
    sampleTypes: p.sampleTypes.map((t) => ({ type: t.type, unit: t.unit })),
    defaultSampleType: p.defaultSampleType,
    periodType: { type: p.periodType.type, unit: p.periodType.unit },
    period: p.period,
    timeNanos: p.timeNanos,
    durationNanos: p.durationNanos,
    meta: { ...p.meta },
    frames: p.frames.map((f) => [f.name, f.file, f.line, f.kind, f.module]),
    labelSets,
    samples,
  };
  return JSON.stringify(doc);
}
