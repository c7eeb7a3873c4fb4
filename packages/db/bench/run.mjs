// Benchmark for @perforator/db: a day of one-minute profiles of one service, stored, compacted, and merged by
// renderMerged (the server side of GET /api/v1/render), on SQLite and (with DATABASE_URL_TEST) PostgreSQL.
//   pnpm --filter @perforator/db build && pnpm --filter @perforator/db bench      writes docs/bench/db.md
//   node bench/run.mjs --quick                                                    144 profiles, prints only
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { merge, ProfileBuilder, parsePprof, toPprof } from "@perforator/profile";
import pg from "pg";
import { dayOfProfiles } from "../../profile/bench/inputs.mjs";
import { compact, createTeam, decodeRollup, openDatabase, renderMergedWithStats, storeProfile } from "../dist/index.js";

const quick = process.argv.includes("--quick");
const here = dirname(fileURLToPath(import.meta.url));
const N = quick ? 144 : 1440;
const STACKS = 5000;
const T0 = Date.UTC(2026, 10, 25, 0, 0, 0);
const MIN = 60_000;

const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`);
const rows = [];
function report(target, op, input, t, note = "") {
  const cpu = t.cpu === undefined ? "" : fmt(t.cpu);
  rows.push({ target, op, input, best: fmt(t.best), median: fmt(t.median), cpu, note });
  console.log(
    `${target.padEnd(9)} ${op.padEnd(40)} ${input.padEnd(44)} best ${fmt(t.best).padStart(8)} median ${fmt(t.median).padStart(8)} cpu ${cpu.padStart(8)}  ${note}`,
  );
}
/** Wall time best/median of `runs`, and the least process CPU time (user + sys) of one run. */
async function time(fn, runs) {
  const times = [];
  let cpu = Number.POSITIVE_INFINITY;
  let result;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    result = await fn();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  times.sort((a, b) => a - b);
  return { best: times[0], median: times[Math.floor(times.length / 2)], cpu, result };
}
const total = (p, vi) => p.samples.reduce((a, s) => a + s.values[vi], 0);

// Inputs: 24 distinct one-minute profiles (5,000 stacks each, 4 threads), repeated over the day as in the
// profile benchmark; two hosts alternate minute by minute (a profile label the label-filtered query uses).
const { profiles: variants, avgDepth } = dayOfProfiles(ProfileBuilder, 24, STACKS);
const bodies = variants.map((p) => toPprof(p, { gzip: true }));
const parsed = bodies.map((b) => parsePprof(b));
const bodyKb = (bodies.reduce((a, b) => a + b.byteLength, 0) / bodies.length / 1024).toFixed(0);
const dayTotal = Array.from({ length: N }, (_, i) => total(parsed[i % 24], 1)).reduce((a, b) => a + b, 0);
const web1Total = Array.from({ length: N }, (_, i) => (i % 2 === 1 ? total(parsed[i % 24], 1) : 0)).reduce(
  (a, b) => a + b,
  0,
);
const input = `${N} profiles × ${STACKS} stacks (depth ${avgDepth.toFixed(1)})`;

async function run(name, url, cleanup) {
  const dataDir = mkdtempSync(join(os.tmpdir(), "perforator-db-bench-"));
  const db = openDatabase({ url, dataDir });
  try {
    await db.migrate();
    const team = await createTeam(db, "bench");
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      await storeProfile(db, {
        teamId: team.id,
        service: "api",
        labels: { host: `web-${i % 2}` },
        from: new Date(T0 + i * MIN),
        until: new Date(T0 + (i + 1) * MIN),
        profile: parsed[i % 24],
        body: bodies[i % 24],
        format: "pprof",
      });
    }
    const storeMs = performance.now() - t0;
    report(
      name,
      "storeProfile (one process, serial)",
      input,
      { best: storeMs, median: storeMs },
      `${(storeMs / N).toFixed(1)} ms per upload of ~${bodyKb} kB pprof.gz`,
    );

    const c0 = performance.now();
    const c = await compact(db, { now: new Date(T0 + N * MIN + 3_600_000), maxProfiles: N });
    const compactMs = performance.now() - c0;
    if (c.errors.length) throw new Error(c.errors.join("; "));
    const sizes = await db.prisma.rollup.groupBy({ by: ["level"], _sum: { blobSize: true }, _count: { _all: true } });
    const sizeNote = sizes
      .sort((a, b) => a.level - b.level)
      .map((s) => `${s._count._all}×${s.level / 60}m ${(s._sum.blobSize / s._count._all / 1024).toFixed(0)} kB`)
      .join(", ");
    report(
      name,
      "compact (all levels)",
      input,
      { best: compactMs, median: compactMs },
      `${(compactMs / N).toFixed(1)} ms per profile; rollups ${sizeNote}`,
    );

    const render = async (label, from, until, matchers, expectTotal) => {
      const t = await time(
        () =>
          renderMergedWithStats(db, {
            teamId: team.id,
            service: "api",
            from: new Date(from),
            until: new Date(until),
            matchers,
          }),
        5,
      );
      const { profile, stats } = t.result;
      if (expectTotal !== undefined && total(profile, 1) !== expectTotal)
        throw new Error(`${label}: total ${total(profile, 1)} != ${expectTotal}`);
      const used = Object.entries(stats.rollups)
        .map(([l, n]) => `${n}×${Number(l) / 60}m`)
        .join(" + ");
      report(
        name,
        label,
        `${stats.profiles} profiles`,
        t,
        `→ ${profile.samples.length} samples; ${used}${stats.raw ? ` + ${stats.raw} raw` : ""}; db ${fmt(stats.dbMs)}, blobs ${fmt(stats.blobMs)}, merge ${fmt(stats.mergeMs)}`,
      );
      return profile;
    };
    await render("renderMerged, the day", T0, T0 + N * MIN - 1, undefined, dayTotal);
    await render("renderMerged, day minus 7.5 min edges", T0 + 7.5 * MIN, T0 + N * MIN - 7.5 * MIN);
    await render('renderMerged, the day, {host="web-1"}', T0, T0 + N * MIN - 1, '{host="web-1"}', web1Total);
    await render('renderMerged, {thread_name="MainThread"}', T0, T0 + N * MIN - 1, '{thread_name="MainThread"}');

    // Why rollups: the same hour merged from its bodies (parse every profile, merge()).
    const hour = await db.prisma.profile.findMany({
      where: { startTime: { gte: new Date(T0), lt: new Date(T0 + 3_600_000) } },
      select: { blobKey: true },
    });
    const tRaw = await time(async () => {
      const ps = [];
      for (const r of hour) ps.push(parsePprof(await db.blobs.get(r.blobKey)));
      return merge(ps);
    }, 1);
    report(
      name,
      "without rollups: parse + merge()",
      `${hour.length} profiles (one hour)`,
      tRaw,
      `×${(N / hour.length).toFixed(0)} for the day`,
    );
    if (name === "sqlite") {
      // Codec: the hour rollup (ours) vs the same merged hour as pprof.gz.
      const r = await db.prisma.rollup.findFirst({ where: { level: 3600 }, orderBy: { windowStart: "asc" } });
      const blob = await db.blobs.get(r.blobKey);
      const tDec = await time(async () => decodeRollup(blob), 5);
      report(
        name,
        "decodeRollup (1 h rollup)",
        `${(blob.byteLength / 1024).toFixed(0)} kB, ${tDec.result.seriesStack.length} series`,
        tDec,
      );
      const asPprof = toPprof(tRaw.result, { gzip: true });
      const tP = await time(async () => parsePprof(asPprof), 3);
      report(name, "parsePprof (same hour, merged)", `${(asPprof.byteLength / 1024).toFixed(0)} kB pprof.gz`, tP);
    }
  } finally {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
    await cleanup?.();
  }
}

await run("sqlite", `file:${join(mkdtempSync(join(os.tmpdir(), "perforator-db-bench-sqlite-")), "bench.db")}`);
const pgUrl = process.env.DATABASE_URL_TEST;
if (pgUrl) {
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const u = new URL(pgUrl);
  u.searchParams.set("schema", schema);
  await run("postgres", u.toString(), async () => {
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });
} else console.log("postgres: skipped (set DATABASE_URL_TEST=postgresql://… to measure it too)");

if (!quick) {
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  const load = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");
  const doc = join(here, "../../../docs/bench/db.md");
  let history = "";
  try {
    const old = readFileSync(doc, "utf8");
    const i = old.indexOf("<!-- history");
    if (i >= 0) history = `\n${old.slice(i)}`;
  } catch {}
  const table = rows
    .map((r) => `| ${r.target} | ${r.op} | ${r.input} | ${r.best} | ${r.median} | ${r.cpu} | ${r.note} |`)
    .join("\n");
  writeFileSync(
    doc,
    `## packages/db

Measured ${new Date().toISOString().slice(0, 10)} on ${cpu} (${os.cpus().length} cores), Node ${process.version}; load average at the end ${load}.
A day of one-minute profiles of one service (${input}, ~${bodyKb} kB pprof.gz each, two hosts alternating) is stored
with storeProfile, compacted into 1-minute / 10-minute / 1-hour rollups, and merged with renderMerged (the server
time of \`GET /api/v1/render\`): wall time best and median of 5, and the least process CPU time of one run (user +
sys, includes GC threads); the db / blobs / merge split in the notes is from the last run. With other work on the box,
read the CPU column. Design: [docs/platform-store.md](../platform-store.md).

Rerun: \`pnpm --filter @perforator/db build && DATABASE_URL_TEST=postgresql://postgres:postgres@127.0.0.1:5432/perforator_test pnpm --filter @perforator/db bench\`

| db | operation | input | wall best | wall median | CPU | notes |
|---|---|---|---|---|---|---|
${table}
${history}`,
  );
  console.log(`wrote ${doc}`);
}
