// Small deterministic profiles for the store tests, and a canonical form to compare merged profiles by.
import { type Frame, type Labels, labelsKey, type Profile, ProfileBuilder } from "@perforator/profile";

/** A seeded linear congruential generator: the same inputs on every run. */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

const FRAMES: Frame[] = Array.from({ length: 30 }, (_, i) => ({
  name: i % 3 === 0 ? `mod.fn_${i}` : `native_${i}`,
  file: i % 3 === 0 ? `/srv/mod${i % 4}.py` : "",
  line: i % 3 === 0 ? i : 0,
  kind: i % 3 === 0 ? "python" : "native",
  module: i % 3 === 0 ? "" : "libpython3.12.so.1.0",
}));

/** A cpu profile (samples/count + cpu/nanoseconds) of up to `n` stacks over 4 threads, starting at `startMs`. */
export function randomProfile(seed: number, startMs: number, n = 40): Profile {
  const r = rng(seed);
  const b = new ProfileBuilder(
    [
      { type: "samples", unit: "count" },
      { type: "cpu", unit: "nanoseconds" },
    ],
    {
      defaultSampleType: 1,
      period: 10101010,
      periodType: { type: "cpu", unit: "nanoseconds" },
      timeNanos: startMs * 1e6,
      durationNanos: 60e9,
    },
  );
  const threads = ["MainThread", "worker-1", "worker-2", "worker-3"];
  for (let i = 0; i < n; i++) {
    const depth = 1 + Math.floor(r() * 6);
    const stack = [FRAMES[0]!];
    for (let d = 0; d < depth; d++) stack.push(FRAMES[1 + Math.floor(r() * (FRAMES.length - 1))]!);
    const c = 1 + Math.floor(r() * 5);
    b.addFrames(stack, [c, c * 10101010], { thread_name: threads[Math.floor(r() * threads.length)]! });
  }
  return b.build();
}

/** Samples as sorted `frames|labels → values` lines: equal for profiles with the same samples in any order. */
export function canonical(p: Profile): string[] {
  const frameText = (f: Frame) => `${f.kind}:${f.name}:${f.file}:${f.line}:${f.module}`;
  return p.samples
    .map(
      (s) =>
        `${s.stack.map((i) => frameText(p.frames[i]!)).join(";")}|${labelsKey(s.labels as Labels)} → ${s.values.join(",")}`,
    )
    .sort();
}
