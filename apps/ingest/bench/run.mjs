// Ingest throughput over real HTTP on loopback, embedded SQLite, one process:
// `pnpm --filter @perforator/ingest bench` (after build). Writes docs/bench/ingest.md.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase } from "@perforator/db";
import { ProfileBuilder, toPprof } from "@perforator/profile";
import { buildApp } from "../dist/app.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const N = Number(process.env.BENCH_UPLOADS ?? 400);

/** A Python-server-like profile: `stacks` distinct stacks, 20 frames deep. */
function makeProfile(seed, stacks) {
  const b = new ProfileBuilder([{ type: "cpu", unit: "nanoseconds" }], {
    timeNanos: Date.now() * 1e6,
    durationNanos: 10e9,
  });
  const fr = (name, line) => ({ name, file: `/srv/app/${name.split(".")[0]}.py`, line, kind: "python", module: "" });
  for (let s = 0; s < stacks; s++) {
    const stack = [];
    for (let d = 0; d < 20; d++) stack.push(fr(`mod${(s * 7 + d) % 13}.func_${d}_${(s + d + seed) % 31}`, 10 + d));
    b.addFrames(stack, [((s * 2654435761 + seed) % 97) * 10_101_010 + 10_101_010]);
  }
  return b.build();
}

function folded(p) {
  return p.samples
    .map((s) => `${s.stack.map((i) => p.frames[i].name).join(";")} ${s.values[0] / 10_101_010}`)
    .join("\n");
}

function pct(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

async function run(label, url, bodies, concurrency, contentType) {
  const lat = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const s = performance.now();
        const r = await fetch(url, { method: "POST", body, headers: { "content-type": contentType } });
        if (r.status !== 200) throw new Error(`${label}: HTTP ${r.status} ${await r.text()}`);
        await r.arrayBuffer();
        lat.push(performance.now() - s);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  const bytes = bodies.reduce((n, b) => n + b.length, 0) / bodies.length;
  return {
    label,
    n: bodies.length,
    concurrency,
    bytes,
    rate: bodies.length / secs,
    p50: pct(lat, 0.5),
    p99: pct(lat, 0.99),
  };
}

const loadAvg = loadavg()[0].toFixed(1);
const dir = mkdtempSync(path.join(tmpdir(), "perforator-ingest-bench-"));
const db = openDatabase({ url: `file:${path.join(dir, "bench.db")}`, dataDir: dir });
await db.migrate();
const app = buildApp({ db });
const address = await app.listen({ host: "127.0.0.1", port: 0 });
const rows = [];
try {
  const foldedBodies = Array.from({ length: N }, (_, i) => Buffer.from(folded(makeProfile(i, 200))));
  const pprofBodies = Array.from({ length: N }, (_, i) => Buffer.from(toPprof(makeProfile(i + N, 200))));
  // Warm up (JIT, SQLite page cache) without counting.
  await run("warmup", `${address}/ingest?name=warm&format=folded`, foldedBodies.slice(0, 30), 1, "text/plain");
  rows.push(
    await run(
      "folded, 200 stacks",
      `${address}/ingest?name=bench.folded.cpu&format=folded`,
      foldedBodies,
      1,
      "text/plain",
    ),
  );
  rows.push(
    await run(
      "pprof.gz, 200 stacks",
      `${address}/ingest?name=bench.pprof&format=pprof`,
      pprofBodies,
      1,
      "application/octet-stream",
    ),
  );
  rows.push(
    await run(
      "pprof.gz, 200 stacks",
      `${address}/ingest?name=bench.pprof4&format=pprof`,
      pprofBodies.map((b) => Buffer.concat([b])),
      4,
      "application/octet-stream",
    ),
  );
} finally {
  await app.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
}

const table = rows
  .map(
    (r) =>
      `| ${r.label} | ${(r.bytes / 1024).toFixed(1)} KiB | ${r.concurrency} | ${r.n} | ${r.rate.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} |`,
  )
  .join("\n");
const md = `## ingest (apps/ingest)

\`pnpm --filter @perforator/ingest bench\` (after \`pnpm build\`): \`POST /ingest\` over real HTTP on 127.0.0.1, one ingest
process, embedded SQLite (WAL) + file blobs in a temp dir; each upload is parsed, its blob written and its metadata
inserted. ${cpus().length} CPUs, Node ${process.versions.node}, 1-minute load average ${loadAvg} when it started (other work on
the machine slows every number), measured ${new Date().toISOString().slice(0, 10)}.

| upload | body | clients | uploads | uploads/s | p50 ms | p99 ms |
|---|---|---|---|---|---|---|
${table}
`;
const docPath = path.join(root, "docs", "bench", "ingest.md");
writeFileSync(docPath, md);
try {
  // Keep the report in the repository's formatting (biome formats Markdown tables too).
  execFileSync(path.join(root, "node_modules", ".bin", "biome"), ["format", "--write", docPath], { stdio: "ignore" });
} catch {
  console.warn("biome format failed on docs/bench/ingest.md; run `pnpm exec biome format --write` on it");
}
console.log(md);
