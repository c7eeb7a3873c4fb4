import { writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type Database, openDatabase } from "./database.js";
import { loadMigrations, migratePostgres, migrateSqlite } from "./migrate.js";
import { resolveDatabase } from "./paths.js";
import { defaultTeamId, getProfile, listProfiles, listServices, saveProfile } from "./profiles.js";
import { notePostgresSkipped, targets, tempDir, withDb as withTargetDb } from "./test-utils/targets.js";

notePostgresSkipped();

const enc = (s: string) => new TextEncoder().encode(s);
const t = (iso: string) => new Date(iso);

describe.each(targets)("$name", (target) => {
  // These tests migrate themselves (some check the unmigrated state).
  const withDb = (fn: (db: Database) => Promise<void>) => withTargetDb(target, fn, { migrate: false });

  it("reports an unmigrated database as reachable but not ready, and ready after migrate", async () => {
    await withDb(async (db) => {
      expect(db.kind).toBe(target.name);
      const before = await db.ping();
      expect(before).toMatchObject({ ok: false, reachable: true });
      if (!before.ok) expect(before.error).toMatch(/migrat/);
      const first = await db.migrate();
      expect(first.applied.length).toBeGreaterThan(0);
      expect(await db.ping()).toMatchObject({ ok: true });
      const second = await db.migrate();
      expect(second).toEqual({ applied: [], alreadyApplied: first.applied });
    });
  });

  it("moves services and profiles written before teams existed into team default", async () => {
    const { url, cleanup } = await target.make();
    const db = openDatabase({ url, dataDir: tempDir() });
    try {
      const resolved = resolveDatabase(url);
      const all = loadMigrations(db.kind);
      const init = all.filter((m) => m.name === "20261125140000_init");
      expect(init).toHaveLength(1);
      // The database as the first release left it: only the init migration, one service with one profile.
      const q = resolved.kind === "postgres" ? `"${resolved.schema}".` : "";
      const insertService = `INSERT INTO ${q}"Service" ("id", "name", "labels", "updatedAt") VALUES ('s1', 'old.app', '{"env":"prod"}', CURRENT_TIMESTAMP)`;
      const insertProfile = `INSERT INTO ${q}"Profile" ("id", "serviceId", "startTime", "endTime", "sampleType", "sampleUnit", "labels", "totalValue", "sampleCount", "format", "blobKey", "blobSize") VALUES ('p1', 's1', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 'cpu', 'nanoseconds', '{}', 5, 1, 'folded', 'k', 7)`;
      if (db.kind === "sqlite") {
        migrateSqlite(resolved.file!, init);
      } else {
        await migratePostgres(resolved.url, resolved.schema, init);
      }
      await db.prisma.$executeRawUnsafe(insertService);
      await db.prisma.$executeRawUnsafe(insertProfile);
      const result = await db.migrate();
      expect(result.applied).toEqual(all.slice(1).map((m) => m.name));
      const team = await db.prisma.team.findUnique({ where: { name: "default" } });
      expect(team?.id).toBe("team_default");
      const service = await db.prisma.service.findUnique({ where: { id: "s1" } });
      expect(service).toMatchObject({ teamId: "team_default", name: "old.app", labels: { env: "prod" } });
      const profile = await db.prisma.profile.findUnique({ where: { id: "p1" } });
      expect(profile).toMatchObject({
        teamId: "team_default",
        blobEncoding: "identity",
        rawSize: 7,
        decompressedSize: 7,
        sampleTypes: "cpu:nanoseconds",
        idempotencyKey: null,
      });
    } finally {
      await db.close();
      await cleanup();
    }
  });

  it("survives two processes' worth of concurrent migrate() calls", async () => {
    const { url, cleanup } = await target.make();
    const a = openDatabase({ url, dataDir: tempDir() });
    const b = openDatabase({ url, dataDir: tempDir() });
    try {
      const [ra, rb] = await Promise.all([a.migrate(), b.migrate()]);
      expect(ra.applied.length + rb.applied.length).toBe(ra.applied.length + ra.alreadyApplied.length);
      expect(await a.ping()).toMatchObject({ ok: true });
    } finally {
      await a.close();
      await b.close();
      await cleanup();
    }
  });

  it("stores services and profiles, queries them by time range and service, round-trips the body", async () => {
    await withDb(async (db) => {
      await db.migrate();
      const body = enc("main;handle;UserIDSearchHandler;search_user 970\nmain;handle;other 30\n");
      const first = await saveProfile(db, {
        service: "shop.api",
        serviceLabels: { env: "staging" },
        startTime: t("2026-11-25T10:00:00Z"),
        endTime: t("2026-11-25T10:01:00Z"),
        sampleType: "cpu",
        sampleUnit: "nanoseconds",
        labels: { host: "h1", spyName: "perforator" },
        totalValue: 9_700_000_000n,
        sampleCount: 2,
        format: "folded",
        body,
      });
      await saveProfile(db, {
        service: "shop.api",
        serviceLabels: { region: "eu" },
        startTime: t("2026-11-25T11:00:00Z"),
        endTime: t("2026-11-25T11:01:00Z"),
        sampleType: "cpu",
        sampleUnit: "nanoseconds",
        totalValue: 10,
        sampleCount: 1,
        format: "folded",
        body: enc("main 10\n"),
      });
      await saveProfile(db, {
        service: "billing",
        startTime: t("2026-11-25T10:30:00Z"),
        endTime: t("2026-11-25T10:31:00Z"),
        sampleType: "samples",
        sampleUnit: "count",
        totalValue: 3,
        sampleCount: 1,
        format: "pprof",
        body: enc("x"),
      });

      // Overlap semantics: a window touching only the first hour finds the 10:00 and 10:30 profiles.
      const teamId = await defaultTeamId(db);
      const { profiles: window } = await listProfiles(db, {
        teamId,
        from: t("2026-11-25T10:00:30Z"),
        until: t("2026-11-25T10:45:00Z"),
      });
      expect(window.map((p) => [p.service, p.startTime.toISOString()])).toEqual([
        ["billing", "2026-11-25T10:30:00.000Z"],
        ["shop.api", "2026-11-25T10:00:00.000Z"],
      ]);
      const { profiles: shop } = await listProfiles(db, { teamId, service: "shop.api" });
      expect(shop.map((p) => p.startTime.toISOString())).toEqual([
        "2026-11-25T11:00:00.000Z",
        "2026-11-25T10:00:00.000Z",
      ]);
      expect(await listProfiles(db, { teamId, from: t("2026-11-26T00:00:00Z") })).toEqual({
        profiles: [],
        nextCursor: null,
      });

      const got = await getProfile(db, teamId, first.id);
      expect(got).toMatchObject({
        service: "shop.api",
        totalValue: 9_700_000_000n,
        labels: { host: "h1", spyName: "perforator" },
        blobSize: body.byteLength,
      });
      expect(new TextDecoder().decode(await db.blobs.get(got!.blobKey))).toBe(new TextDecoder().decode(body));

      const services = await listServices(db, teamId);
      expect(services.map((s) => [s.name, s.profileCount, s.labels])).toEqual([
        ["billing", 1, {}],
        ["shop.api", 2, { env: "staging", region: "eu" }],
      ]);
      expect(services[1]!.lastProfileAt?.toISOString()).toBe("2026-11-25T11:00:00.000Z");
    });
  });

  it("lets concurrent uploads create the same new service", async () => {
    await withDb(async (db) => {
      await db.migrate();
      const saves = Array.from({ length: 8 }, (_, i) =>
        saveProfile(db, {
          service: "fresh.service",
          serviceLabels: { env: "prod" },
          startTime: t("2026-11-25T10:00:00Z"),
          endTime: t("2026-11-25T10:01:00Z"),
          sampleType: "cpu",
          sampleUnit: "nanoseconds",
          totalValue: i,
          sampleCount: 1,
          format: "folded",
          body: enc(`main ${i + 1}\n`),
        }),
      );
      await Promise.all(saves);
      expect((await listServices(db, await defaultTeamId(db))).map((s) => [s.name, s.profileCount, s.labels])).toEqual([
        ["fresh.service", 8, { env: "prod" }],
      ]);
    });
  });

  it("rejects a profile that ends before it starts, without touching the database", async () => {
    await withDb(async (db) => {
      await db.migrate();
      await expect(
        saveProfile(db, {
          service: "s",
          startTime: t("2026-11-25T10:00:00Z"),
          endTime: t("2026-11-25T09:00:00Z"),
          sampleType: "cpu",
          sampleUnit: "nanoseconds",
          totalValue: 1,
          sampleCount: 1,
          format: "folded",
          body: enc("a 1\n"),
        }),
      ).rejects.toThrow(/before its start/);
      expect(await listServices(db, await defaultTeamId(db))).toEqual([]);
    });
  });
});

describe("unreachable databases", () => {
  it("ping() reports a PostgreSQL server that refuses connections, with the password masked", async () => {
    const db = openDatabase({ url: "postgresql://app:hunter2@127.0.0.1:1/perforator", dataDir: tempDir() });
    try {
      const r = await db.ping();
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.reachable).toBe(false);
        expect(r.error).toContain("127.0.0.1:1");
        expect(r.error).not.toContain("hunter2");
      }
    } finally {
      await db.close();
    }
  });

  it("ping() explains a SQLite path that cannot be created", async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, "a-file"), "");
    const db = openDatabase({ url: `file:${path.join(dir, "a-file", "sub", "x.db")}`, dataDir: dir });
    try {
      const r = await db.ping();
      expect(r).toMatchObject({ ok: false, reachable: false });
      if (!r.ok) expect(r.error).toMatch(/PERFORATOR_DATA_DIR|DATABASE_URL/);
      await expect(db.migrate()).rejects.toThrow(/cannot create the directory/);
    } finally {
      await db.close();
    }
  });
});
