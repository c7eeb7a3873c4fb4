import {
  acceptInvite,
  createApiToken,
  createInvite,
  deleteInvite,
  listApiTokens,
  listInvites,
  listMembers,
  listMemberships,
  ROLES,
  revokeApiToken,
  setMemberRole,
} from "@perforator/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { authedProcedure, createTRPCRouter, teamProcedure } from "../trpc";

const role = z.enum(ROLES as unknown as ["owner", "member", "viewer"]);

export const teamRouter = createTRPCRouter({
  /** Who is signed in, their teams and the one selected. */
  me: authedProcedure.query(async ({ ctx }) => {
    const memberships = await listMemberships(ctx.db, ctx.user.id);
    const current = memberships.find((m) => m.teamId === ctx.teamId) ?? memberships[0] ?? null;
    return { user: ctx.user, memberships, current };
  }),

  /** A signed-in user joins the team of an invite link (single use). */
  acceptInvite: authedProcedure.input(z.object({ token: z.string().min(1) })).mutation(async ({ ctx, input }) => {
    const joined = await acceptInvite(ctx.db, input.token, ctx.user.id);
    if (!joined) throw new TRPCError({ code: "NOT_FOUND", message: "this invite link is expired or was already used" });
    return joined;
  }),

  members: teamProcedure.query(({ ctx }) => listMembers(ctx.db, ctx.team.id)),

  setRole: teamProcedure
    .meta({ role: "owner" })
    .input(z.object({ userId: z.string(), role: role.nullable() }))
    .mutation(async ({ ctx, input }) => {
      try {
        if (!(await setMemberRole(ctx.db, ctx.team.id, input.userId, input.role)))
          throw new TRPCError({ code: "NOT_FOUND", message: "no such member in this team" });
      } catch (err) {
        if (err instanceof TRPCError) throw err;
        throw new TRPCError({ code: "BAD_REQUEST", message: (err as Error).message });
      }
      return { ok: true };
    }),

  invites: teamProcedure.meta({ role: "owner" }).query(({ ctx }) => listInvites(ctx.db, ctx.team.id)),

  createInvite: teamProcedure
    .meta({ role: "owner" })
    .input(z.object({ role, days: z.number().int().min(1).max(30).default(7) }))
    .mutation(async ({ ctx, input }) => {
      const { token, invite } = await createInvite(ctx.db, {
        teamId: ctx.team.id,
        role: input.role,
        createdById: ctx.user.id,
        ttlMs: input.days * 86_400_000,
      });
      return { token, invite, path: `/sign-up?invite=${encodeURIComponent(token)}` };
    }),

  deleteInvite: teamProcedure
    .meta({ role: "owner" })
    .input(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      if (!(await deleteInvite(ctx.db, ctx.team.id, input.id))) throw new TRPCError({ code: "NOT_FOUND" });
      return { ok: true };
    }),

  tokens: teamProcedure.meta({ role: "owner" }).query(({ ctx }) => listApiTokens(ctx.db, ctx.team.id)),

  createToken: teamProcedure
    .meta({ role: "owner" })
    .input(z.object({ scope: z.enum(["ingest", "read"]), name: z.string().trim().min(1).max(100) }))
    .mutation(async ({ ctx, input }) => {
      const { token, record } = await createApiToken(ctx.db, {
        teamId: ctx.team.id,
        scope: input.scope,
        name: input.name,
      });
      return { token, record };
    }),

  revokeToken: teamProcedure
    .meta({ role: "owner" })
    .input(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      if (!(await revokeApiToken(ctx.db, ctx.team.id, input.id))) throw new TRPCError({ code: "NOT_FOUND" });
      return { ok: true };
    }),
});
