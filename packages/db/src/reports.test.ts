import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { createPasswordUser, ensureTeam, revokeShareLink } from "./access.js";
import type { Database } from "./database.js";
import { saveProfile } from "./profiles.js";
import {
  createReport,
  createReportLink,
  deleteReport,
  getReport,
  getReportByLink,
  listReportLinks,
  listReports,
  type MovedFunction,
  type NewReport,
  REPORT_LIMITS,
  ReportInputError,
  readReportBodies,
  updateReport,
} from "./reports.js";
import { notePostgresSkipped, targets, withDb } from "./test-utils/targets.js";

notePostgresSkipped();

const moved: MovedFunction[] = [
  {
    name: "search_user",
    file: "server.py",
    module: "",
    kind: "python",
    beforeSelfShare: 0.91,
    afterSelfShare: 0.004,
    beforeTotalShare: 0.91,
    afterTotalShare: 0.004,
  },
  {
    name: "UserIDSearchHandler.do_GET",
    file: "server.py",
    module: "",
    kind: "python",
    beforeSelfShare: 0.001,
    afterSelfShare: 0.002,
    beforeTotalShare: 0.962,
    afterTotalShare: 0.263,
  },
];

describe.each(targets)("reports on $name", (target) => {
  async function setup(db: Database) {
    const team = await ensureTeam(db, "alpha");
    const other = await ensureTeam(db, "beta");
    const user = await createPasswordUser(db, { email: "Ann@example.com", name: "Ann", passwordHash: "x" });
    await saveProfile(db, {
      teamId: team.id,
      service: "demo-server",
      startTime: new Date(0),
      endTime: new Date(1000),
      sampleType: "cpu",
      sampleUnit: "nanoseconds",
      totalValue: 1,
      sampleCount: 1,
      format: "folded",
      body: new TextEncoder().encode("a;b 1\n"),
    });
    const input: NewReport = {
      teamId: team.id,
      service: "demo-server",
      title: "  Dict instead of a linear search ",
      notes: "# Why\nThe handler scanned a list.",
      figures: [{ label: "requests/s", before: "41", after: "2150" }],
      baselineSource: { kind: "profile", id: "p1" },
      targetSource: { kind: "profile", id: "p2" },
      baselineBody: new TextEncoder().encode("before ".repeat(1000)),
      targetBody: new TextEncoder().encode("after"),
      moved,
      authorId: user.id,
    };
    return { team, other, user, input };
  }

  it("creates, reads, freezes bodies, lists, edits and deletes within one team", () =>
    withDb(target, async (db) => {
      const { team, other, user, input } = await setup(db);
      const r = await createReport(db, input);
      expect(r.slug).toMatch(/^[A-Za-z0-9_-]{22}$/); // 16 random bytes, base64url
      expect(r.title).toBe("Dict instead of a linear search");
      expect(r.service).toBe("demo-server");
      expect(r.author).toEqual({ id: user.id, name: "Ann", email: "ann@example.com" });
      expect(r.figures).toEqual([{ label: "requests/s", before: "41", after: "2150" }]);
      expect(r.moved.map((m) => m.name)).toEqual(["search_user", "UserIDSearchHandler.do_GET"]);
      expect(r.headline?.name).toBe("search_user");
      expect(r.targetSource).toEqual({ kind: "profile", id: "p2" });

      const bodies = await readReportBodies(db, team.id, r.slug);
      expect(new TextDecoder().decode(bodies!.baseline)).toBe("before ".repeat(1000));
      expect(new TextDecoder().decode(bodies!.target)).toBe("after");
      const stored = await readReportBodies(db, team.id, r.slug, { gzip: true });
      expect([...stored!.baseline.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
      expect(stored!.baseline.length).toBeLessThan(200); // 7,000 repetitive bytes compress
      expect(new TextDecoder().decode(gunzipSync(stored!.target))).toBe("after");

      // Another team sees nothing.
      expect(await getReport(db, other.id, r.slug)).toBeNull();
      expect(await readReportBodies(db, other.id, r.slug)).toBeNull();
      expect(await listReports(db, other.id)).toEqual([]);
      expect(await updateReport(db, other.id, r.slug, { title: "x" }, null)).toBeNull();
      expect(await deleteReport(db, other.id, r.slug)).toBe(false);
      expect(await createReportLink(db, other.id, r.slug)).toBeNull();

      const second = await createReport(db, { ...input, service: "unknown", title: "second" });
      expect(second.service).toBeNull();
      expect((await listReports(db, team.id)).map((s) => s.title)).toEqual(["second", r.title]);
      expect((await listReports(db, team.id, { service: "demo-server" })).map((s) => s.slug)).toEqual([r.slug]);

      const edited = await updateReport(
        db,
        team.id,
        r.slug,
        { notes: "new notes", figures: [{ label: "p99 ms", before: "900", after: "12" }] },
        user.id,
      );
      expect(edited!.notes).toBe("new notes");
      expect(edited!.title).toBe(r.title);
      expect(edited!.figures).toEqual([{ label: "p99 ms", before: "900", after: "12" }]);
      expect(edited!.editedBy?.id).toBe(user.id);
      expect(edited!.updatedAt.getTime()).toBeGreaterThanOrEqual(r.updatedAt.getTime());
      // The comparison itself does not change with edits.
      expect(new TextDecoder().decode((await readReportBodies(db, team.id, r.slug))!.target)).toBe("after");

      expect(await deleteReport(db, team.id, second.slug)).toBe(true);
      expect(await getReport(db, team.id, second.slug)).toBeNull();
    }));

  it("rejects bad input with a message and stores nothing", () =>
    withDb(target, async (db) => {
      const { team, input } = await setup(db);
      await expect(createReport(db, { ...input, title: "  " })).rejects.toThrow(/needs a title/);
      await expect(createReport(db, { ...input, title: "t".repeat(REPORT_LIMITS.title + 1) })).rejects.toThrow(
        ReportInputError,
      );
      await expect(createReport(db, { ...input, figures: [{ label: "", before: "1", after: "2" }] })).rejects.toThrow(
        /figure 1 needs a label/,
      );
      await expect(
        createReport(db, {
          ...input,
          figures: Array.from({ length: REPORT_LIMITS.figures + 1 }, () => ({ label: "a", before: "", after: "" })),
        }),
      ).rejects.toThrow(/at most/);
      expect(await listReports(db, team.id)).toEqual([]);
      const r = await createReport(db, input);
      await expect(
        updateReport(db, team.id, r.slug, { notes: "n".repeat(REPORT_LIMITS.notes + 1) }, null),
      ).rejects.toThrow(/keep them under/);
      expect((await getReport(db, team.id, r.slug))!.notes).toBe(input.notes);
    }));

  it("public links: read-only lookup, revocable, scoped to their report, gone with it", () =>
    withDb(target, async (db) => {
      const { team, user, input } = await setup(db);
      const r = await createReport(db, input);
      const other = await createReport(db, { ...input, title: "other" });
      const link = await createReportLink(db, team.id, r.slug, user.id);
      expect(link!.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(link!.id).not.toBe(r.slug);
      expect((await getReportByLink(db, link!.id))!.slug).toBe(r.slug);
      expect(await listReportLinks(db, team.id, other.slug)).toEqual([]);
      expect((await listReportLinks(db, team.id, r.slug)).map((l) => l.id)).toEqual([link!.id]);
      // The report's own slug is not a public link.
      expect(await getReportByLink(db, r.slug)).toBeNull();
      expect(await revokeShareLink(db, team.id, link!.id)).toBe(true);
      expect(await getReportByLink(db, link!.id)).toBeNull();
      expect(await listReportLinks(db, team.id, r.slug)).toEqual([]);

      const again = await createReportLink(db, team.id, r.slug, user.id);
      expect(await deleteReport(db, team.id, r.slug)).toBe(true);
      expect(await getReportByLink(db, again!.id)).toBeNull();
    }));
});
