import { type Database, listMemberships, type Role, roleAtLeast } from "@perforator/db";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { type DatabaseHandle, ensureReady } from "../db";

export interface SessionUser {
  id: string;
  email: string;
  name: string;
}

export interface Context {
  database: DatabaseHandle;
  /** The signed-in user, resolved from the session cookie by the caller (route handler or server component). */
  user: SessionUser | null;
  /** The team the browser has selected (cookie), by id; the user's first team when unset or not theirs. */
  teamId?: string;
}

/** Procedure metadata: the least role a team procedure needs (default viewer: read-only). */
export interface Meta {
  role?: Role;
}

const t = initTRPC.context<Context>().meta<Meta>().create({
  // Dates and bigints (profile totals) survive the trip to the browser.
  transformer: superjson,
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure;

async function readyDb(database: DatabaseHandle): Promise<Database> {
  await ensureReady(database);
  if (!database.db || database.error) {
    throw new TRPCError({
      code: "INTERNAL_SERVER_ERROR",
      message: `the database is not available: ${database.error ?? "unknown error"}`,
    });
  }
  return database.db;
}

/** Signed in, any team or none. */
export const authedProcedure = t.procedure.use(async ({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first" });
  const db = await readyDb(ctx.database);
  return next({ ctx: { ...ctx, user: ctx.user, db } });
});

/**
 * THE access check of every team procedure: the session's user, their membership of the selected team and their
 * role against the procedure's `meta.role`. Every team query then filters by `ctx.team.id`, so another team's ids
 * are simply not found.
 */
export const teamProcedure = authedProcedure.use(async ({ ctx, meta, next }) => {
  const memberships = await listMemberships(ctx.db, ctx.user.id);
  const team = memberships.find((m) => m.teamId === ctx.teamId) ?? memberships[0];
  if (!team) throw new TRPCError({ code: "FORBIDDEN", message: "you are not a member of any team: ask for an invite" });
  const needed = meta?.role ?? "viewer";
  if (!roleAtLeast(team.role, needed)) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: `this needs the ${needed} role in team ${team.teamName}; you are ${team.role}`,
    });
  }
  return next({ ctx: { ...ctx, team: { id: team.teamId, name: team.teamName, role: team.role }, memberships } });
});
