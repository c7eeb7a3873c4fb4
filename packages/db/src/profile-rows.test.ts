import { parseFolded } from "@perforator/profile";
import { describe, expect, it } from "vitest";
import { compact, startCompactor } from "./compactor.js";
import { newRowId } from "./profile-rows.js";
import { getProfile, listProfiles, profileFacts, saveProfile, storeProfile } from "./profiles.js";
import { createTeam } from "./teams.js";
import { notePostgresSkipped, targets, withDb } from "./test-utils/targets.js";

notePostgresSkipped();

const enc = (s: string) => new TextEncoder().encode(s);
const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);

describe("newRowId", () => {
  it("is unique, cuid-shaped and increasing within a process", () => {
    const ids = Array.from({ length: 5000 }, newRowId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^c[0-9a-z]{20,30}$/);
    const sameMs = ids.filter((id) => id.slice(1, 9) === ids[0]!.slice(1, 9));
    expect([...sameMs].sort()).toEqual(sameMs);
  });
});

describe.each(targets)("$name", (target) => {
  it("rows written through the driver read back through Prisma exactly as Prisma's own rows", async () => {
    await withDb(target, async (db) => {
      const team = await createTeam(db, "t");
      const text = "main;a 3\nmain;b 4\n";
      const profile = { ...parseFolded(text), period: 1e7 };
      const from = new Date(T0 + 123);
      const until = new Date(T0 + 60_000);
      const fast = await storeProfile(db, {
        teamId: team.id,
        service: "s",
        labels: { host: "h1", "k.e-y": 'q"uote' },
        from,
        until,
        facts: profileFacts(profile),
        body: enc(text),
        format: "folded",
        idempotencyKey: "key-1",
      });
      // The pre-team path still writes through Prisma: both rows must look alike to every reader.
      const slow = await saveProfile(db, {
        teamId: team.id,
        service: "s",
        startTime: new Date(T0 + 1000),
        endTime: until,
        sampleType: "samples",
        sampleUnit: "count",
        totalValue: 7,
        sampleCount: 2,
        format: "folded",
        body: enc(text),
      });
      const rec = await getProfile(db, team.id, fast.id);
      expect(rec).toMatchObject({
        id: fast.id,
        service: "s",
        startTime: from,
        endTime: until,
        sampleType: "samples",
        sampleUnit: "count",
        sampleTypes: "samples:count",
        period: 1e7,
        labels: { host: "h1", "k.e-y": 'q"uote' },
        totalValue: 7n,
        sampleCount: 2,
        format: "folded",
        blobEncoding: "gzip",
        rawSize: text.length,
        decompressedSize: text.length,
        idempotencyKey: "key-1",
      });
      expect(Math.abs(rec!.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
      // Ordered by startTime across both kinds of rows, and filters on times work on both.
      const page = await listProfiles(db, { teamId: team.id, from: new Date(T0), until: new Date(T0 + 500) });
      expect(page.profiles.map((p) => p.id)).toEqual([fast.id]);
      const all = await listProfiles(db, { teamId: team.id });
      expect(all.profiles.map((p) => p.id)).toEqual([slow.id, fast.id]);
      // The compactor finds and rolls up driver-written rows.
      const res = await compact(db, { now: new Date(T0 + 3 * 3_600_000) });
      expect(res.profiles).toBe(2);
    });
  });

  it("commits concurrent uploads in groups: every one answered is stored once, each key once", async () => {
    await withDb(target, async (db) => {
      const team = await createTeam(db, "t");
      const N = 240;
      const results = await Promise.all(
        Array.from({ length: N }, (_, i) => {
          const text = `main;f${i % 50} ${i + 1}\n`;
          return storeProfile(db, {
            teamId: team.id,
            service: `svc-${i % 3}`,
            labels: { i: String(i) },
            from: new Date(T0 + i * 1000),
            until: new Date(T0 + i * 1000 + 10_000),
            profile: parseFolded(text),
            body: enc(text),
            format: "folded",
            // Every fourth upload is a retry of the one before (same key).
            idempotencyKey: `k${i - (i % 4 === 3 ? 1 : 0)}`,
          });
        }),
      );
      const created = results.filter((r) => r.created);
      expect(created).toHaveLength(N - N / 4);
      for (let i = 3; i < N; i += 4) {
        expect(results[i]!.id).toBe(results[i - 1]!.id);
        expect([results[i]!.created, results[i - 1]!.created].sort()).toEqual([false, true]);
      }
      expect(await db.prisma.profile.count()).toBe(created.length);
      const rows = await db.prisma.profile.findMany({ select: { id: true, labels: true, totalValue: true } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      results.forEach((r, i) => {
        if (!r.created) return;
        expect(byId.get(r.id)).toMatchObject({ labels: { i: String(i) }, totalValue: BigInt(i + 1) });
      });
    });
  });

  it("one row that cannot be written fails alone; the rest of its group commits", async () => {
    await withDb(target, async (db) => {
      const team = await createTeam(db, "t");
      const text = "main;a 1\n";
      const good = await storeProfile(db, {
        teamId: team.id,
        service: "s",
        from: new Date(T0),
        until: new Date(T0),
        profile: parseFolded(text),
        body: enc(text),
        format: "folded",
      });
      const row = await db.prisma.profile.findUniqueOrThrow({ where: { id: good.id } });
      const base = {
        ...row,
        labels: "{}",
        startTime: row.startTime,
        idempotencyKey: null,
        createdAt: new Date(),
      };
      const outcomes = await Promise.all([
        db.profileRows().insert({ ...base, id: newRowId() }),
        db.profileRows().insert({ ...base, id: newRowId(), serviceId: "no-such-service" }),
        db.profileRows().insert({ ...base, id: newRowId() }),
      ]);
      expect(outcomes[0]).toEqual({ inserted: true });
      expect(outcomes[1]).toMatchObject({ inserted: false, error: expect.any(Error) });
      expect(outcomes[2]).toEqual({ inserted: true });
      expect(await db.prisma.profile.count()).toBe(3);
    });
  });

  it("the compactor stops between windows when asked, and the next pass finishes the work", async () => {
    await withDb(target, async (db) => {
      const team = await createTeam(db, "t");
      for (let m = 0; m < 6; m++) {
        const text = `main;m${m} 1\n`;
        await storeProfile(db, {
          teamId: team.id,
          service: "s",
          from: new Date(T0 + m * 60_000),
          until: new Date(T0 + m * 60_000 + 10_000),
          profile: parseFolded(text),
          body: enc(text),
          format: "folded",
        });
      }
      const stopped = new AbortController();
      stopped.abort();
      const none = await compact(db, { now: new Date(T0 + 3 * 3_600_000), signal: stopped.signal });
      expect(none).toMatchObject({ ran: true, profiles: 0 });
      // stop() during a pass: it returns once the current window is done, and the lease is free again.
      const c = startCompactor(db, { intervalMs: 60_000 });
      const pass = c.runNow();
      await c.stop();
      const partial = await pass;
      const rest = await compact(db, { now: new Date(T0 + 3 * 3_600_000) });
      expect(rest.ran).toBe(true);
      expect(partial.profiles + rest.profiles).toBe(6);
    });
  });
});
