/** Sample filters and frame rewrites that keep values. */
import { builderLike, type Profile, type ProfileBuilder } from "../model.js";

/** Maps stacks of `p` onto frame ids of `b`, interning each frame of `p` in `b` once. */
function stackRemapper(p: Profile, b: ProfileBuilder): (stack: readonly number[]) => number[] {
  const remap = new Int32Array(p.frames.length).fill(-1);
  return (stack) =>
    stack.map((fi) => {
      let i = remap[fi]!;
      if (i < 0) {
        i = b.frame(p.frames[fi]!);
        remap[fi] = i;
      }
      return i;
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
  const b = builderLike(p);
  const remap = stackRemapper(p, b);
  for (const s of p.samples) {
    if (keep(s.labels[key])) b.add(remap(s.stack), s.values, s.labels);
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
  const b = builderLike(p);
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
  const groups = new Map<string, { b: ProfileBuilder; remap: (stack: readonly number[]) => number[] }>();
  for (const s of p.samples) {
    const v = s.labels[key] ?? missing;
    let g = groups.get(v);
    if (!g) {
      const b = builderLike(p);
      g = { b, remap: stackRemapper(p, b) };
      groups.set(v, g);
    }
    g.b.add(g.remap(s.stack), s.values, s.labels);
  }
  const out = new Map<string, Profile>();
  for (const k of [...groups.keys()].sort()) out.set(k, groups.get(k)!.b.build());
  return out;
}
