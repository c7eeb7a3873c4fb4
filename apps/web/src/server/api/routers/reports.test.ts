/**
 * The reports and dashboard routers through the server-side caller on a real store (SQLite, and PostgreSQL in a schema
 * of its own when DATABASE_URL_TEST is set): a report freezes both sides (relative ranges become absolute, the merged
 * profiles are stored), roles (viewers read, members write), another team's slug is NOT_FOUND, public links resolve
 * until revoked, and the dashboard's what-changed rows.
 */
import { type Database, ensureTeam, storeProfile } from "@perforator/db";
import { importProfile } from "@perforator/profile";
import { describe, expect, it } from "vitest";
import { code, member, storeTargets, withStore as storeWithin, tempDirs } from "../../../test-utils/routers";
import { handleFor } from "../../db";
import { reportProfiles, resolveReport } from "../../reports";
import { createCaller } from "../root";
import type { SessionUser } from "../trpc";

const tempDir = tempDirs("perforator-web-reports-");
const targets = storeTargets(tempDir, "webrep_");

const SLOW = "main;do_GET;search_user 900\nmain;do_GET;send 60\nmain;select 40";
const FAST = "main;do_GET;search_user 4\nmain;do_GET;send 60\nmain;select 170";
const HOUR = 3_600_000;

describe.each(targets)("reports and dashboard routers on $name", (target) => {
  const withStore = (fn: (db: Database) => Promise<void>) => storeWithin(target, tempDir, fn);

  async function put(db: Database, teamId: string, folded: string, at: number) {
    const body = new TextEncoder().encode(folded);
    return (
      await storeProfile(db, {
        teamId,
        service: "api",
        from: new Date(at),
        until: new Date(at + 60_000),
        profile: importProfile(body),
        body,
        format: "folded",
      })
    ).id;
  }

  it("create freezes both sides; members edit and share, viewers read; other teams see nothing", async () => {
    await withStore(async (db) => {
      const team = await ensureTeam(db, "alpha");
      const beta = await ensureTeam(db, "beta");
      const ann = await member(db, "ann@example.com", team.id, "member");
      const vic = await member(db, "vic@example.com", team.id, "viewer");
      const bob = await member(db, "bob@example.com", beta.id, "owner");
      const as = (u: SessionUser, teamId: string) => createCaller({ database: handleFor(db), user: u, teamId });
      const now = Date.now();
      const slowId = await put(db, team.id, SLOW, now - 3 * HOUR);
      /** A report of the slow profile against itself: what a viewer or another team must not be able to create. */
      const slowVsSlow = (title: string) => ({
        baseline: { kind: "profile" as const, id: slowId },
        target: { kind: "profile" as const, id: slowId },
        title,
      });
      await put(db, team.id, FAST, now - 30 * 60_000);

      // Baseline a profile, target a selector over the last hour (relative): frozen to absolute times.
      const created = await as(ann, team.id).reports.create({
        baseline: { kind: "profile", id: slowId },
        target: { kind: "query", selector: '{service="api"}', from: "now-1h", until: "now" },
        title: "dict",
        figures: [{ label: "requests/s", before: "41", after: "2150" }],
      });
      expect(created.path).toBe(`/r/${created.slug}`);
      const r = await as(vic, team.id).reports.get({ slug: created.slug });
      expect(r.service).toBe("api");
      expect(r.author?.email).toBe("ann@example.com");
      const ts = r.targetSource as { from: string; until: string };
      expect(Number(ts.until) - Number(ts.from)).toBe(HOUR);
      const search = r.moved.find((m) => m.name === "search_user")!;
      expect(search.beforeTotalShare).toBeCloseTo(0.9, 9);
      expect(search.afterTotalShare).toBeCloseTo(4 / 234, 9);

      // Frozen: a profile uploaded into the target's range later changes nothing in the report.
      await put(db, team.id, SLOW, now - 10 * 60_000);
      const resolved = (await resolveReport(db, ann.id, created.slug))!;
      const { target: frozen } = await reportProfiles(db, resolved);
      expect(frozen.samples.reduce((s, x) => s + x.values[0]!, 0)).toBe(234);

      expect(await code(as(vic, team.id).reports.update({ slug: created.slug, notes: "x" }))).toBe("FORBIDDEN");
      expect(await code(as(vic, team.id).reports.share({ slug: created.slug }))).toBe("FORBIDDEN");
      expect(await code(as(vic, team.id).reports.create(slowVsSlow("t")))).toBe("FORBIDDEN");
      expect((await as(ann, team.id).reports.update({ slug: created.slug, notes: "**why**" })).notes).toBe("**why**");
      expect(await code(as(ann, team.id).reports.update({ slug: created.slug, title: " " }))).toBe("BAD_REQUEST");

      // Another team: not found, never data; its own list is empty; its profile ids do not resolve in ours.
      expect(await code(as(bob, beta.id).reports.get({ slug: created.slug }))).toBe("NOT_FOUND");
      expect(await code(as(bob, beta.id).reports.update({ slug: created.slug, notes: "x" }))).toBe("NOT_FOUND");
      expect(await code(as(bob, beta.id).reports.share({ slug: created.slug }))).toBe("NOT_FOUND");
      expect(await as(bob, beta.id).reports.list()).toEqual([]);
      expect(await resolveReport(db, bob.id, created.slug)).toBeNull();
      expect(await code(as(bob, beta.id).reports.create(slowVsSlow("steal")))).toBe("NOT_FOUND");

      // Public link: anyone resolves it (read-only), until revoked; the slug is not a public link.
      const link = await as(ann, team.id).reports.share({ slug: created.slug });
      expect((await resolveReport(db, null, link.id))?.access).toBe("public");
      expect(await resolveReport(db, null, created.slug)).toBeNull();
      expect((await as(vic, team.id).reports.links({ slug: created.slug })).map((l) => l.id)).toEqual([link.id]);
      expect(await code(as(bob, beta.id).reports.revokeLink({ id: link.id }))).toBe("NOT_FOUND");
      await as(ann, team.id).reports.revokeLink({ id: link.id });
      expect(await resolveReport(db, null, link.id)).toBeNull();

      expect((await as(vic, team.id).reports.list({ service: "api", limit: 5 })).map((x) => x.slug)).toEqual([
        created.slug,
      ]);

      // A side with no samples cannot make a report.
      expect(
        await code(
          as(ann, team.id).reports.create({
            baseline: { kind: "query", selector: '{service="api"}', from: "now-30d", until: "now-29d" },
            target: { kind: "profile", id: slowId },
            title: "empty",
          }),
        ),
      ).toBe("BAD_REQUEST");
    });
  });

  it("dashboard.overview: what changed this window against the previous one", async () => {
    await withStore(async (db) => {
      const team = await ensureTeam(db, "alpha");
      const vic = await member(db, "vic@example.com", team.id, "viewer");
      const now = Date.now();
      await put(db, team.id, SLOW, now - 30 * HOUR);
      await put(db, team.id, FAST, now - 2 * HOUR);
      const d = await createCaller({ database: handleFor(db), user: vic, teamId: team.id }).dashboard.overview({
        from: "now-24h",
        until: "now",
      });
      expect(d.until.getTime() - d.from.getTime()).toBe(24 * HOUR);
      expect(d.previous.until).toEqual(d.from);
      const api = d.services.find((s) => s.name === "api")!;
      expect(api.profiles).toBe(1);
      expect(api.changed[0]).toMatchObject({ name: "search_user" });
      expect(api.changed[0]!.before).toBeCloseTo(0.9, 9);
      expect(
        await code(
          createCaller({ database: handleFor(db), user: vic, teamId: team.id }).dashboard.overview({
            from: "yesterday",
          }),
        ),
      ).toBe("BAD_REQUEST");
    });
  });
});
