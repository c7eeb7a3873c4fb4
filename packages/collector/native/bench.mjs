#!/usr/bin/env node
// Cost of the eBPF sampler against a busy Python 3.12 process (nested functions, one hot thread), at 99 Hz and 999 Hz:
//   - userspace CPU of perforator-sampler (utime+stime from /proc/PID/stat) per recorded second, flushing every second
//   - the BPF program's own cost: run_time_ns / run_cnt from `bpftool prog show` with kernel.bpf_stats_enabled=1
// Writes docs/bench/sampler.md (and prints it).
//
//   node packages/collector/native/bench.mjs          (BENCH_SECONDS=10 by default; needs root and a built sampler)
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { requirePython } from "../dist/index.js";

const PKG = fileURLToPath(new URL("..", import.meta.url));
const ROOT = join(PKG, "../..");
const BIN = join(PKG, "build/perforator-sampler");
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PYV = "3.12.1";
const PY = requirePython(PYV).executable;
const CLK_TCK = 100;

execFileSync("bash", [join(PKG, "native/build.sh")], { stdio: "inherit" });

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

async function pyCommand(pid) {
  // The collector's own discovery (src/python) and protocol formatter, from the built package.
  const { detectPython } = await import(join(PKG, "dist/python/index.js"));
  const { formatPyCommand } = await import(join(PKG, "dist/sampler/protocol.js"));
  const found = detectPython(pid);
  if (!found || "unsupported" in found) throw new Error(`no supported Python in pid ${pid}`);
  return formatPyCommand(pid, found.bpfConfig);
}

const dir = mkdtempSync(join(tmpdir(), "perforator-sampler-bench-"));
const script = join(dir, "busy.py");
writeFileSync(
  script,
  `
import json
def leaf(n):
    return json.dumps({"k": list(range(n))})
def mid(n):
    return [leaf(n) for _ in range(10)]
def top():
    print("ready", flush=True)
    while True:
        mid(50)
top()
`,
);

function startTarget() {
  return new Promise((resolve, reject) => {
    const p = spawn(PY, [script], { stdio: ["ignore", "pipe", "inherit"] });
    p.stdout.once("data", () => resolve(p));
    p.on("error", reject);
  });
}

function progStats(progId) {
  const p = JSON.parse(execFileSync("bpftool", ["prog", "show", "id", String(progId), "--json"], { encoding: "utf8" }));
  return { ns: Number(p.run_time_ns ?? 0), cnt: Number(p.run_cnt ?? 0) };
}

async function run(freq, target, withPython) {
  const s = spawn(BIN, ["--freq", String(freq)], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: s.stdout });
  const queue = [];
  let wake = null;
  lines.on("line", (l) => {
    queue.push(l);
    wake?.();
  });
  const next = async () => {
    while (!queue.length) await new Promise((r) => (wake = r));
    return queue.shift();
  };
  const until = async (pred) => {
    for (;;) {
      const l = await next();
      if (l.startsWith("error")) throw new Error(l);
      if (pred(l)) return l;
    }
  };
  const ready = await until((l) => l.startsWith("ready"));
  const progId = Number(/prog=(\d+)/.exec(ready)[1]);
  s.stdin.write(withPython ? `${await pyCommand(target.pid)}\n` : `pid ${target.pid}\n`);
  await until((l) => l.startsWith("ok "));

  const cpu0 = cpuSeconds(s.pid);
  const bpf0 = progStats(progId);
  const t0 = process.hrtime.bigint();
  let samples = 0;
  let lost = 0;
  const drops = {};
  let stacks = 0;
  let pyOk = 0;
  let pyTotal = 0;
  const flushMs = freq > 250 ? 250 : 1000; // what src/sampler/sampler.ts does by default
  const flushes = Math.round((SECONDS * 1000) / flushMs);
  for (let i = 0; i < flushes; i++) {
    await new Promise((r) => setTimeout(r, flushMs));
    s.stdin.write("flush\n");
    for (;;) {
      const l = await next();
      if (l.startsWith("s ")) {
        stacks++;
        const f = l.split(" ");
        pyTotal += Number(f[3]);
        if (f[4] === "0" && f[9] !== "-") pyOk += Number(f[3]);
      } else if (l.startsWith("drops")) {
        samples += Number(/samples=(\d+)/.exec(l)[1]);
        lost += Number(/lost=(\d+)/.exec(l)[1]);
        for (const m of l.matchAll(/ (\w+)=(\d+)/g))
          if (m[1] !== "samples" && m[1] !== "lost") drops[m[1]] = (drops[m[1]] ?? 0) + Number(m[2]);
      } else if (l.startsWith("end")) break;
    }
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds(s.pid) - cpu0;
  const bpf1 = progStats(progId);
  s.stdin.end("quit\n");
  await new Promise((r) => s.on("close", r));
  const runs = bpf1.cnt - bpf0.cnt;
  const bpfNs = bpf1.ns - bpf0.ns;
  return {
    freq,
    withPython,
    wall,
    samplesPerS: samples / wall,
    lost,
    drops,
    bpfNsPerSample: samples ? bpfNs / samples : 0,
    flushMs,
    stacksPerFlush: stacks / flushes,
    pyShare: pyTotal ? pyOk / pyTotal : 0,
    userCpuPerS: cpu / wall,
    bpfRunsPerS: runs / wall,
    bpfNsPerRun: runs ? bpfNs / runs : 0,
    bpfCpuPerS: bpfNs / 1e9 / wall,
  };
}

const prevStats = readFileSync("/proc/sys/kernel/bpf_stats_enabled", "utf8").trim();
writeFileSync("/proc/sys/kernel/bpf_stats_enabled", "1");
const target = await startTarget();
const results = [];
try {
  for (const f of [99, 999]) results.push(await run(f, target, true));
  results.push(await run(999, target, false)); // the cost of the Python walk, by difference
} finally {
  target.kill("SIGKILL");
  writeFileSync("/proc/sys/kernel/bpf_stats_enabled", prevStats);
}

const fmt = (x, d = 4) => x.toFixed(d);
const dropsText = (d) =>
  Object.entries(d)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ") || "0";
const rows = results
  .map(
    (r) =>
      `| ${r.freq} Hz${r.withPython ? "" : ", native only"} | ${r.flushMs} ms | ${fmt(r.samplesPerS, 0)} | ${r.lost} / ${dropsText(r.drops)} | ${fmt(r.stacksPerFlush, 0)} | ` +
      `${fmt(100 * r.pyShare, 1)}% | ${fmt(r.userCpuPerS)} | ${fmt(r.bpfRunsPerS, 0)} | ${fmt(r.bpfNsPerRun / 1000, 1)} µs | ` +
      `${fmt(r.bpfNsPerSample / 1000, 1)} µs | ${fmt(r.bpfCpuPerS)} |`,
  )
  .join("\n");
const md = `## sampler (eBPF, packages/collector/native)

Command: \`node packages/collector/native/bench.mjs\` (root; BENCH_SECONDS=${SECONDS}). Target: one busy Python ${PYV}
thread (json.dumps under three nested functions), sampled with its Python stack; flushed as often as the TypeScript \`Sampler\` drains by default.
Measured ${new Date().toISOString().slice(0, 16)}Z on ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), shared with
other work, so sample rates can be below nominal.

| rate | flush every | samples/s (target) | lost / drops | distinct stacks/flush | samples with a Python stack | sampler userspace CPU s/s | BPF runs/s (all CPUs) | BPF time/run | BPF time per traced sample | BPF CPU s/s |
|---|---|---|---|---|---|---|---|---|---|---|
${rows}

- "native only": the same target traced with \`pid\` instead of \`py\` (no Python walk), to isolate the walk's cost.
- "sampler userspace CPU s/s": utime+stime of \`perforator-sampler\` per wall second (flushing and printing).
- "BPF time/run": \`run_time_ns / run_cnt\` of \`on_sample\` (kernel.bpf_stats_enabled=1); runs include samples of
  untraced tasks on the same CPUs, which return after one map lookup. "BPF time per traced sample" charges all of it
  to the target's samples (an upper bound for one sample with a 6-deep Python walk). "BPF CPU s/s" is the total
  in-kernel cost. "drops" lists the non-zero counters of the \`drops\` lines (see native/PROTOCOL.md).
`;
writeFileSync(join(ROOT, "docs/bench/sampler.md"), md);
console.log(md);
