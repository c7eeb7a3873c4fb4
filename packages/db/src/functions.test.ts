import { merge, type Profile, parsePprof, topFunctions as profileTop, toPprof } from "@perforator/profile";
import { describe, expect, it } from "vitest";
import { ensureTeam } from "./access.js";
import { compact, ROLLUP_LEVELS } from "./compactor.js";
import { dashboard } from "./dashboard.js";
import type { Database } from "./database.js";
import { summaryRange, topFunctions } from "./functions.js";
import { loadMigrations, migratePostgres, migrateSqlite } from "./migrate.js";
import { resolveDatabase } from "./paths.js";
import { storeProfile } from "./profiles.js";
import { ColumnMerger, decodeRollup, encodeRollup, rollupToProfile, withProfileLabels } from "./rollup.js";
import { summariseProfile, summariseRollup } from "./summary.js";
import { randomProfile } from "./test-utils/profiles.js";
import { notePostgresSkipped, targets, withDb } from "./test-utils/targets.js";

notePostgresSkipped();

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);

/** The brute-force answer: per (name, file), self and total of the merged profiles (default sample type). */
function bruteForce(profiles: Profile[]): Map<string, { self: bigint; total: bigint }> {
  const out = new Map<string, { self: bigint; total: bigint }>();
  if (profiles.length === 0) return out;
  const m = merge(profiles);
  for (const r of profileTop(m, { valueIndex: m.defaultSampleType })) {
    const k = `${r.name}\u0000${r.file}`;
    const e = out.get(k) ?? { self: 0n, total: 0n };
    out.set(k, { self: e.self + BigInt(Math.round(r.self)), total: e.total + BigInt(Math.round(r.total)) });
  }
  return out;
}

/** The table's name for a raw query (PostgreSQL: qualified by the test's schema, which is not on the search path). */
function table(db: Database, name: string): string {
  const schema = db.kind === "postgres" ? resolveDatabase(db.url).schema : undefined;
  return schema ? `"${schema}"."${name}"` : `"${name}"`;
}

/** A raw INSERT of `row` (column → value) into `name`. */
async function insert(db: Database, name: string, row: Record<string, unknown>): Promise<void> {
  const cols = Object.keys(row);
  const ph = cols.map((_, i) => (db.kind === "sqlite" ? "?" : `$${i + 1}`));
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO ${table(db, name)} (${cols.map((c) => `"${c}"`).join(", ")}) VALUES (${ph.join(", ")})`,
    ...Object.values(row),
  );
}

interface Stored {
  at: number;
  profile: Profile;
}

/** Stores randomProfile(seed) as a one-minute pprof upload at `at`; returns it as the compactor will parse it. */
async function upload(db: Database, teamId: string, service: string, at: number, seed: number, labels = {}) {
  const body = toPprof(randomProfile(seed, at, 30));
  await storeProfile(db, {
    teamId,
    service,
    labels,
    from: new Date(at),
    until: new Date(at + MIN),
    profile: parsePprof(body),
    body,
    format: "pprof",
  });
  return { at, profile: parsePprof(body) };
}

/** Three days of uploads of service "api" every 50 minutes (at odd seconds), plus noise in "other". */
async function seed(db: Database, teamId: string): Promise<Stored[]> {
  const stored: Stored[] = [];
  for (let i = 0; i < 3 * 24 * 60; i += 50) {
    const at = T0 + i * MIN + (i % 7) * 1000;
    stored.push(await upload(db, teamId, "api", at, i, { host: `h${i % 3}` }));
  }
  await upload(db, teamId, "other", T0 + 5 * MIN, 99);
  return stored;
}

describe("function summaries", () => {
  it("of a rollup's columns equal topFunctions of the merged profile, recursion counted once", () => {
    for (let seed = 0; seed < 5; seed++) {
      const ps = Array.from({ length: 3 }, (_, i) => randomProfile(seed * 10 + i, 1e12 + i * MIN, 20));
      const m = new ColumnMerger(ps[0]!.sampleTypes);
      for (const p of ps) m.addProfile(p, withProfileLabels({ host: `h${seed}` }));
      const data = decodeRollup(encodeRollup(m.build()));
      const got = summariseRollup(data, 500);
      const want = bruteForce(ps);
      expect(got).toMatchObject({ sampleType: "cpu", sampleUnit: "nanoseconds" });
      expect(new Map(got.functions.map((f) => [`${f.name}\u0000${f.file}`, { self: f.self, total: f.total }]))).toEqual(
        new Map([...want].map(([k, v]) => [k, { self: Number(v.self), total: Number(v.total) }])),
      );
      expect(summariseProfile(rollupToProfile(data), 500).functions.length).toBe(got.functions.length);
      // The top N by self ∪ the top N by total.
      const top3 = summariseRollup(data, 3).functions;
      const bySelf = [...got.functions].sort((a, b) => b.self - a.self).slice(0, 3);
      const byTotal = [...got.functions].sort((a, b) => b.total - a.total).slice(0, 3);
      expect(new Set(top3.map((f) => f.name))).toEqual(new Set([...bySelf, ...byTotal].map((f) => f.name)));
    }
  });
});

describe.each(targets)("topFunctions from rollup summaries on $name", (target) => {
  it("writes a summary with every rollup at every level and sums the coarsest ones covering a range", async () => {
    await withDb(target, async (db) => {
      const team = await ensureTeam(db, "t");
      const stored = await seed(db, team.id);
      const end = T0 + 3 * DAY;
      const res = await compact(db, { now: new Date(end + HOUR) });
      expect(res.errors).toEqual([]);
      for (const level of ROLLUP_LEVELS) expect(res.rollups[level], `level ${level}`).toBeGreaterThan(0);
      expect(await db.prisma.rollup.count({ where: { summarised: false } })).toBe(0);
      // Each rollup's summary is its merged window's, with its total and type.
      for (const level of ROLLUP_LEVELS) {
        const r = await db.prisma.rollup.findFirstOrThrow({
          where: { level, service: { name: "api" } },
          include: { functions: true },
          orderBy: { windowStart: "asc" },
        });
        const data = decodeRollup(await db.blobs.get(r.blobKey));
        const want = summariseRollup(data);
        expect(r, `level ${level}`).toMatchObject({
          sampleType: "cpu",
          sampleUnit: "nanoseconds",
          totalValue: BigInt(Math.round(want.totalValue)),
        });
        expect(r.functions.map((f) => [f.name, f.self, f.total]).sort()).toEqual(
          want.functions.map((f) => [f.name, BigInt(f.self), BigInt(f.total)]).sort(),
        );
        expect(r.functions.every((f) => f.level === level && f.windowStart.getTime() === r.windowStart.getTime())).toBe(
          true,
        );
      }
      // Two uploads after the compaction: no rollup holds them yet.
      for (const at of [end + HOUR + 20_000, end + HOUR + 3 * MIN]) {
        stored.push(await upload(db, team.id, "api", at, at % 1000));
      }

      const ranges: [number, number][] = [
        [T0, end], // three whole days
        [T0 + 7 * HOUR + 13 * MIN + 5_000, T0 + 2 * DAY + 3 * HOUR + 41 * MIN + 59_000], // every level at the edges
        [T0 + 2 * DAY + 50 * MIN, T0 + 2 * DAY + 3 * HOUR], // hours and 10-minute edges
        [T0 + 2 * DAY, end + 2 * HOUR], // a day, and the uncompacted uploads
        [end - 10 * MIN, end + 2 * HOUR], // little but uploads no rollup holds
      ];
      for (const [from, until] of ranges) {
        const { a, b } = summaryRange(new Date(from), new Date(until));
        const inRange = stored.filter((s) => s.at >= a && s.at < b).map((s) => s.profile);
        const want = bruteForce(inRange);
        const got = await topFunctions(db, {
          teamId: team.id,
          service: "api",
          from: new Date(from),
          until: new Date(until),
          limit: 500,
        });
        const label = `${new Date(from).toISOString()}..${new Date(until).toISOString()}`;
        expect(got.profiles, label).toBe(inRange.length);
        expect(got.pending, label).toBe(0);
        expect(
          new Map(got.functions.map((f) => [`${f.name}\u0000${f.file}`, { self: f.self, total: f.total }])),
          label,
        ).toEqual(new Map([...want].filter(([, v]) => v.total !== 0n)));
        // Heaviest first, by self unless asked otherwise.
        const selfs = got.functions.map((f) => f.self);
        expect(selfs).toEqual([...selfs].sort((x, y) => (y > x ? 1 : y < x ? -1 : 0)));
        const byTotal = await topFunctions(db, {
          teamId: team.id,
          service: "api",
          from: new Date(from),
          until: new Date(until),
          orderBy: "total",
          limit: 3,
        });
        const totals = [...want.values()].map((v) => v.total).sort((x, y) => (y > x ? 1 : y < x ? -1 : 0));
        expect(
          byTotal.functions.map((f) => f.total),
          label,
        ).toEqual(totals.slice(0, 3));
      }

      // Over the limit the uploads no rollup holds are only counted: the page says how many are missing.
      const counted = await topFunctions(db, {
        teamId: team.id,
        service: "api",
        from: new Date(T0 + 2 * DAY),
        until: new Date(end + 2 * HOUR),
        maxRawProfiles: 1,
      });
      expect(counted.pending).toBe(2);
      const summarised = stored.filter((s) => s.at >= T0 + 2 * DAY && s.at < end).map((s) => s.profile);
      expect(counted.functions[0]!.self).toBe(
        [...bruteForce(summarised).values()].map((v) => v.self).sort((x, y) => (y > x ? 1 : -1))[0],
      );
      // Another sample type, an unknown service: nothing.
      expect(
        await topFunctions(db, {
          teamId: team.id,
          service: "api",
          from: new Date(T0),
          until: new Date(end),
          sampleType: "alloc",
        }),
      ).toMatchObject({ functions: [], profiles: 0 });
      expect(
        (await topFunctions(db, { teamId: team.id, service: "nope", from: new Date(T0), until: new Date(end) }))
          .functions,
      ).toEqual([]);
    });
  });

  it("upgrades a store written before summaries: totals from the migration, summaries backfilled by the compactor", async () => {
    const { url, cleanup } = await target.make();
    try {
      // The store as the previous version left it: migrated up to the migration before summaries, with rollups.
      const before = (kind: "sqlite" | "postgres") =>
        loadMigrations(kind).filter((m) => m.name < "20261129210000_rollup_summaries");
      const r = resolveDatabase(url);
      if (r.kind === "sqlite") migrateSqlite(r.file!, before("sqlite"));
      else await migratePostgres(r.url, r.schema, before("postgres"));
      const { openDatabase } = await import("./database.js");
      const { tempDir } = await import("./test-utils/targets.js");
      const dataDir = tempDir();
      let db = openDatabase({ url, dataDir });
      const team = { id: "team_default" }; // created by the migration that introduced teams
      const svc = { id: "svc_api" };
      await insert(db, "Service", { id: svc.id, teamId: team.id, name: "api", labels: "{}", updatedAt: new Date(T0) });
      // Two hours, a profile every 20 minutes, in 1-minute, 10-minute and 1-hour rollups, as the old version wrote
      // them (raw inserts: this build's client knows columns the old schema lacks).
      const profiles: Stored[] = [];
      for (let h = 0; h < 2; h++) {
        const hourChildren: string[] = [];
        for (let i = 0; i < 3; i++) {
          const at = T0 + h * HOUR + i * 20 * MIN;
          const p = randomProfile(h * 10 + i, at, 25);
          profiles.push({ at, profile: p });
          const body = await db.blobs.put(toPprof(p));
          const one = new ColumnMerger(p.sampleTypes).addProfile(p, withProfileLabels({}));
          const oneBlob = await db.blobs.put(encodeRollup(one.build()));
          const ids = { p: `p${h}${i}`, r1: `r1_${h}${i}`, r10: `r10_${h}${i}` };
          const total = p.samples.reduce((s, x) => s + (x.values[1] ?? 0), 0);
          const windowStart = new Date(at);
          const rollup = (id: string, level: number, key: string, size: number) => ({
            id,
            teamId: team.id,
            serviceId: svc.id,
            sampleTypes: "samples:count,cpu:nanoseconds",
            level,
            windowStart: new Date(Math.floor(at / (level * 1000)) * level * 1000),
            windowEnd: new Date(Math.floor(at / (level * 1000)) * level * 1000 + level * 1000),
            profileCount: 1,
            minStart: windowStart,
            maxEnd: new Date(at + MIN),
            blobKey: key,
            blobSize: size,
          });
          await insert(db, "Rollup", rollup(ids.r10, 600, oneBlob.key, oneBlob.size));
          await insert(db, "Rollup", { ...rollup(ids.r1, 60, oneBlob.key, oneBlob.size), parentId: ids.r10 });
          await insert(db, "Profile", {
            id: ids.p,
            teamId: team.id,
            serviceId: svc.id,
            startTime: windowStart,
            endTime: new Date(at + MIN),
            sampleType: "cpu",
            sampleUnit: "nanoseconds",
            sampleTypes: "samples:count,cpu:nanoseconds",
            labels: "{}",
            totalValue: BigInt(total),
            sampleCount: p.samples.length,
            format: "pprof",
            blobKey: body.key,
            blobSize: body.size,
            blobEncoding: "identity",
            rollupId: ids.r1,
          });
          hourChildren.push(ids.r10);
        }
        const hour = new ColumnMerger(profiles[0]!.profile.sampleTypes);
        for (const s of profiles.slice(h * 3)) hour.addProfile(s.profile, withProfileLabels({}));
        const hourBlob = await db.blobs.put(encodeRollup(hour.build(), { gzip: false }));
        const hs = T0 + h * HOUR;
        await insert(db, "Rollup", {
          id: `r60_${h}`,
          teamId: team.id,
          serviceId: svc.id,
          sampleTypes: "samples:count,cpu:nanoseconds",
          level: 3600,
          windowStart: new Date(hs),
          windowEnd: new Date(hs + HOUR),
          profileCount: 3,
          minStart: new Date(hs),
          maxEnd: new Date(hs + 41 * MIN),
          blobKey: hourBlob.key,
          blobSize: hourBlob.size,
        });
        for (const id of hourChildren) {
          await db.prisma.$executeRawUnsafe(
            `UPDATE ${table(db, "Rollup")} SET "parentId" = ${db.kind === "sqlite" ? "?" : "$1"} WHERE "id" = ${db.kind === "sqlite" ? "?" : "$2"}`,
            `r60_${h}`,
            id,
          );
        }
      }
      await db.close();

      db = openDatabase({ url, dataDir });
      try {
        expect((await db.migrate()).applied).toEqual(["20261129210000_rollup_summaries"]);
        // Totals and the sample type came from the profiles' rows; no summary yet.
        const hours = await db.prisma.rollup.findMany({ where: { level: 3600 }, orderBy: { windowStart: "asc" } });
        const sum = (ps: Stored[]) =>
          BigInt(ps.reduce((s, x) => s + x.profile.samples.reduce((t, y) => t + (y.values[1] ?? 0), 0), 0));
        expect(hours.map((h) => [h.summarised, h.sampleType, h.totalValue])).toEqual([
          [false, "cpu", sum(profiles.slice(0, 3))],
          [false, "cpu", sum(profiles.slice(3))],
        ]);
        const q = { teamId: team.id, service: "api", from: new Date(T0), until: new Date(T0 + 2 * HOUR) };
        // Before the backfill the dashboard says what is missing instead of showing nothing.
        const waiting = await dashboard(db, { teamId: team.id, from: q.from, until: q.until, buckets: 2 });
        expect(waiting.services[0]).toMatchObject({ profiles: 6, total: Number(sum(profiles)), pending: 6, top: [] });
        expect(await topFunctions(db, q)).toMatchObject({ profiles: 6, pending: 6, functions: [] });

        const res = await compact(db, { now: new Date(T0 + 3 * HOUR), maxBackfill: 100 });
        expect(res.errors).toEqual([]);
        expect(res.backfilled).toBe(2 + 6 + 6);
        expect(await db.prisma.rollup.count({ where: { summarised: false } })).toBe(0);
        const got = await topFunctions(db, { ...q, limit: 500 });
        expect(got.pending).toBe(0);
        expect(
          new Map(got.functions.map((f) => [`${f.name}\u0000${f.file}`, { self: f.self, total: f.total }])),
        ).toEqual(bruteForce(profiles.map((s) => s.profile)));
        // A second pass has nothing left to do.
        expect((await compact(db, { now: new Date(T0 + 3 * HOUR) })).backfilled).toBe(0);
      } finally {
        await db.close();
      }
    } finally {
      await cleanup();
    }
  });
});
