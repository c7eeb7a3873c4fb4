// Benchmarks for @perforator/profile, run on the built dist/ (pnpm --filter @perforator/profile build first).
//   pnpm --filter @perforator/profile bench            full sizes, writes docs/bench/profile.md
//   node bench/run.mjs --quick                          smaller sizes, prints only
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  buildFlameTree,
  merge,
  ProfileBuilder,
  parseFolded,
  parsePprof,
  toFolded,
  toPprof,
  totalValue,
} from "../dist/index.js";

const quick = process.argv.includes("--quick");
const here = dirname(fileURLToPath(import.meta.url));

// Deterministic PRNG (mulberry32) so every run measures the same inputs.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function time(fn, runs = 3) {
  const times = [];
  let result;
  for (let i = 0; i < runs; i++) {
    globalThis.gc?.();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    result = fn();
    const c = process.cpuUsage(c0);
    times.push([performance.now() - t0, (c.user + c.system) / 1000]);
  }
  times.sort((a, b) => a[0] - b[0]);
  const cpu = Math.min(...times.map((t) => t[1]));
  return { best: times[0][0], median: times[Math.floor(times.length / 2)][0], cpu, result };
}

const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);
const rows = [];
function report(name, input, t, note = "") {
  rows.push({ name, input, best: fmt(t.best), median: fmt(t.median), cpu: fmt(t.cpu), note });
  console.log(
    `${name.padEnd(30)} ${input.padEnd(56)} best ${fmt(t.best).padStart(9)}  median ${fmt(t.median).padStart(9)}  cpu ${fmt(t.cpu).padStart(9)}  ${note}`,
  );
}

// ---------- a synthetic Python service: frame pool and a universe of stacks ----------
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

// ---------- 1. merge of a day of one-minute profiles ----------
{
  const nProfiles = quick ? 144 : 1440;
  const stacksPer = 5000;
  const r = rng(1);
  const pool = makeFrames(r, 4000);
  const universe = makeStackUniverse(r, 30000, pool.length);
  const threads = ["MainThread", "worker-1", "worker-2", "worker-3"];
  // 24 distinct "minutes" built with ProfileBuilder (own frame numbering each); the day repeats them
  // with fresh frame/sample objects, so merge cannot short-cut anything by identity except label sets.
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
  let depth = 0;
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
  for (const s of profiles[0].samples) depth += s.stack.length;
  const avgDepth = (depth / profiles[0].samples.length).toFixed(1);
  const t = time(() => merge(profiles), 3);
  const m = t.result;
  const expected = profiles.reduce((a, p) => a + totalValue(p, 0), 0);
  if (totalValue(m, 0) !== expected) throw new Error("merge lost samples");
  report(
    "merge",
    `${nProfiles} profiles × ${stacksPer} stacks (avg depth ${avgDepth})`,
    t,
    `→ ${m.samples.length} samples, ${m.frames.length} frames; target ≤ 1 s`,
  );
  globalThis.mergedDay = m;
}

// ---------- 2. buildFlameTree on trees of 10k / 100k / 1M nodes ----------
function treeProfile(nNodes, seed) {
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

for (const n of quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000]) {
  const { profile, avgDepth } = treeProfile(n, n);
  const t = time(() => buildFlameTree(profile, { byLine: true }), 3);
  const tree = t.result;
  if (tree.nodeTotal[0] !== totalValue(profile)) throw new Error("flame tree total mismatch");
  report(
    "buildFlameTree",
    `${n.toLocaleString("en")} nodes (${profile.samples.length.toLocaleString("en")} samples, avg depth ${avgDepth.toFixed(0)})`,
    t,
    `→ ${tree.nodeFrame.length.toLocaleString("en")} nodes`,
  );
}
{
  const t = time(() => buildFlameTree(globalThis.mergedDay, { groupBy: "thread_name" }), 3);
  report(
    "buildFlameTree (merged day)",
    `${globalThis.mergedDay.samples.length} samples, groupBy thread_name`,
    t,
    `→ ${t.result.nodeFrame.length.toLocaleString("en")} nodes`,
  );
}

// ---------- 3. folded parse of a large file ----------
{
  const text = toFolded(globalThis.mergedDay, { valueIndex: 0 });
  // Repeat with a distinguishing root frame to reach a realistic "big folded file" size.
  const copies = quick ? 2 : 8;
  let big = "";
  for (let c = 0; c < copies; c++) big += text.replace(/^/gm, `proc${c};`);
  big = big.replace(/\nproc\d+;$/, "\n");
  const mb = Buffer.byteLength(big) / 1e6;
  const lines = big.split("\n").length - 1;
  const t = time(() => parseFolded(big), 3);
  report(
    "parseFolded",
    `${mb.toFixed(1)} MB, ${lines.toLocaleString("en")} lines`,
    t,
    `${(mb / (t.cpu / 1000)).toFixed(0)} MB per CPU-second`,
  );
  const tf = time(() => toFolded(t.result), 3);
  report("toFolded", `${lines.toLocaleString("en")} stacks`, tf);
}

// ---------- 4. pprof encode / decode ----------
{
  const p = globalThis.mergedDay;
  const te = time(() => toPprof(p), 3);
  const bytes = te.result;
  report(
    "toPprof (gzipped)",
    `${p.samples.length} samples, ${p.frames.length} frames`,
    te,
    `${(bytes.length / 1e6).toFixed(2)} MB .pb.gz`,
  );
  const td = time(() => parsePprof(bytes), 3);
  if (totalValue(td.result, 0) !== totalValue(p, 0)) throw new Error("pprof round trip lost samples");
  report("parsePprof (gzipped)", `${(bytes.length / 1e6).toFixed(2)} MB .pb.gz`, td);
  const raw = toPprof(p, { gzip: false });
  const tr = time(() => parsePprof(raw), 3);
  report("parsePprof (raw)", `${(raw.length / 1e6).toFixed(2)} MB .pb`, tr);
}

const NOTES = `
Notes:
- merge target is ≤ 1 s for a day (1,440 one-minute profiles × 5,000 stacks). Per sample it hashes the remapped stack
  and probes one open-addressing table; a --cpu-prof of it shows the time on the memory loads per sample (the table
  slot and the pooled stack it points to), i.e. it is memory-latency bound. Use \`ProfileMerger\` to merge incrementally
  (e.g. keep per-hour merges and merge those) rather than re-merging a day per request.
- buildFlameTree probes a (parent, frame) → child table once per stack frame not shared with the previous sample; on
  the 1M-node tree the samples come in random order, so most probes miss the cache.
- parsePprof time is mostly \`ProfileBuilder.add\` (a string key per sample) and GC, not protobuf decoding.
`;
const date = new Date().toISOString().slice(0, 10);
const cpu = os.cpus()[0]?.model ?? "unknown CPU";
let md = "## packages/profile\n\n";
const load = os
  .loadavg()
  .map((x) => x.toFixed(1))
  .join(" / ");
md += `Measured ${date} on ${cpu} (${os.cpus().length} cores), Node ${process.version}${quick ? ", --quick sizes" : ""}; wall time best and median of 3 runs, plus the least process CPU time (user+sys, includes GC threads).\n`;
md += `Load average at the end of the run: ${load}. Wall times are only meaningful on an idle machine; with other work on the box, read the CPU column.\n`;
md +=
  "Inputs are synthetic but shaped like a Python service (python/native/kernel frames, shared call-tree prefixes, 4 threads as labels).\n\n";
md += "Rerun: `pnpm --filter @perforator/profile build && pnpm --filter @perforator/profile bench`\n\n";
md += "| operation | input | wall best | wall median | CPU | notes |\n|---|---|---|---|---|---|\n";
for (const r of rows) md += `| ${r.name} | ${r.input} | ${r.best} | ${r.median} | ${r.cpu} | ${r.note} |\n`;
md += NOTES;
console.log(`\n${md}`);
if (!quick) {
  const out = join(here, "..", "..", "..", "docs", "bench", "profile.md");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, md);
  console.log(`wrote ${out}`);
}
