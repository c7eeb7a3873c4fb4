/**
 * The tRPC routers against a real store (a temp SQLite file, and PostgreSQL in a schema of its own when
 * DATABASE_URL_TEST is set): sign-up rules through better-auth itself, the team middleware (roles, isolation),
 * tokens, invites and share links.
 */
import { addMember, createPasswordUser, type Database, ensureTeam, getShareLink, saveProfile } from "@perforator/db";
import { describe, expect, it } from "vitest";
import { code, member, storeTargets, withStore as storeWithin, tempDirs } from "../../../test-utils/routers";
import { createAuth } from "../../auth";
import { handleFor } from "../../db";
import { shareState } from "../../sources";
import { createCaller } from "../root";
import type { SessionUser } from "../trpc";

const tempDir = tempDirs("perforator-web-routers-");
const targets = storeTargets(tempDir, "web_");
if (!process.env.DATABASE_URL_TEST) {
  it.skip("postgres (set DATABASE_URL_TEST=postgresql://... to run the router tests on PostgreSQL too)", () => {});
}

const ORIGIN = "http://127.0.0.1:3999";

describe.each(targets)("routers on $name", (target) => {
  async function withStore(fn: (db: Database, auth: ReturnType<typeof createAuth>) => Promise<void>) {
    await storeWithin(target, tempDir, async (db) => {
      process.env.BETTER_AUTH_URL = ORIGIN;
      try {
        await fn(db, createAuth(db));
      } finally {
        delete process.env.BETTER_AUTH_URL;
      }
    });
  }

  function caller(db: Database, user: SessionUser | null, teamId?: string) {
    return createCaller({ database: handleFor(db), user, ...(teamId ? { teamId } : {}) });
  }

  /** Sign-up through better-auth's own endpoint (with its hooks); an APIError becomes its status and message. */
  async function signUp(auth: ReturnType<typeof createAuth>, email: string, inviteToken?: string) {
    try {
      const res = await auth.api.signUpEmail({
        body: {
          email,
          password: "correct horse battery",
          name: email.split("@")[0]!,
          ...(inviteToken ? { inviteToken } : {}),
        },
        headers: new Headers({ origin: ORIGIN }),
        asResponse: true,
      });
      const body = (await res.json()) as { user?: SessionUser; message?: string };
      return { status: res.status, user: body.user, message: body.message };
    } catch (err) {
      const e = err as { statusCode?: number; message?: string };
      if (typeof e.statusCode !== "number") throw err;
      return { status: e.statusCode, user: undefined, message: e.message };
    }
  }

  it("the first sign-up owns team default; later ones need a single-use invite", async () => {
    await withStore(async (db, auth) => {
      const first = await signUp(auth, "ada@example.com");
      expect(first.status).toBe(200);
      const ada = first.user!;
      const me = await caller(db, ada).team.me();
      expect(me.current).toMatchObject({ teamName: "default", role: "owner" });

      const refused = await signUp(auth, "eve@example.com");
      expect(refused.status).toBe(403);
      expect(refused.message).toMatch(/invite link/);

      const invite = await caller(db, ada).team.createInvite({ role: "viewer", days: 7 });
      expect(invite.path).toContain(encodeURIComponent(invite.token));
      const bob = await signUp(auth, "bob@example.com", invite.token);
      expect(bob.status).toBe(200);
      expect((await caller(db, bob.user!).team.me()).current).toMatchObject({ teamName: "default", role: "viewer" });
      expect((await signUp(auth, "carol@example.com", invite.token)).status).toBe(403); // used up

      const members = await caller(db, ada).team.members();
      expect(members.map((m) => [m.email, m.role])).toEqual([
        ["ada@example.com", "owner"],
        ["bob@example.com", "viewer"],
      ]);
      // The only owner cannot step down.
      expect(await code(caller(db, ada).team.setRole({ userId: ada.id, role: "member" }))).toBe("BAD_REQUEST");
    });
  });

  it("one middleware: no session → UNAUTHORIZED, roles enforced, another team's ids are NOT_FOUND", async () => {
    await withStore(async (db) => {
      const teamA = await ensureTeam(db, "default");
      const teamB = await ensureTeam(db, "team-b");
      const users: Record<string, SessionUser> = {};
      for (const [email, teamId, role] of [
        ["owner-a@x.io", teamA.id, "owner"],
        ["viewer-a@x.io", teamA.id, "viewer"],
        ["member-b@x.io", teamB.id, "member"],
      ] as const) {
        const u = await createPasswordUser(db, { email, name: email, passwordHash: "unused" });
        await addMember(db, { teamId, userId: u.id, role });
        users[email] = { id: u.id, email, name: email };
      }
      const p = await saveProfile(db, {
        teamId: teamA.id,
        service: "python.server",
        startTime: new Date(Date.now() - 60_000),
        endTime: new Date(),
        sampleType: "cpu",
        sampleUnit: "nanoseconds",
        totalValue: 3,
        sampleCount: 2,
        format: "folded",
        body: new TextEncoder().encode("main;search_user 2\nmain;send 1\n"),
      });
      const ownerA = caller(db, users["owner-a@x.io"]!);
      const viewerA = caller(db, users["viewer-a@x.io"]!);
      const memberB = caller(db, users["member-b@x.io"]!);

      expect(await code(caller(db, null).profiles.services())).toBe("UNAUTHORIZED");
      expect((await ownerA.profiles.get({ id: p.id })).service).toBe("python.server");
      expect((await viewerA.profiles.get({ id: p.id })).id).toBe(p.id);
      expect(await code(memberB.profiles.get({ id: p.id }))).toBe("NOT_FOUND");
      expect(await memberB.profiles.services()).toEqual([]);
      // Selecting a team one is not a member of falls back to one's own team, never the other.
      expect(await code(caller(db, users["member-b@x.io"]!, teamA.id).profiles.get({ id: p.id }))).toBe("NOT_FOUND");

      // viewer: read-only
      expect(await code(viewerA.share.create({ target: { kind: "profile", id: p.id }, view: "" }))).toBe("FORBIDDEN");
      expect(await code(viewerA.team.createToken({ scope: "ingest", name: "ci" }))).toBe("FORBIDDEN");
      // another team cannot share what it cannot see
      expect(await code(memberB.share.create({ target: { kind: "profile", id: p.id }, view: "" }))).toBe("NOT_FOUND");

      const link = await ownerA.share.create({ target: { kind: "profile", id: p.id }, view: "tab=top&q=search" });
      expect(link.id.length).toBeGreaterThanOrEqual(22); // 128 bits in base64url
      expect((await shareState(db, link.id)).state).toMatchObject({
        target: { kind: "profile", id: p.id },
        view: "tab=top&q=search",
      });
      expect(await code(memberB.share.revoke({ id: link.id }))).toBe("NOT_FOUND");
      await ownerA.share.revoke({ id: link.id });
      expect(await getShareLink(db, link.id)).toBeNull();
      await expect(shareState(db, link.id)).rejects.toMatchObject({ status: 404 });
    });
  });

  it("a public link of a relative range freezes the absolute range it meant", async () => {
    await withStore(async (db) => {
      const team = await ensureTeam(db, "default");
      const api = caller(db, await member(db, "m@x.io", team.id, "member"));
      const before = Date.now();
      const link = await api.share.create({
        target: { kind: "query", selector: '{service="api", host=~"web-.*"}', from: "now-1h", until: "now" },
        view: "",
      });
      const { state, kind } = await shareState(db, link.id);
      expect(kind).toBe("view");
      const t = state.target as { from: string; until: string };
      expect(Number(t.until)).toBeGreaterThanOrEqual(before);
      expect(Number(t.until) - Number(t.from)).toBe(3_600_000);
      expect(
        await code(
          api.share.create({
            target: { kind: "query", selector: "{service=", from: "now-1h", until: "now" },
            view: "",
          }),
        ),
      ).toBe("BAD_REQUEST");
    });
  });

  it("API tokens: owners create (shown once), list (prefix only) and revoke", async () => {
    await withStore(async (db) => {
      const team = await ensureTeam(db, "default");
      const api = caller(db, await member(db, "o@x.io", team.id, "owner"));
      const { token, record } = await api.team.createToken({ scope: "read", name: "grafana" });
      const listed = await api.team.tokens();
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ id: record.id, scope: "read", name: "grafana", revokedAt: null });
      expect(JSON.stringify(listed)).not.toContain(token);
      expect(token.startsWith(listed[0]!.prefix)).toBe(true);
      await api.team.revokeToken({ id: record.id });
      expect((await api.team.tokens())[0]!.revokedAt).not.toBeNull();
    });
  });
});
