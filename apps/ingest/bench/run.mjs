// Ingest throughput over real HTTP on loopback: `pnpm --filter @perforator/ingest bench` (after build).
// Spawns dist/main.js (as deployed: its own process, compactor on), uploads realistic gzipped pprof
// (~48 KB, ~1,900 distinct stacks) from N concurrent keep-alive clients to POST /api/v1/profiles, on the embedded
// store and (when DATABASE_URL_TEST is set) PostgreSQL, with 1 and 2 worker processes. Reports profiles/s,
// p50/p99, the service's RSS and CPU (all its processes, from /proc), and the CPU split by stage from the
// service's own /metrics (perforator_ingest_stage_seconds). Writes docs/bench/ingest.md.
// Then it waits for the compactor (a nice'd thread of the primary) to put every upload into a rollup and reports
// the end-to-end rate: uploads accepted AND compacted per second, and all CPU spent for it.
// BENCH_UPLOADS (default 2000), BENCH_CLIENTS (default "8,32"), BENCH_WORKERS (default "1,2"), BENCH_CPU_PROF=dir.
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase } from "@perforator/db";
import pg from "pg";
import { realisticPprof } from "../dist/fixtures.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
const MAIN = path.resolve(here, "../dist/main.js");
const N = Number(process.env.BENCH_UPLOADS ?? 2000);
const CLIENTS = (process.env.BENCH_CLIENTS ?? "8,32").split(",").map(Number);
/** Uploads per one-minute window: like 100 hosts each sending one profile a minute. */
const PER_WINDOW = 100;
const WORKERS = (process.env.BENCH_WORKERS ?? "1,2").split(",").map(Number);
/** BENCH_COMPACTOR=off: ingest replicas without a compactor (it runs elsewhere); no e2e columns then. */
const COMPACTOR = (process.env.BENCH_COMPACTOR ?? "on").trim();
const CLK_TCK = 100;

function pct(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The service and its cluster workers: pid and every descendant. */
function tree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    for (const t of safeReaddir(`/proc/${out[i]}/task`)) {
      const kids = safeRead(`/proc/${out[i]}/task/${t}/children`).trim();
      if (kids) out.push(...kids.split(/\s+/).map(Number));
    }
  }
  return out;
}
function safeReaddir(d) {
  try {
    return readdirSync(d);
  } catch {
    return [];
  }
}
function safeRead(f) {
  try {
    return readFileSync(f, "utf8");
  } catch {
    return "";
  }
}
function cpuSeconds(pids) {
  let ticks = 0;
  for (const p of pids) {
    const f = safeRead(`/proc/${p}/stat`).split(") ")[1]?.split(" ");
    if (f) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / CLK_TCK;
}
function rssMiB(pids) {
  let kb = 0;
  for (const p of pids) kb += Number(/VmRSS:\s+(\d+)/.exec(safeRead(`/proc/${p}/status`))?.[1] ?? 0);
  return kb / 1024;
}

async function start(env) {
  const args = process.env.BENCH_CPU_PROF ? [`--cpu-prof`, `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...args, MAIN], { env, stdio: ["ignore", "pipe", "inherit"] });
  const url = await new Promise((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (c) => {
      buf += c.toString();
      const m = /"url":"(http:\/\/[^"]+)"[^\n]*listening/.exec(buf);
      if (m) resolve(m[1]);
      if (buf.length > 1e6) buf = buf.slice(-1e5);
    });
    child.on("exit", (code) => reject(new Error(`ingest exited (${code}) before listening:\n${buf}`)));
  });
  child.stdout.resume();
  return { child, url };
}

async function stop(child) {
  const done = new Promise((r) => child.on("exit", r));
  child.kill("SIGTERM");
  await done;
}

/** Waits until at most `left` profiles are outside a rollup; false on timeout. */
async function waitCompacted(env, left, timeoutMs) {
  const url = env.DATABASE_URL ?? `file:${path.join(env.PERFORATOR_DATA_DIR, "perforator.db")}`;
  const db = openDatabase({ url, dataDir: env.PERFORATOR_DATA_DIR });
  try {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await db.prisma.profile.count({ where: { rollupId: null } })) <= left) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  } finally {
    await db.close();
  }
}

async function stageSums(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = {};
  for (const m of text.matchAll(/perforator_ingest_stage_seconds_(sum|count)\{stage="(\w+)"\} ([\d.e+-]+)/g)) {
    out[m[2]] ??= {};
    out[m[2]][m[1]] = Number(m[3]);
  }
  return out;
}

/**
 * Uploads every body; upload i covers minute floor(i / PER_WINDOW) of a span that ended over a minute ago, so
 * the compactor may roll each window up as soon as it runs (as it does for live traffic 15 s after a minute).
 */
async function load(url, token, bodies, concurrency, tag, base) {
  const lat = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const i = next++;
        const s = performance.now();
        const from = base + Math.floor(i / PER_WINDOW) * 60;
        const q = `service=bench.${tag}&label=host:h${i % PER_WINDOW}&from=${from}&until=${from + 60}`;
        const r = await fetch(`${url}/api/v1/profiles?${q}`, {
          method: "POST",
          body: bodies[i],
          headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
        });
        await r.arrayBuffer();
        if (r.status !== 201) {
          if (errors++ < 3) console.error(`${tag}: HTTP ${r.status}`);
          continue;
        }
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  return { n: lat.length, errors, secs, rate: lat.length / secs, p50: pct(lat, 0.5), p99: pct(lat, 0.99) };
}

console.log(`generating ${N} distinct profiles…`);
const bodies = Array.from({ length: N }, (_, i) => realisticPprof(1000 + i));
const avgKiB = bodies.reduce((n, b) => n + b.length, 0) / N / 1024;
const warm = Array.from({ length: 40 }, (_, i) => realisticPprof(900_000 + i));

const backends = [{ name: "embedded (SQLite + files)", env: {} }];
const pgUrl = process.env.DATABASE_URL_TEST?.trim();
if (pgUrl) backends.push({ name: "PostgreSQL + files", pg: pgUrl });

const rows = [];
for (const backend of backends) {
  for (const workers of WORKERS) {
    for (const clients of CLIENTS) {
      const dir = mkdtempSync(path.join(tmpdir(), "perforator-ingest-bench-"));
      let schema;
      const env = { ...process.env, PORT: "0", HOST: "127.0.0.1", PERFORATOR_DATA_DIR: dir, LOG_LEVEL: "info" };
      env.PERFORATOR_WORKERS = String(workers);
      env.PERFORATOR_COMPACTOR = COMPACTOR;
      delete env.DATABASE_URL;
      if (backend.pg) {
        schema = `bench_${randomBytes(4).toString("hex")}`;
        const u = new URL(backend.pg);
        u.searchParams.set("schema", schema);
        env.DATABASE_URL = u.toString();
      }
      const { child, url } = await start(env);
      try {
        const token = readFileSync(path.join(dir, "ingest-token"), "utf8").trim();
        // Minutes that closed before the run: [base, base + windows) in unix seconds.
        const windows = Math.ceil(N / PER_WINDOW);
        const base = (Math.floor(Date.now() / 60_000) - windows - 2) * 60;
        await load(url, token, warm, clients, "warm", base); // JIT, page cache, pools
        if (COMPACTOR === "on") await waitCompacted(env, 0, 300_000); // the warm-up's windows too, so the drain below measures the run
        const pids = tree(child.pid);
        const before = await stageSums(url);
        const cpu0 = cpuSeconds(pids);
        const la = loadavg()[0];
        const t0 = performance.now();
        const client0 = process.cpuUsage();
        const r = await load(url, token, bodies, clients, `w${workers}c${clients}`, base);
        const cpu = cpuSeconds(tree(child.pid)) - cpu0;
        const client = process.cpuUsage(client0);
        const after = await stageSums(url);
        const drained = COMPACTOR === "on" && (await waitCompacted(env, 0, 600_000));
        const e2eSecs = (performance.now() - t0) / 1000;
        const cpuAll = cpuSeconds(tree(child.pid)) - cpu0;
        const stage = (s) =>
          after[s] ? ((after[s].sum - (before[s]?.sum ?? 0)) / (after[s].count - (before[s]?.count ?? 0))) * 1000 : NaN;
        const row = {
          backend: backend.name,
          workers,
          clients,
          ...r,
          rss: rssMiB(tree(child.pid)),
          cpuMs: (cpu / r.n) * 1000,
          clientMs: (client.user + client.system) / 1000 / r.n,
          inflate: stage("inflate"),
          parse: stage("scan"),
          store: stage("store"),
          e2eRate: drained ? r.n / e2eSecs : NaN,
          e2eCpuMs: (cpuAll / r.n) * 1000,
          load: la,
        };
        rows.push(row);
        console.log(JSON.stringify(row));
      } finally {
        await stop(child);
        rmSync(dir, { recursive: true, force: true });
        if (schema) {
          const c = new pg.Client({ connectionString: backend.pg });
          await c.connect();
          await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await c.end();
        }
      }
    }
  }
}

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "-");
const table = rows
  .map(
    (r) =>
      `| ${r.backend}${COMPACTOR === "on" ? "" : ", compactor off"} | ${r.workers} | ${r.clients} | ${r.n}${r.errors ? ` (+${r.errors} errors)` : ""} | **${r.rate.toFixed(0)}** | ${f1(r.p50)} | ${f1(r.p99)} | ${r.rss.toFixed(0)} | ${f1(r.cpuMs)} | ${f1(r.clientMs)} | ${f1(r.inflate)} / ${f1(r.parse)} / ${f1(r.store)} | ${COMPACTOR !== "on" ? "—" : Number.isFinite(r.e2eRate) ? r.e2eRate.toFixed(0) : "not drained"} | ${f1(r.e2eCpuMs)} | ${r.load.toFixed(1)} |`,
  )
  .join("\n");
const generated = `## ingest (apps/ingest)

\`pnpm --filter @perforator/ingest bench\` (after \`pnpm build\`; set \`DATABASE_URL_TEST\` for the PostgreSQL rows):
\`POST /api/v1/profiles\` over real HTTP on 127.0.0.1 to a spawned \`dist/main.js\` (compactor on, as deployed), ${N}
distinct realistic gzipped pprof uploads (${avgKiB.toFixed(1)} KiB each, ~1,900 distinct stacks of 10–20 frames) per row
from N concurrent keep-alive clients, after 40 warm-up uploads; ${PER_WINDOW} uploads per one-minute window (as from
${PER_WINDOW} hosts), in minutes that already closed. Workers = \`PERFORATOR_WORKERS\` (node:cluster processes sharing
the port). RSS and CPU cover every process of the service (from /proc). **profiles/s**, p50/p99 and CPU ms/profile are
the upload phase (an upload is answered once its row is committed); client CPU ms = the bench client's own CPU
per upload (it shares the 2 cores); the stage split is the service's own
\`perforator_ingest_stage_seconds\` (mean wall time per upload: gunzip / pprof scan (other formats: parse) / store =
blob + row). **e2e/s** = uploads per second from the first upload until the compactor (a nice 10 thread of the
primary) has put every one into a 1-minute rollup, and e2e CPU ms = all CPU of the service for that, per upload. The
bench client runs on the same 2 cores. ${cpus().length} CPUs, Node ${process.versions.node}, measured
${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC; load = 1-minute load average when the row started.
Target: ≥ 500 profiles/s with p99 ≤ 100 ms.

| store | workers | clients | uploads | profiles/s | p50 ms | p99 ms | RSS MiB | CPU ms/profile | client CPU ms | inflate / scan / store ms | e2e/s | e2e CPU ms | load |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|
${table}
`;
const docPath = path.join(root, "docs", "bench", "ingest.md");
const MARK = "<!-- notes below are kept across reruns -->";
const old = safeRead(docPath);
const notes = old.includes(MARK) ? old.slice(old.indexOf(MARK)) : `${MARK}\n`;
writeFileSync(docPath, `${generated}\n${notes}`);
try {
  execFileSync(path.join(root, "node_modules", ".bin", "biome"), ["format", "--write", docPath], { stdio: "ignore" });
} catch {
  console.warn("biome format failed on docs/bench/ingest.md; run `pnpm exec biome format --write` on it");
}
console.log(generated);
