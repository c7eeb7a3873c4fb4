#!/usr/bin/env node
// Overhead of `perforator agent` itself in steady state: 10 Python 3.12 targets (test/workloads/busy.py, each on the
// CPU DUTY of the time) profiled at 99 Hz, found by --process-regex (the same /proc scan every 2 s as --python),
// one profile per target process every INTERVAL uploaded to a stand-in ingest (a 201 answer, in this process, not measured).
// After WARMUP seconds, the agent's CPU (node process, every thread, plus its sampler process; from
// /proc/PID/task/TID/schedstat) over MEASURE seconds, and its RSS (VmRSS, sampled every 2 s). Writes docs/bench/agent.md.
//
//   node packages/collector/bench/agent.mjs      (root; after `pnpm --filter @perforator/collector build`)
//
// Environment: TARGETS (10), DUTY (0.1), FREQ (99), INTERVAL (60s), WARMUP_SECONDS (30), MEASURE_SECONDS (180),
// PERFORATOR_BENCH_PYTHON (default: Python 3.12.1 found by src/python/interpreters.ts).
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { requirePython } from "../dist/index.js";

const PKG = fileURLToPath(new URL("..", import.meta.url));
const ROOT = join(PKG, "../..");
const CLI = join(PKG, "dist/cli.js");
const PY = process.env.PERFORATOR_BENCH_PYTHON ?? requirePython("3.12.1").executable;
const TARGETS = Number(process.env.TARGETS ?? 10);
const DUTY = Number(process.env.DUTY ?? 0.1);
const FREQ = Number(process.env.FREQ ?? 99);
const INTERVAL = process.env.INTERVAL ?? "60s";
const WARMUP_S = Number(process.env.WARMUP_SECONDS ?? 30);
const MEASURE_S = Number(process.env.MEASURE_SECONDS ?? 180);
const TAG = `perforator-bench-agent-${process.pid}`;

function cpuSeconds(pid) {
  let total = 0;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]) / 1e9;
      } catch {
        // thread gone meanwhile
      }
    }
  } catch {
    return undefined;
  }
  return total;
}

function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** `60s`, `1m`, `90` (seconds) → seconds; 0 when unreadable. */
function parseDurationS(text) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return 0;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? "s"];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  let uploads = 0;
  let uploadBytes = 0;
  const ingest = http.createServer((req, res) => {
    let n = 0;
    req.on("data", (d) => {
      n += d.length;
    });
    req.on("end", () => {
      uploads++;
      uploadBytes += n;
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: String(uploads), url: `http://web/p/${uploads}` }));
    });
  });
  await new Promise((r) => ingest.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${ingest.address().port}`;

  const targets = [];
  for (let i = 0; i < TARGETS; i++) {
    const p = spawn(PY, [join(PKG, "test/workloads/busy.py"), String(DUTY), TAG], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise((r) => p.stdout.once("data", r));
    targets.push(p);
  }
  const spool = mkdtempSync(join(tmpdir(), "perforator-bench-spool-"));
  let log = "";
  const agent = spawn(
    process.execPath,
    [
      CLI,
      "agent",
      "--url",
      url,
      "--token",
      "bench",
      "--process-regex",
      TAG,
      "-F",
      String(FREQ),
      "--interval",
      INTERVAL,
      "--spool-dir",
      spool,
    ],
    { stdio: ["ignore", "inherit", "pipe"] },
  );
  agent.stderr.on("data", (d) => {
    log += d.toString();
  });
  const load0 = loadavg();
  try {
    await sleep(WARMUP_S * 1000);
    const sampler = childrenOf(agent.pid)[0];
    if (!sampler) throw new Error(`the agent has no sampler process; its log:\n${log}`);
    const c0 = { agent: cpuSeconds(agent.pid), sampler: cpuSeconds(sampler) };
    const u0 = uploads;
    const rss = [];
    const t0 = Date.now();
    while (Date.now() - t0 < MEASURE_S * 1000) {
      await sleep(2000);
      rss.push({ agent: rssMb(agent.pid), sampler: rssMb(sampler) });
    }
    const secs = (Date.now() - t0) / 1000;
    const c1 = { agent: cpuSeconds(agent.pid), sampler: cpuSeconds(sampler) };
    const load1 = loadavg();
    const pct = (a, b) => ((100 * (b - a)) / secs).toFixed(2);
    const agentPct = pct(c0.agent, c1.agent);
    const samplerPct = pct(c0.sampler, c1.sampler);
    const totalPct = pct(c0.agent + c0.sampler, c1.agent + c1.sampler);
    const maxAgent = Math.max(...rss.map((r) => r.agent));
    const maxSampler = Math.max(...rss.map((r) => r.sampler));
    const intervals = [...log.matchAll(/spooled (\d+) profile\(s\): (.*); /g)];
    const samples = intervals
      .slice(-3)
      .map((m) => [...m[2].matchAll(/(\d+) samples/g)].reduce((a, x) => a + Number(x[1]), 0));
    const md = `## Agent (\`perforator agent\`): its own CPU and memory in steady state

\`node packages/collector/bench/agent.mjs\` (root; ${MEASURE_S} s measured after ${WARMUP_S} s of warm-up). ${TARGETS} Python 3.12
targets (\`test/workloads/busy.py ${DUTY}\`: each on the CPU ${Math.round(DUTY * 100)}% of the time, ~${Math.round(TARGETS * DUTY * FREQ)} samples/s in all) found
by \`--process-regex\` (the same /proc scan every 2 s as \`--python\`), sampled at ${FREQ} Hz, one profile per target process every
${INTERVAL} uploaded to a stand-in ingest in the benchmark process. CPU from /proc/PID/task/TID/schedstat (every thread),
RSS from VmRSS every 2 s. Goal: at most 1% of one core and 150 MB.

| what | value |
| --- | --- |
| agent CPU, % of one core (node process, all threads) | ${agentPct}% |
| sampler process CPU | ${samplerPct}% |
| **total CPU** | **${totalPct}%** |
| **RSS, node process (max over the window)** | **${maxAgent.toFixed(1)} MB** |
| RSS, sampler process (max) | ${maxSampler.toFixed(1)} MB |
| uploads in the window | ${uploads - u0} (${(uploadBytes / Math.max(1, uploads) / 1024).toFixed(1)} KB each on average) |
| samples per interval (last ${samples.length}) | ${samples.join(", ")} (the targets asked for ~${Math.round(TARGETS * DUTY * FREQ * (parseDurationS(INTERVAL) || 60))}; fewer means they got less CPU on a busy machine, and the agent had fewer stacks to handle) |
| load average (1 min) at start / end | ${load0[0].toFixed(2)} / ${load1[0].toFixed(2)} (${cpus().length} CPUs, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; the machine was shared with other jobs) |

Kernel-side cost (the BPF program on each sample) is paid by the targets and is the same as for \`perforator record\`
(see the collector section). The agent wakes every 2 s to look for new targets, every 5 s to flush the sampler, and
once per interval to hand over and upload.
`;
    writeFileSync(join(ROOT, "docs/bench/agent.md"), md);
    console.log(md);
  } finally {
    agent.kill("SIGTERM");
    await new Promise((r) => agent.once("exit", r));
    for (const t of targets) t.kill("SIGKILL");
    ingest.close();
  }
  execFileSync(process.execPath, [join(ROOT, "scripts/bench-doc.mjs")], { stdio: "inherit" });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
