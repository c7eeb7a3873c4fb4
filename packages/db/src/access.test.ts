import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  acceptInvite,
  addMember,
  countUsers,
  createInvite,
  createPasswordUser,
  createShareLink,
  deleteInvite,
  ensureTeam,
  findInvite,
  getShareLink,
  hashSecret,
  listInvites,
  listMembers,
  listMemberships,
  listShareLinks,
  revokeShareLink,
  roleAtLeast,
  setMemberRole,
} from "./access.js";
import { type Database, openDatabase } from "./database.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "perforator-access-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const targets: { name: string; url: () => { url: string; schema?: string } }[] = [
  { name: "sqlite", url: () => ({ url: `file:${path.join(tempDir(), "a.db")}` }) },
];
if (process.env.DATABASE_URL_TEST) {
  targets.push({
    name: "postgres",
    url: () => {
      const schema = `acc_${randomBytes(5).toString("hex")}`;
      const u = new URL(process.env.DATABASE_URL_TEST!);
      u.searchParams.set("schema", schema);
      return { url: u.toString(), schema };
    },
  });
}

describe.each(targets)("access on $name", (target) => {
  async function withDb(fn: (db: Database) => Promise<void>) {
    const { url, schema } = target.url();
    const db = openDatabase({ url, dataDir: tempDir() });
    await db.migrate();
    try {
      await fn(db);
    } finally {
      if (schema) await db.prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.close();
    }
  }

  it("roles rank owner > member > viewer", () => {
    expect(roleAtLeast("owner", "member")).toBe(true);
    expect(roleAtLeast("member", "member")).toBe(true);
    expect(roleAtLeast("viewer", "member")).toBe(false);
  });

  it("members: memberships per user, role changes, never without an owner", async () => {
    await withDb(async (db) => {
      const a = await ensureTeam(db, "alpha");
      expect((await ensureTeam(db, "alpha")).id).toBe(a.id);
      const b = await ensureTeam(db, "beta");
      const ann = await createPasswordUser(db, { email: "Ann@X.io", name: "Ann", passwordHash: "h" });
      expect(ann.email).toBe("ann@x.io");
      await expect(createPasswordUser(db, { email: "ann@x.io", name: "A", passwordHash: "h" })).rejects.toThrow(
        /already exists/,
      );
      const ben = await createPasswordUser(db, { email: "ben@x.io", name: "Ben", passwordHash: "h" });
      expect(await countUsers(db)).toBe(2);
      await addMember(db, { teamId: a.id, userId: ann.id, role: "owner" });
      await addMember(db, { teamId: b.id, userId: ann.id, role: "viewer" });
      await addMember(db, { teamId: a.id, userId: ben.id, role: "member" });
      expect((await listMemberships(db, ann.id)).map((m) => [m.teamName, m.role])).toEqual([
        ["alpha", "owner"],
        ["beta", "viewer"],
      ]);
      await expect(setMemberRole(db, a.id, ann.id, "member")).rejects.toThrow(/at least one owner/);
      expect(await setMemberRole(db, a.id, ben.id, "owner")).toBe(true);
      expect(await setMemberRole(db, a.id, ann.id, null)).toBe(true);
      expect(await setMemberRole(db, b.id, ben.id, "owner")).toBe(false); // not a member there
      expect((await listMembers(db, a.id)).map((m) => [m.email, m.role])).toEqual([["ben@x.io", "owner"]]);
    });
  });

  it("invites: hash stored, single use, expiry, scoped deletion", async () => {
    await withDb(async (db) => {
      const t = await ensureTeam(db, "alpha");
      const owner = await createPasswordUser(db, { email: "o@x.io", name: "O", passwordHash: "h" });
      const { token, invite } = await createInvite(db, { teamId: t.id, role: "viewer", createdById: owner.id });
      expect(token.length).toBeGreaterThanOrEqual(32);
      const row = await db.prisma.invite.findUniqueOrThrow({ where: { id: invite.id } });
      expect(row.tokenHash).toBe(hashSecret(token));
      expect(JSON.stringify(row)).not.toContain(token);
      expect(await findInvite(db, token)).toMatchObject({ teamName: "alpha", role: "viewer" });
      expect(await findInvite(db, `${token}x`)).toBeNull();
      const u = await createPasswordUser(db, { email: "u@x.io", name: "U", passwordHash: "h" });
      expect(await acceptInvite(db, token, u.id)).toMatchObject({ teamId: t.id, role: "viewer" });
      expect(await acceptInvite(db, token, u.id)).toBeNull();
      expect((await listInvites(db, t.id))[0]!.usedAt).not.toBeNull();

      const expired = await createInvite(db, { teamId: t.id, role: "member", createdById: owner.id, ttlMs: -1000 });
      expect(await findInvite(db, expired.token)).toBeNull();
      const other = await ensureTeam(db, "beta");
      expect(await deleteInvite(db, other.id, expired.invite.id)).toBe(false);
      expect(await deleteInvite(db, t.id, expired.invite.id)).toBe(true);
    });
  });

  it("share links: 128-bit ids, team-scoped revoke, revoked reads as missing", async () => {
    await withDb(async (db) => {
      const t = await ensureTeam(db, "alpha");
      const other = await ensureTeam(db, "beta");
      const ids = new Set<string>();
      for (let i = 0; i < 20; i++)
        ids.add((await createShareLink(db, { teamId: t.id, kind: "profile", state: { i } })).id);
      expect(ids.size).toBe(20);
      const id = [...ids][0]!;
      expect(Buffer.from(id, "base64url").length).toBe(16);
      expect(await getShareLink(db, id)).toMatchObject({ teamId: t.id, kind: "profile" });
      expect(await revokeShareLink(db, other.id, id)).toBe(false);
      expect(await revokeShareLink(db, t.id, id)).toBe(true);
      expect(await revokeShareLink(db, t.id, id)).toBe(false);
      expect(await getShareLink(db, id)).toBeNull();
      expect((await listShareLinks(db, t.id)).find((l) => l.id === id)!.revokedAt).not.toBeNull();
    });
  });
});
