// Synthetic inputs shared by the benchmarks (run.mjs, compare.mjs): deterministic, shaped like a Python service.

// Deterministic PRNG (mulberry32) so every run measures the same inputs.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeFrames(r, n) {
  const frames = [];
  for (let i = 0; i < n; i++) {
    const k = r();
    if (k < 0.6) {
      frames.push({
        name: `mod${i % 97}.Handler.method_${i}`,
        file: `/srv/app/mod${i % 97}.py`,
        line: 1 + (i % 400),
        kind: "python",
        module: "",
      });
    } else if (k < 0.9) {
      frames.push({ name: `_Py_native_${i}`, file: "", line: 0, kind: "native", module: "libpython3.12.so.1.0" });
    } else {
      frames.push({ name: `ksys_fn_${i}`, file: "", line: 0, kind: "kernel", module: "[kernel]" });
    }
  }
  return frames;
}

function makeStackUniverse(r, nStacks, nFrames) {
  // Stacks share prefixes like real call trees: extend a random earlier stack by a few frames.
  const stacks = [[0]];
  while (stacks.length < nStacks) {
    const base = stacks[Math.floor(r() * stacks.length)];
    const cut = Math.max(1, Math.floor(base.length * (0.5 + r() * 0.5)));
    const s = base.slice(0, cut);
    const add = 1 + Math.floor(r() * 6);
    for (let i = 0; i < add && s.length < 64; i++) s.push(Math.floor(r() * nFrames));
    stacks.push(s);
  }
  return stacks;
}

/**
 * A day of one-minute profiles: 24 distinct "minutes" built with ProfileBuilder (own frame numbering each);
 * the day repeats them with fresh frame/sample/value objects, so merge cannot short-cut anything by identity
 * except label sets (shared within a profile, as ProfileBuilder does).
 */
export function dayOfProfiles(ProfileBuilder, nProfiles, stacksPer = 5000) {
  const r = rng(1);
  const pool = makeFrames(r, 4000);
  const universe = makeStackUniverse(r, 30000, pool.length);
  const threads = ["MainThread", "worker-1", "worker-2", "worker-3"];
  const variants = [];
  for (let v = 0; v < 24; v++) {
    const b = new ProfileBuilder(
      [
        { type: "samples", unit: "count" },
        { type: "cpu", unit: "nanoseconds" },
      ],
      {
        period: 10101010,
        periodType: { type: "cpu", unit: "nanoseconds" },
        timeNanos: 1.7e18 + v * 60e9,
        durationNanos: 60e9,
      },
    );
    const seen = new Set();
    while (seen.size < stacksPer) {
      const si = Math.floor(r() * universe.length);
      const ti = Math.floor(r() * threads.length);
      const key = si * 8 + ti;
      if (seen.has(key)) continue;
      seen.add(key);
      const c = 1 + Math.floor(r() * 5);
      b.addFrames(
        universe[si].map((i) => pool[i]),
        [c, c * 10101010],
        { tid: String(100 + ti), thread_name: threads[ti] },
      );
    }
    variants.push(b.build());
  }
  const profiles = [];
  for (let i = 0; i < nProfiles; i++) {
    const v = variants[i % variants.length];
    const labelCopies = new Map();
    profiles.push({
      ...v,
      timeNanos: 1.7e18 + i * 60e9,
      frames: v.frames.map((f) => ({ ...f })),
      samples: v.samples.map((s) => {
        let l = labelCopies.get(s.labels);
        if (!l) {
          l = Object.freeze({ ...s.labels });
          labelCopies.set(s.labels, l);
        }
        return { stack: s.stack, values: s.values.slice(), labels: l };
      }),
    });
  }
  let depth = 0;
  for (const s of profiles[0].samples) depth += s.stack.length;
  return { profiles, avgDepth: depth / profiles[0].samples.length };
}

/** A profile whose call tree has exactly nNodes nodes (one sample per non-root node, random order of parents). */
export function treeProfile(nNodes, seed) {
  const r = rng(seed);
  const parent = new Int32Array(nNodes);
  const frame = new Int32Array(nNodes);
  const depth = new Int32Array(nNodes);
  parent[0] = -1;
  const nFrames = Math.min(nNodes, 200000);
  const frames = [];
  for (let i = 0; i < nFrames; i++) {
    frames.push({ name: `fn_${i}`, file: `/srv/m${i % 300}.py`, line: 1 + (i % 500), kind: "python", module: "" });
  }
  for (let i = 1; i < nNodes; i++) {
    // Prefer recent nodes as parents: deep, bushy trees like real call trees.
    const back = Math.floor(r() ** 4 * i);
    parent[i] = i - 1 - back;
    depth[i] = depth[parent[i]] + 1;
    frame[i] = i % nFrames;
  }
  const samples = [];
  const L = Object.freeze({});
  let sumDepth = 0;
  for (let i = 1; i < nNodes; i++) {
    const stack = new Array(depth[i]);
    let v = i;
    for (let d = depth[i] - 1; d >= 0; d--) {
      stack[d] = frame[v];
      v = parent[v];
    }
    sumDepth += stack.length;
    samples.push({ stack, values: [1 + (i % 7)], labels: L });
  }
  return {
    profile: {
      sampleTypes: [{ type: "samples", unit: "count" }],
      defaultSampleType: 0,
      frames,
      samples,
      timeNanos: 0,
      durationNanos: 0,
      period: 0,
      periodType: { type: "cpu", unit: "nanoseconds" },
      meta: {},
    },
    avgDepth: sumDepth / samples.length,
  };
}

/**
 * One upload as the ingest bench sends them (apps/ingest/src/fixtures.ts): a Python server's CPU profile whose
 * `stacks` stacks (depth 10-20) walk a call graph of 1,500 functions, so they share prefixes; ~1,900 distinct.
 * With `labels`, each stack also carries a thread (tid + thread_name), as the collector writes them.
 */
export function uploadProfile(ProfileBuilder, seed, { stacks = 2000, labels = false } = {}) {
  const r = rng(seed * 7919 + 1);
  const pick = (n) => Math.floor(r() * n);
  const b = new ProfileBuilder([{ type: "cpu", unit: "nanoseconds" }], {
    timeNanos: 1.764e18 + seed * 1e10,
    durationNanos: 10e9,
    period: 1e9 / 99,
  });
  const frame = (i) => ({
    name: `app.module${i % 40}.function_${i}`,
    file: `/srv/app/module${i % 40}.py`,
    line: 10 + (i % 200),
    kind: "python",
    module: "",
  });
  for (let s = 0; s < stacks; s++) {
    const depth = 10 + pick(11);
    const stack = [frame(0), frame(1)];
    for (let d = 2, f = 1; d < depth; d++) {
      f = 2 + ((f * 31 + pick(2) * 977 + d) % 1500);
      stack.push(frame(f));
    }
    const t = pick(4);
    b.addFrames(
      stack,
      [(1 + pick(20)) * 10_101_010],
      labels ? { tid: String(4200 + t), thread_name: `worker-${t}` } : {},
    );
  }
  return b.build();
}
