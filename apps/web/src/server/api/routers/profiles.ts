import { defaultTeamId, listProfiles, listServices } from "@perforator/db";
import { z } from "zod";
import { ensureReady } from "../../db";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const profilesRouter = createTRPCRouter({
  /** Services with their profile counts; empty when the database is unusable (the health card says why). */
  services: publicProcedure.query(async ({ ctx }) => {
    await ensureReady(ctx.database);
    const db = ctx.database.db;
    if (!db || ctx.database.error) return [];
    // Until sign-in and teams reach the web app (issue 11) it shows team `default`.
    return listServices(db, await defaultTeamId(db));
  }),
  recent: publicProcedure
    .input(z.object({ service: z.string().optional(), limit: z.number().int().min(1).max(200).default(20) }).optional())
    .query(async ({ ctx, input }) => {
      await ensureReady(ctx.database);
      const db = ctx.database.db;
      if (!db || ctx.database.error) return [];
      const teamId = await defaultTeamId(db);
      return (await listProfiles(db, { teamId, service: input?.service, limit: input?.limit ?? 20 })).profiles;
    }),
});
