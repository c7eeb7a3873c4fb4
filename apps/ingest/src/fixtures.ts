/**
 * Synthetic but realistic profiles for tests and the benchmark (not part of the service's behaviour):
 * a Python server's CPU profile whose stacks walk a call graph of 1,500 functions, so they share prefixes
 * as real stacks do. 2,000 stacks → ~1,900 distinct, ~48 KB gzipped pprof (~130 KB raw).
 */
import { type Profile, ProfileBuilder, toPprof } from "@perforator/profile";

export function realisticProfile(seed: number, stacks = 2000): Profile {
  const b = new ProfileBuilder([{ type: "cpu", unit: "nanoseconds" }], {
    timeNanos: (1_764_000_000_000 + seed * 10_000) * 1e6,
    durationNanos: 10e9,
    period: 1e9 / 99,
  });
  // mulberry32: a small PRNG that is good enough for distinct stacks.
  let a = (seed * 2654435761) >>> 0;
  const rnd = (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const fr = (i: number) => ({
    name: `app.module${i % 40}.function_${i}`,
    file: `/srv/app/module${i % 40}.py`,
    line: 10 + (i % 200),
    kind: "python" as const,
    module: "",
  });
  for (let s = 0; s < stacks; s++) {
    const depth = 10 + rnd(11);
    const stack = [fr(0), fr(1)];
    let f = 1;
    for (let d = 2; d < depth; d++) {
      f = 2 + ((f * 31 + rnd(2) * 977 + d) % 1500);
      stack.push(fr(f));
    }
    b.addFrames(stack, [(1 + rnd(20)) * 10_101_010]);
  }
  return b.build();
}

/** {@link realisticProfile} as gzipped pprof, as collectors send it. */
export function realisticPprof(seed: number, stacks = 2000): Buffer {
  return Buffer.from(toPprof(realisticProfile(seed, stacks)));
}
