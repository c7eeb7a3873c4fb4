/**
 * Who may see what: team members and roles, invite links, public share links, and password users created from the
 * admin CLI. The web app's sign-in (better-auth) owns the user/session/account tables; these functions only read users
 * and add the team side.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Database } from "./database.js";
import { createTeam, getTeamByName } from "./teams.js";

export type Role = "owner" | "member" | "viewer";
export const ROLES: readonly Role[] = ["owner", "member", "viewer"];
const RANK: Record<Role, number> = { viewer: 0, member: 1, owner: 2 };

/** Whether `role` grants at least what `needed` does (owner > member > viewer). */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

function asRole(v: string): Role {
  return (ROLES as readonly string[]).includes(v) ? (v as Role) : "viewer";
}

/** sha256 hex: invite tokens are stored as their hash only. */
export function hashSecret(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** A random url-safe id of `bytes` bytes (default 16 = 128 bits). */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString("base64url");
}

export async function countUsers(db: Database): Promise<number> {
  return db.prisma.user.count();
}

/** The team called `name`, created when missing (checked like createTeam; two callers at once get one team). */
export async function ensureTeam(db: Database, name: string): Promise<{ id: string; name: string }> {
  const found = await getTeamByName(db, name);
  if (found) return found;
  try {
    return await createTeam(db, name);
  } catch (err) {
    const again = await getTeamByName(db, name);
    if (again) return again;
    throw err;
  }
}

export interface Membership {
  teamId: string;
  teamName: string;
  role: Role;
}

export async function addMember(db: Database, m: { teamId: string; userId: string; role: Role }): Promise<void> {
  await db.prisma.member.upsert({
    where: { teamId_userId: { teamId: m.teamId, userId: m.userId } },
    create: { teamId: m.teamId, userId: m.userId, role: m.role },
    update: { role: m.role },
  });
}

/** Teams the user belongs to, oldest membership first. */
export async function listMemberships(db: Database, userId: string): Promise<Membership[]> {
  const rows = await db.prisma.member.findMany({
    where: { userId },
    include: { team: true },
    orderBy: { createdAt: "asc" },
  });
  return rows.map((r) => ({ teamId: r.teamId, teamName: r.team.name, role: asRole(r.role) }));
}

export interface MemberRow {
  userId: string;
  email: string;
  name: string;
  role: Role;
  since: Date;
}

export async function listMembers(db: Database, teamId: string): Promise<MemberRow[]> {
  const rows = await db.prisma.member.findMany({
    where: { teamId },
    include: { user: true },
    orderBy: { createdAt: "asc" },
  });
  return rows.map((r) => ({
    userId: r.userId,
    email: r.user.email,
    name: r.user.name,
    role: asRole(r.role),
    since: r.createdAt,
  }));
}

/**
 * Changes a member's role, or removes them (`role` null). Refuses to leave the team without an owner.
 * Returns false when the user is not a member of the team.
 */
export async function setMemberRole(db: Database, teamId: string, userId: string, role: Role | null): Promise<boolean> {
  return db.prisma.$transaction(async (tx) => {
    const m = await tx.member.findUnique({ where: { teamId_userId: { teamId, userId } } });
    if (!m) return false;
    if (m.role === "owner" && role !== "owner") {
      const owners = await tx.member.count({ where: { teamId, role: "owner" } });
      if (owners <= 1) throw new Error("a team needs at least one owner: make someone else owner first");
    }
    if (role === null) await tx.member.delete({ where: { teamId_userId: { teamId, userId } } });
    else await tx.member.update({ where: { teamId_userId: { teamId, userId } }, data: { role } });
    return true;
  });
}

export interface InviteRow {
  id: string;
  role: Role;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

/** A single-use invite; the token is returned once and only its hash is stored. */
export async function createInvite(
  db: Database,
  i: { teamId: string; role: Role; createdById: string; ttlMs?: number },
): Promise<{ token: string; invite: InviteRow }> {
  const token = randomId(24);
  const row = await db.prisma.invite.create({
    data: {
      teamId: i.teamId,
      role: i.role,
      createdById: i.createdById,
      tokenHash: hashSecret(token),
      expiresAt: new Date(Date.now() + (i.ttlMs ?? 7 * 24 * 3600 * 1000)),
    },
  });
  return { token, invite: { ...row, role: asRole(row.role) } };
}

export async function listInvites(db: Database, teamId: string): Promise<InviteRow[]> {
  const rows = await db.prisma.invite.findMany({ where: { teamId }, orderBy: { createdAt: "desc" } });
  return rows.map((r) => ({
    id: r.id,
    role: asRole(r.role),
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    usedAt: r.usedAt,
  }));
}

export async function deleteInvite(db: Database, teamId: string, id: string): Promise<boolean> {
  return (await db.prisma.invite.deleteMany({ where: { id, teamId } })).count === 1;
}

/** The invite a token names, if it is unused and unexpired. */
export async function findInvite(
  db: Database,
  token: string,
): Promise<{ id: string; teamId: string; teamName: string; role: Role } | null> {
  if (!token) return null;
  const row = await db.prisma.invite.findUnique({ where: { tokenHash: hashSecret(token) }, include: { team: true } });
  if (!row || row.usedAt || row.expiresAt.getTime() < Date.now()) return null;
  return { id: row.id, teamId: row.teamId, teamName: row.team.name, role: asRole(row.role) };
}

/** Marks the invite used (once: a second use of the same token fails) and adds the user to its team. */
export async function acceptInvite(db: Database, token: string, userId: string): Promise<Membership | null> {
  const invite = await findInvite(db, token);
  if (!invite) return null;
  const claimed = await db.prisma.invite.updateMany({
    where: { id: invite.id, usedAt: null },
    data: { usedAt: new Date() },
  });
  if (claimed.count !== 1) return null;
  await addMember(db, { teamId: invite.teamId, userId, role: invite.role });
  return { teamId: invite.teamId, teamName: invite.teamName, role: invite.role };
}

export type ShareKind = "profile" | "view" | "diff" | "report";

export interface ShareLinkRow {
  id: string;
  teamId: string;
  kind: ShareKind;
  state: unknown;
  createdAt: Date;
  revokedAt: Date | null;
}

function shareRow(r: {
  id: string;
  teamId: string;
  kind: string;
  state: unknown;
  createdAt: Date;
  revokedAt: Date | null;
}): ShareLinkRow {
  return {
    id: r.id,
    teamId: r.teamId,
    kind: r.kind as ShareKind,
    state: r.state,
    createdAt: r.createdAt,
    revokedAt: r.revokedAt,
  };
}

/** A public read-only link; its id (128 random bits) is the only credential. */
export async function createShareLink(
  db: Database,
  s: { teamId: string; kind: ShareKind; state: object; createdById?: string },
): Promise<ShareLinkRow> {
  const row = await db.prisma.shareLink.create({
    data: { id: randomId(16), teamId: s.teamId, kind: s.kind, state: s.state, createdById: s.createdById ?? null },
  });
  return shareRow(row);
}

/** The link if it exists and is not revoked (a revoked link reads as missing). */
export async function getShareLink(db: Database, id: string): Promise<ShareLinkRow | null> {
  const row = await db.prisma.shareLink.findUnique({ where: { id } });
  return row && !row.revokedAt ? shareRow(row) : null;
}

export async function listShareLinks(db: Database, teamId: string): Promise<ShareLinkRow[]> {
  const rows = await db.prisma.shareLink.findMany({ where: { teamId }, orderBy: { createdAt: "desc" } });
  return rows.map(shareRow);
}

export async function revokeShareLink(db: Database, teamId: string, id: string): Promise<boolean> {
  const r = await db.prisma.shareLink.updateMany({
    where: { id, teamId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return r.count === 1;
}

/**
 * A user who signs in with email and password, as better-auth stores one (a `credential` account holding the password
 * hash). `passwordHash` must come from better-auth's `hashPassword`. Fails when the email is taken.
 */
export async function createPasswordUser(
  db: Database,
  u: { email: string; name: string; passwordHash: string },
): Promise<{ id: string; email: string }> {
  const email = u.email.toLowerCase();
  return db.prisma.$transaction(async (tx) => {
    if (await tx.user.findUnique({ where: { email } })) throw new Error(`a user with email ${email} already exists`);
    const now = new Date();
    const user = await tx.user.create({
      data: { id: randomId(16), email, name: u.name, emailVerified: false, createdAt: now, updatedAt: now },
    });
    await tx.account.create({
      data: {
        id: randomId(16),
        accountId: user.id,
        providerId: "credential",
        userId: user.id,
        password: u.passwordHash,
        createdAt: now,
        updatedAt: now,
      },
    });
    return { id: user.id, email: user.email };
  });
}
