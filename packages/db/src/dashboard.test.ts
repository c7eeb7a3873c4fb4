import { describe, expect, it } from "vitest";
import { ensureTeam } from "./access.js";
import { dashboard } from "./dashboard.js";
import type { Database } from "./database.js";
import { saveProfile } from "./profiles.js";
import { notePostgresSkipped, targets, withDb } from "./test-utils/targets.js";

notePostgresSkipped();

const HOUR = 3600_000;
const T0 = Date.UTC(2026, 10, 20, 0, 0, 0);

/** A profile row plus its function summary rows, as ingest writes them. */
async function put(
  db: Database,
  teamId: string,
  service: string,
  at: number,
  total: number,
  fns: Record<string, number>,
): Promise<void> {
  const p = await saveProfile(db, {
    teamId,
    service,
    startTime: new Date(at),
    endTime: new Date(at + 60_000),
    sampleType: "cpu",
    sampleUnit: "nanoseconds",
    totalValue: total,
    sampleCount: 1,
    format: "folded",
    body: new TextEncoder().encode(`${service};${at} 1\n`),
  } as Parameters<typeof saveProfile>[1]);
  const row = await db.prisma.profile.findUniqueOrThrow({ where: { id: p.id }, select: { serviceId: true } });
  await db.prisma.profileFunction.createMany({
    data: Object.entries(fns).map(([name, self]) => ({
      profileId: p.id,
      teamId,
      serviceId: row.serviceId,
      startTime: new Date(at),
      name,
      file: "server.py",
      self: BigInt(self),
      total: BigInt(self),
    })),
  });
}

describe.each(targets)("dashboard on $name", (target) => {
  it("per service: last upload, bucketed volume, top by self, and what moved against the previous window", async () => {
    await withDb(target, async (db) => {
      const team = await ensureTeam(db, "alpha");
      const other = await ensureTeam(db, "beta");
      // Previous window [T0, T0+2h): the linear search dominates.
      await put(db, team.id, "api", T0 + 10 * 60_000, 1000, { search_user: 900, do_GET: 50, parse_qs: 10 });
      await put(db, team.id, "api", T0 + 70 * 60_000, 1000, { search_user: 880, do_GET: 60, parse_qs: 10 });
      // This window [T0+2h, T0+4h): the dict version.
      await put(db, team.id, "api", T0 + 2 * HOUR + 5 * 60_000, 100, { search_user: 1, do_GET: 40, dict_get: 20 });
      await put(db, team.id, "api", T0 + 3 * HOUR + 50 * 60_000, 300, { search_user: 2, do_GET: 100, dict_get: 90 });
      // Only in this window: nothing to compare.
      await put(db, team.id, "worker", T0 + 2 * HOUR + 1, 50, { loop: 50 });
      // Another team's profile in the same range must not show up.
      await put(db, other.id, "api", T0 + 2 * HOUR + 10, 5000, { secret: 5000 });
      // A service with no profile in the range at all still gets a row.
      await put(db, team.id, "old", T0 - 24 * HOUR, 10, { x: 10 });

      const d = await dashboard(db, {
        teamId: team.id,
        from: new Date(T0 + 2 * HOUR),
        until: new Date(T0 + 4 * HOUR),
        buckets: 4,
        top: 2,
        changed: 3,
      });
      expect(d.previous).toEqual({ from: new Date(T0), until: new Date(T0 + 2 * HOUR) });
      expect(d.bucketMs).toBe(30 * 60_000);
      expect(d.services.map((s) => s.name)).toEqual(["api", "old", "worker"]);
      const api = d.services[0]!;
      expect(api.lastProfileAt).toEqual(new Date(T0 + 3 * HOUR + 50 * 60_000));
      expect(api.profiles).toBe(2);
      expect(api.previousProfiles).toBe(2);
      expect(api.total).toBe(400);
      expect(api.sampleType).toBe("cpu");
      expect(api.sampleUnit).toBe("nanoseconds");
      expect(api.series).toEqual({ profiles: [1, 0, 0, 1], total: [100, 0, 0, 300] });
      expect(api.top).toEqual([
        { name: "do_GET", file: "server.py", self: 140, share: 0.35 },
        { name: "dict_get", file: "server.py", self: 110, share: 0.275 },
      ]);
      // search_user: 1780/2000 = 89% before, 3/400 = 0.75% after.
      expect(api.changed.map((c) => c.name)).toEqual(["search_user", "do_GET", "dict_get"]);
      expect(api.changed[0]!.before).toBeCloseTo(0.89, 6);
      expect(api.changed[0]!.after).toBeCloseTo(0.0075, 6);
      expect(api.changed[0]!.delta).toBeCloseTo(0.0075 - 0.89, 6);
      expect(api.changed[1]!.delta).toBeCloseTo(0.35 - 0.055, 6);

      const worker = d.services[2]!;
      expect(worker.profiles).toBe(1);
      expect(worker.changed).toEqual([]);
      expect(worker.top.map((f) => f.name)).toEqual(["loop"]);
      const old = d.services[1]!;
      expect(old.profiles).toBe(0);
      expect(old.lastProfileAt).toEqual(new Date(T0 - 24 * HOUR));
      expect(old.series.profiles).toEqual([0, 0, 0, 0]);

      const otherView = await dashboard(db, {
        teamId: other.id,
        from: new Date(T0 + 2 * HOUR),
        until: new Date(T0 + 4 * HOUR),
      });
      expect(otherView.services.map((s) => [s.name, s.total])).toEqual([["api", 5000]]);
      await expect(dashboard(db, { teamId: team.id, from: new Date(T0), until: new Date(T0) })).rejects.toThrow(
        /must end after it starts/,
      );
    });
  });
});
