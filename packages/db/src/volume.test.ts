import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { importProfile, parseSelector } from "@perforator/profile";
import { afterAll, describe, expect, it } from "vitest";
import { ensureTeam } from "./access.js";
import { openDatabase } from "./database.js";
import { storeProfile } from "./profiles.js";
import { profileSetStamp, profileVolume } from "./volume.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "perforator-volume-"));
  dirs.push(d);
  return d;
}

const targets: { name: string; url: () => { url: string; schema?: string } }[] = [
  { name: "sqlite", url: () => ({ url: `file:${path.join(tempDir(), "v.db")}` }) },
];
if (process.env.DATABASE_URL_TEST) {
  targets.push({
    name: "postgres",
    url: () => {
      const schema = `vol_${randomBytes(5).toString("hex")}`;
      const u = new URL(process.env.DATABASE_URL_TEST!);
      u.searchParams.set("schema", schema);
      return { url: u.toString(), schema };
    },
  });
}

describe.each(targets)("profileVolume on $name", (target) => {
  it("sums totals per bucket of start time, filtered by team, service and label matchers", async () => {
    const { url, schema } = target.url();
    const db = openDatabase({ url, dataDir: tempDir() });
    await db.migrate();
    try {
      const a = await ensureTeam(db, "alpha");
      const b = await ensureTeam(db, "beta");
      const t0 = Date.UTC(2026, 10, 29, 10, 0);
      const put = async (teamId: string, service: string, minute: number, host: string, n: number) => {
        const body = new TextEncoder().encode(`main;work ${n}\n`);
        await storeProfile(db, {
          teamId,
          service,
          labels: { host },
          from: new Date(t0 + minute * 60_000),
          until: new Date(t0 + (minute + 1) * 60_000),
          profile: importProfile(body),
          body,
          format: "folded",
        });
      };
      await put(a.id, "api", 0, "web-1", 5);
      await put(a.id, "api", 1, "web-2", 7);
      await put(a.id, "api", 9, "web-1", 11);
      await put(a.id, "worker", 2, "web-1", 100);
      await put(b.id, "api", 0, "web-1", 1000);
      const q = { teamId: a.id, service: "api", from: new Date(t0), until: new Date(t0 + 10 * 60_000), buckets: 5 };
      const all = await profileVolume(db, q);
      expect(all.count).toBe(3);
      expect(all.values).toEqual([12, 0, 0, 0, 11]);
      expect(all.times[1]).toBe((t0 + 120_000) / 1000);
      expect(all.unit).toBe("samples (count)");
      const web1 = await profileVolume(db, { ...q, matchers: parseSelector('{host=~"web-1"}') });
      expect(web1.values).toEqual([5, 0, 0, 0, 11]);
      expect((await profileVolume(db, { ...q, teamId: b.id })).values[0]).toBe(1000);
      expect((await profileVolume(db, { ...q, service: "none" })).count).toBe(0);

      const stamp = await profileSetStamp(db, q as typeof q & { service: string });
      expect(stamp).toMatch(/^3:\d+$/);
      await put(a.id, "api", 5, "web-3", 1);
      const after = await profileSetStamp(db, q as typeof q & { service: string });
      expect(after).not.toBe(stamp);
      expect(after).toMatch(/^4:/);
      expect(
        await profileSetStamp(db, { ...q, from: new Date(t0 + 20 * 60_000), until: new Date(t0 + 30 * 60_000) }),
      ).toBe("0:0");
    } finally {
      if (schema) await db.prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.close();
    }
  });
});
