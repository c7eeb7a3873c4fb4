import { ProfileBuilder, toPprof } from "@perforator/profile";
import { describe, expect, it } from "vitest";
import { ensureTeam } from "./access.js";
import { compact } from "./compactor.js";
import { type Dashboard, dashboard } from "./dashboard.js";
import type { Database } from "./database.js";
import { storeProfile } from "./profiles.js";
import { notePostgresSkipped, targets, withDb } from "./test-utils/targets.js";

notePostgresSkipped();

const HOUR = 3600_000;
const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);

/** Uploads a one-minute cpu profile whose leaves have the given self times (each under main;handler). */
async function put(db: Database, teamId: string, service: string, at: number, fns: Record<string, number>) {
  const b = new ProfileBuilder([{ type: "cpu", unit: "nanoseconds" }], {
    timeNanos: at * 1e6,
    durationNanos: 60e9,
  });
  for (const [name, self] of Object.entries(fns)) {
    b.addFrames(
      ["main", "handler", name].map((n) => ({ name: n, file: "server.py", line: 1, kind: "python", module: "" })),
      [self],
    );
  }
  const profile = b.build();
  await storeProfile(db, {
    teamId,
    service,
    from: new Date(at),
    until: new Date(at + MIN),
    profile,
    body: toPprof(profile),
    format: "pprof",
  });
}

async function seed(db: Database) {
  const team = await ensureTeam(db, "alpha");
  const other = await ensureTeam(db, "beta");
  // Previous window [T0, T0+2h): the linear search dominates.
  await put(db, team.id, "api", T0 + 10 * MIN, { search_user: 900, do_GET: 50, parse_qs: 10 });
  await put(db, team.id, "api", T0 + 70 * MIN, { search_user: 880, do_GET: 60, parse_qs: 10 });
  // This window [T0+2h, T0+4h): the dict version.
  await put(db, team.id, "api", T0 + 2 * HOUR + 5 * MIN, { search_user: 1, do_GET: 40, dict_get: 20 });
  await put(db, team.id, "api", T0 + 3 * HOUR + 50 * MIN, { search_user: 2, do_GET: 100, dict_get: 90 });
  // Only in this window: nothing to compare.
  await put(db, team.id, "worker", T0 + 2 * HOUR + 1, { loop: 50 });
  // Another team's profile in the same range must not show up.
  await put(db, other.id, "api", T0 + 2 * HOUR + 10, { secret: 5000 });
  // A service with no profile in the range at all still gets a row.
  await put(db, team.id, "old", T0 - 24 * HOUR, { x: 10 });
  return { team, other };
}

function check(d: Dashboard) {
  expect(d.previous).toEqual({ from: new Date(T0), until: new Date(T0 + 2 * HOUR) });
  expect(d.bucketMs).toBe(30 * MIN);
  expect(d.services.map((s) => s.name)).toEqual(["api", "old", "worker"]);
  const api = d.services[0]!;
  expect(api.lastProfileAt).toEqual(new Date(T0 + 3 * HOUR + 50 * MIN));
  expect(api).toMatchObject({
    profiles: 2,
    previousProfiles: 2,
    total: 253,
    sampleType: "cpu",
    sampleUnit: "nanoseconds",
    pending: 0,
    previousPending: 0,
  });
  expect(api.series).toEqual({ profiles: [1, 0, 0, 1], total: [61, 0, 0, 192] });
  expect(api.top).toEqual([
    { name: "do_GET", file: "server.py", self: 140, share: 140 / 253 },
    { name: "dict_get", file: "server.py", self: 110, share: 110 / 253 },
  ]);
  // search_user: 1780/1910 of the time before, 3/253 after.
  expect(api.changed.map((c) => c.name)).toEqual(["search_user", "do_GET", "dict_get"]);
  expect(api.changed[0]!.before).toBeCloseTo(1780 / 1910, 9);
  expect(api.changed[0]!.after).toBeCloseTo(3 / 253, 9);
  expect(api.changed[0]!.delta).toBeCloseTo(3 / 253 - 1780 / 1910, 9);
  expect(api.changed[1]!.delta).toBeCloseTo(140 / 253 - 110 / 1910, 9);

  const worker = d.services[2]!;
  expect(worker.profiles).toBe(1);
  expect(worker.changed).toEqual([]);
  expect(worker.top.map((f) => f.name)).toEqual(["loop"]);
  const old = d.services[1]!;
  expect(old.profiles).toBe(0);
  expect(old.lastProfileAt).toEqual(new Date(T0 - 24 * HOUR));
  expect(old.series.profiles).toEqual([0, 0, 0, 0]);
}

describe.each(targets)("dashboard on $name", (target) => {
  it("per service: last upload, bucketed volume, top by self, and what moved, before and after compaction", async () => {
    await withDb(target, async (db) => {
      const { team, other } = await seed(db);
      const query = { teamId: team.id, from: new Date(T0 + 2 * HOUR), until: new Date(T0 + 4 * HOUR), buckets: 4 };
      const opts = { ...query, top: 2, changed: 3 };
      // Nothing compacted yet: every profile is read from its body (they are few).
      check(await dashboard(db, opts));

      // Compacted into rollups with summaries (1 minute up to 1 day): the same answer from rollup rows alone.
      const res = await compact(db, { now: new Date(T0 + 30 * HOUR) });
      expect(res.errors).toEqual([]);
      expect(res.rollups).toEqual({ 60: 7, 600: 7, 3600: 7, 86400: 4 });
      expect(await db.prisma.profile.count({ where: { rollupId: null } })).toBe(0);
      check(await dashboard(db, { ...opts, maxRawProfiles: 0 }));

      // A late upload no rollup holds yet: read from its body, or counted as pending when over the limit.
      await put(db, team.id, "api", T0 + 3 * HOUR + 55 * MIN, { dict_get: 1000 });
      const late = (await dashboard(db, opts)).services[0]!;
      expect(late).toMatchObject({ profiles: 3, total: 1253, pending: 0 });
      expect(late.top[0]).toEqual({ name: "dict_get", file: "server.py", self: 1110, share: 1110 / 1253 });
      const counted = (await dashboard(db, { ...opts, maxRawProfiles: 0 })).services[0]!;
      expect(counted).toMatchObject({ profiles: 3, total: 1253, pending: 1 });
      // Shares are of the summarised part only, so they stay right while a profile is pending.
      expect(counted.top[0]).toEqual({ name: "do_GET", file: "server.py", self: 140, share: 140 / 253 });

      const otherView = await dashboard(db, { ...query, teamId: other.id });
      expect(otherView.services.map((s) => [s.name, s.total])).toEqual([["api", 5000]]);
      await expect(dashboard(db, { teamId: team.id, from: new Date(T0), until: new Date(T0) })).rejects.toThrow(
        /must end after it starts/,
      );
    });
  });

  it("spreads a rollup window over the buckets it overlaps and keeps the range's total", async () => {
    await withDb(target, async (db) => {
      const team = await ensureTeam(db, "t");
      for (let i = 0; i < 6; i++) await put(db, team.id, "api", T0 + i * 10 * MIN + 30_000, { f: 60 });
      await compact(db, { now: new Date(T0 + 2 * HOUR) });
      // 40-minute buckets: 10-minute windows (≤ a quarter of a bucket), the window at 30-40 min straddles nothing,
      // and [T0+5m, T0+65m) cuts the first and last windows at their minute edges.
      const d = await dashboard(db, {
        teamId: team.id,
        from: new Date(T0),
        until: new Date(T0 + 2 * HOUR),
        buckets: 3,
      });
      expect(d.services[0]!.series).toEqual({ profiles: [4, 2, 0], total: [240, 120, 0] });
      const cut = await dashboard(db, {
        teamId: team.id,
        from: new Date(T0 + 5 * MIN),
        until: new Date(T0 + 65 * MIN),
        buckets: 2,
      });
      // Profiles at 10:30, 20:30, ..., 50:30 start in the range; the one at 0:30 does not, nor (minute-rounded) any
      // after 65 min.
      expect(cut.services[0]).toMatchObject({ profiles: 5, total: 300 });
      expect(cut.services[0]!.series.profiles.reduce((x, y) => x + y, 0)).toBeCloseTo(5, 9);
    });
  });
});
