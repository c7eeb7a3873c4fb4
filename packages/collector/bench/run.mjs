#!/usr/bin/env node
// Overhead of `perforator record` on the tutorial server (test/workloads/server.py, Python 3.12): loopback
// throughput with and without recording at 99 Hz and 999 Hz, measured as many short interleaved off/on pairs
// (order alternated ABBA so drift cancels) and reported as the median and spread of the per-pair ratios; the
// collector's own CPU (CLI node process + native sampler process, from /proc/PID/stat) per recorded second;
// startup CPU; lost samples. Writes docs/bench/collector.md.
//
//   pnpm --filter @perforator/collector bench
//
// Environment: PAIRS (8), PHASE_SECONDS (6), SETTLE_SECONDS (5), LONG_WARMUP_SECONDS (20), LONG_SECONDS (40),
// CONCURRENCY (4), PIN (1: server on CPU 1, load generator on CPU 0, when there are at least 2 CPUs). Needs root (eBPF) and a built package
// (`pnpm --filter @perforator/collector build`).
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { requirePython } from "../dist/index.js";

const PKG = fileURLToPath(new URL("..", import.meta.url));
const ROOT = join(PKG, "../..");
const CLI = join(PKG, "dist/cli.js");
// PERFORATOR_BENCH_PYTHON: an interpreter to use instead of the discovered 3.12.1 (e.g. /usr/bin/python3.11).
const PY = process.env.PERFORATOR_BENCH_PYTHON ?? requirePython("3.12.1").executable;
const PY_VERSION = execFileSync(PY, ["-c", "import platform; print(platform.python_version())"], {
  encoding: "utf8",
}).trim();
const PAIRS = Number(process.env.PAIRS ?? 8);
const PHASE_S = Number(process.env.PHASE_SECONDS ?? 6);
const LONG_WARM_S = Number(process.env.LONG_WARMUP_SECONDS ?? 30);
const LONG_S = Number(process.env.LONG_SECONDS ?? 90);
const SETTLE_S = Number(process.env.SETTLE_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const PIN = process.env.PIN !== "0" && cpus().length >= 2;

/**
 * CPU seconds used so far by every thread of `pid` (sum of /proc/PID/task/TID/schedstat: nanoseconds on CPU, exact,
 * where /proc/PID/stat's utime+stime count 10 ms ticks), split into the main thread and the others (for Node: V8's
 * GC and compiler helper threads). undefined when the process is gone.
 */
function cpuSeconds(pid) {
  let main = 0;
  let other = 0;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      let ns = 0;
      try {
        ns = Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        continue; // thread gone meanwhile
      }
      if (Number(t) === pid) main += ns / 1e9;
      else other += ns / 1e9;
    }
  } catch {
    return undefined;
  }
  return { main, other, total: main + other };
}

function childrenOf(pid) {
  const out = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const c = readFileSync(`/proc/${pid}/task/${t}/children`, "utf8").trim();
      if (c) out.push(...c.split(/\s+/).map(Number));
    }
  } catch {
    // gone
  }
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startServer() {
  return new Promise((resolve, reject) => {
    const script = join(PKG, "test/workloads/server.py");
    const p = PIN
      ? spawn("taskset", ["-c", "1", PY, script, "0"], { stdio: ["ignore", "pipe", "inherit"] })
      : spawn(PY, [script, "0"], { stdio: ["ignore", "pipe", "inherit"] });
    let buf = "";
    p.stdout.on("data", (d) => {
      buf += d;
      const m = /Serving on port (\d+)/.exec(buf);
      if (m) resolve({ proc: p, port: Number(m[1]) });
    });
    p.on("exit", (c) => reject(new Error(`server exited with ${c}`)));
  });
}

/** CONCURRENCY loops of GET /search_user?user_id=<random> for `seconds`; returns requests/s. */
let seed = 12345;
async function load(port, seconds) {
  const agent = new http.Agent({ keepAlive: false, maxSockets: CONCURRENCY });
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  let errors = 0;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return 1 + (seed % 1000000);
  };
  const one = (id) =>
    new Promise((resolve) => {
      const req = http.get({ host: "127.0.0.1", port, path: `/search_user?user_id=${id}`, agent }, (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode === 200));
      });
      req.on("error", () => resolve(false));
    });
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        if (await one(rnd())) done++;
        else errors++;
      }
    }),
  );
  agent.destroy();
  return { rps: done / ((performance.now() - start) / 1000), done, errors };
}

/**
 * One "on" phase: starts `perforator record` on the server at `freq`, lets it settle under load for SETTLE_S
 * (node start, BPF load, Python detection, first symbolization: the startup CPU), then measures throughput and the
 * collector's CPU for PHASE_S while it keeps recording, and waits for it to finish.
 */
async function recordedPhase(server, freq, dir, i, settleS = SETTLE_S, phaseS = PHASE_S) {
  const out = join(dir, `bench-${freq}-${i}.pb.gz`);
  const args = [CLI, "record", "-p", String(server.proc.pid), "-F", String(freq), "-d", `${settleS + phaseS + 1}s`];
  args.push("-f", "pprof", "-o", out);
  // The bench process is pinned to CPU 0: let the collector run anywhere, as it would for a user.
  const rec = PIN
    ? spawn("taskset", ["-c", `0-${cpus().length - 1}`, process.execPath, ...args], {
        stdio: ["ignore", "ignore", "pipe"],
      })
    : spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  rec.stderr.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise((r) => rec.on("close", (code) => r(code)));
  // [node main thread, node's other threads, sampler process(es)]
  const cpuNow = (samplers) => {
    const n = cpuSeconds(rec.pid) ?? { main: 0, other: 0 };
    return [n.main, n.other, samplers.reduce((t, p) => t + (cpuSeconds(p)?.total ?? 0), 0)];
  };
  await sleep(500);
  await load(server.port, settleS - 0.5);
  const samplers = childrenOf(rec.pid);
  const c0 = cpuNow(samplers);
  const t0 = performance.now();
  const result = await load(server.port, phaseS);
  const c1 = cpuNow(samplers);
  const wall = (performance.now() - t0) / 1000;
  const per = c1.map((v, i) => (v - c0[i]) / wall);
  const code = await exited;
  if (code !== 0) throw new Error(`perforator record exited with ${code}:\n${stderr}`);
  const m = /: ([\d,]+) samples?, ([\d,]+) lost/.exec(stderr);
  const num = (s) => Number(String(s).replace(/,/g, ""));
  return {
    ...result,
    startupCpu: c0[0] + c0[1] + c0[2],
    cpuPerSecond: per[0] + per[1] + per[2],
    /** Per second of wall time: node main thread, node's helper threads, native sampler. */
    cpuSplit: per,
    samples: m ? num(m[1]) : Number.NaN,
    lost: m ? num(m[2]) : Number.NaN,
    summary: stderr.trim(),
  };
}

function quantile(sorted, q) {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function summarize(values) {
  const s = [...values].sort((a, b) => a - b);
  return { median: quantile(s, 0.5), q1: quantile(s, 0.25), q3: quantile(s, 0.75), min: s[0], max: s[s.length - 1] };
}

/** PAIRS off/on pairs at `freq`, ABBA order: off,on / on,off / off,on / ... */
async function series(server, freq, dir) {
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    const offFirst = i % 2 === 0;
    let off;
    if (offFirst) off = await load(server.port, PHASE_S);
    const on = await recordedPhase(server, freq, dir, i);
    if (!offFirst) off = await load(server.port, PHASE_S);
    pairs.push({ off, on, ratio: on.rps / off.rps });
    process.stderr.write(
      `${freq} Hz pair ${i + 1}/${PAIRS}: off ${off.rps.toFixed(1)} req/s, on ${on.rps.toFixed(1)} req/s, ` +
        `ratio ${(on.rps / off.rps).toFixed(3)}, collector ${(on.cpuPerSecond * 100).toFixed(2)}% of a core\n`,
    );
  }
  return pairs;
}

const splitText = ([main, other, sampler]) =>
  `node main thread ${(main * 100).toFixed(2)}%, node helper threads ${(other * 100).toFixed(2)}%, sampler ${(sampler * 100).toFixed(2)}%`;

const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const loadBefore = loadavg();
if (PIN) execFileSync("taskset", ["-a", "-cp", "0", String(process.pid)], { stdio: "ignore" });
const dir = mkdtempSync(join(tmpdir(), "perforator-bench-"));
const server = await startServer();
try {
  await load(server.port, 3); // warm-up
  const results = [];
  for (const freq of [99, 999]) {
    const pairs = await series(server, freq, dir);
    // Continuous profiling runs for hours: the collector's CPU once the recording is past its first seconds
    // (startup, JIT warm-up, the first 10 s of frequent flushes), from one longer recording under the same load.
    const long = await recordedPhase(server, freq, dir, "long", LONG_WARM_S, LONG_S);
    process.stderr.write(
      `${freq} Hz long run: collector ${(long.cpuPerSecond * 100).toFixed(2)}% of a core (${splitText(long.cpuSplit)})\n`,
    );
    results.push({ freq, pairs, long });
  }
  const pct = (x) => `${(x * 100).toFixed(2)}%`;
  const f3 = (x) => x.toFixed(3);
  const rows = results.map(({ freq, pairs, long }) => {
    const ratio = summarize(pairs.map((p) => p.ratio));
    const cpu = summarize(pairs.map((p) => p.on.cpuPerSecond));
    const startup = summarize(pairs.map((p) => p.on.startupCpu));
    const off = summarize(pairs.map((p) => p.off.rps));
    const on = summarize(pairs.map((p) => p.on.rps));
    const samples = pairs.reduce((t, p) => t + p.on.samples, long.samples);
    const lost = pairs.reduce((t, p) => t + p.on.lost, long.lost);
    return [
      `${freq} Hz`,
      `${off.median.toFixed(1)} / ${on.median.toFixed(1)}`,
      `**${f3(ratio.median)}**`,
      `${f3(ratio.q1)}–${f3(ratio.q3)}`,
      `${f3(ratio.min)}–${f3(ratio.max)}`,
      `${pct(cpu.median)} (${pct(cpu.min)}–${pct(cpu.max)})`,
      `**${pct(long.cpuPerSecond)}**`,
      `${startup.median.toFixed(2)} s`,
      String(samples),
      String(lost),
    ];
  });
  const perPair = results
    .map(
      ({ freq, pairs }) =>
        `${freq} Hz: ${pairs.map((p) => `${p.off.rps.toFixed(0)}/${p.on.rps.toFixed(0)}`).join(", ")}`,
    )
    .join("\n");
  const date = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const md = `## Collector: overhead of \`perforator record\` on the tutorial server

Command: \`pnpm --filter @perforator/collector bench\` (as root, after \`pnpm --filter @perforator/collector build\`;
\`PAIRS\`, \`PHASE_SECONDS\`, \`SETTLE_SECONDS\`, \`LONG_WARMUP_SECONDS\`, \`LONG_SECONDS\`, \`CONCURRENCY\`, \`PIN=0\`
override the defaults; takes about 10 min).
Run: ${date}, ${cpus().length} CPUs, Python ${PY_VERSION}, ${CONCURRENCY} concurrent plain
(non-keep-alive; the server speaks HTTP/1.0) loopback requests from a Node load generator to
\`test/workloads/server.py\` (linear search).${PIN ? " Server pinned to CPU 1, load generator to CPU 0 (`taskset`); the collector is not pinned." : ""}

Method: at each frequency, ${PAIRS} pairs of an "off" phase (no recording) and an "on" phase (recording), ${PHASE_S} s
each, in ABBA order (off,on / on,off / ...), so slow drift of the machine cancels out within a pair. Each "on" phase is
its own \`perforator record -p PID -F HZ\`: it starts, records ${SETTLE_S} s under load before the measured window (its
startup: node start, BPF load, Python detection, first symbolization with /proc/kallsyms and the ELF symbol tables),
then the window is measured while it keeps recording. The throughput ratio is on/off per pair; the table gives the
median, the interquartile range and min–max over the pairs. Collector CPU = time on CPU of every thread of the
\`perforator\` node process and of its native sampler process (/proc/PID/task/TID/schedstat, in nanoseconds) over the
measured window, per second of wall time, as a share of one core (median and min–max over the pairs). Those windows are
5–11 s into a recording, still in its start (flushes every second for the first 10 s, JIT warm-up, V8 shrinking the
heap it grew while loading symbol tables), so the steady state of continuous profiling is measured on one more
recording under the same load: collector CPU from ${LONG_WARM_S} s to ${LONG_WARM_S + LONG_S} s ("long run").
Startup = CPU seconds of both processes before the window (median). Samples and lost: summed over all recordings.

| frequency | requests/s off / on (median) | throughput ratio (median) | IQR | min–max | collector CPU in the pairs | collector CPU, long run | startup CPU | samples | lost |
|---|---|---|---|---|---|---|---|---|---|
${rows.map((r) => `| ${r.join(" | ")} |`).join("\n")}

Long run split: ${results.map(({ freq, long }) => `${freq} Hz: ${splitText(long.cpuSplit)}`).join("; ")}.

Targets: ≥ 0.99 throughput ratio at 99 Hz; collector ≤ 0.5% of one core at 99 Hz (long run).
Machine load average (1/5/15 min) before: ${loadBefore}, after: ${loadavg()}. This is a shared 2-CPU machine: when the
load average is well above 2, other work competes with the server and the load generator, and single ratios move by
several percent; the median over pairs and the IQR say how far to trust the result.

Requests/s per pair (off/on):

\`\`\`
${perPair}
\`\`\`
`;
  mkdirSync(join(ROOT, "docs/bench"), { recursive: true });
  writeFileSync(join(ROOT, "docs/bench/collector.md"), md);
  console.log(md);
  console.log(results[0].pairs.at(-1).on.summary);
} finally {
  server.proc.kill("SIGKILL");
}
