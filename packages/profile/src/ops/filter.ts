/** Sample filters and frame rewrites that keep values. */
import { type Profile, ProfileBuilder } from "../model.js";

function rebuild(p: Profile): ProfileBuilder {
  return new ProfileBuilder(p.sampleTypes, {
    defaultSampleType: p.defaultSampleType,
    timeNanos: p.timeNanos,
    durationNanos: p.durationNanos,
    period: p.period,
    periodType: p.periodType,
    meta: p.meta,
  });
}

/**
 * Keeps samples whose label `key` is one of `values` (or passes the predicate, which also sees
 * `undefined` for samples without the label). Frames no longer used are dropped.
 */
export function filterByLabel(
  p: Profile,
  key: string,
  values: readonly string[] | ((value: string | undefined) => boolean),
): Profile {
  const keep =
    typeof values === "function"
      ? values
      : (() => {
          const set = new Set(values);
          return (v: string | undefined) => v !== undefined && set.has(v);
        })();
  const b = rebuild(p);
  const remap = new Int32Array(p.frames.length).fill(-1);
  for (const s of p.samples) {
    if (!keep(s.labels[key])) continue;
    const stack = s.stack.map((fi) => {
      let i = remap[fi]!;
      if (i < 0) {
        i = b.frame(p.frames[fi]!);
        remap[fi] = i;
      }
      return i;
    });
    b.add(stack, s.values, s.labels);
  }
  return b.build();
}

/**
 * Removes frames whose name matches `pattern` from every stack; the sample's value stays
 * (it moves to the nearest kept caller, or the root when nothing is left).
 */
export function dropFrames(p: Profile, pattern: RegExp | string): Profile {
  const re =
    typeof pattern === "string" ? new RegExp(pattern) : new RegExp(pattern.source, pattern.flags.replace("g", ""));
  const b = rebuild(p);
  const remap = p.frames.map((f) => (re.test(f.name) ? -1 : b.frame(f)));
  for (const s of p.samples) {
    const stack: number[] = [];
    for (const fi of s.stack) {
      const i = remap[fi]!;
      if (i >= 0) stack.push(i);
    }
    b.add(stack, s.values, s.labels);
  }
  return b.build();
}

/** Splits a profile by the value of one label; samples without it go under `missing` (default ""). */
export function groupByLabel(p: Profile, key: string, missing = ""): Map<string, Profile> {
  const groups = new Map<string, ProfileBuilder>();
  const remaps = new Map<ProfileBuilder, Int32Array>();
  for (const s of p.samples) {
    const v = s.labels[key] ?? missing;
    let b = groups.get(v);
    if (!b) {
      b = rebuild(p);
      groups.set(v, b);
      remaps.set(b, new Int32Array(p.frames.length).fill(-1));
    }
    const remap = remaps.get(b)!;
    const stack = s.stack.map((fi) => {
      let i = remap[fi]!;
      if (i < 0) {
        i = b.frame(p.frames[fi]!);
        remap[fi] = i;
      }
      return i;
    });
    b.add(stack, s.values, s.labels);
  }
  const out = new Map<string, Profile>();
  for (const k of [...groups.keys()].sort()) out.set(k, groups.get(k)!.build());
  return out;
}
