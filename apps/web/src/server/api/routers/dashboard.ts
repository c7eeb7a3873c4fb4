import { dashboard } from "@perforator/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { resolveRange } from "../../../lib/time";
import { createTRPCRouter, teamProcedure } from "../trpc";

export const dashboardRouter = createTRPCRouter({
  /**
   * The team's front page: per service last upload, volume and CPU per bucket, top functions by self, and what moved
   * between the range and the previous one of equal length (from the rollups' function summaries, plus the few
   * profiles no rollup holds yet).
   */
  overview: teamProcedure
    .input(
      z.object({
        from: z.string().default("now-7d"),
        until: z.string().default("now"),
        buckets: z.number().int().min(4).max(200).default(28),
      }),
    )
    .query(async ({ ctx, input }) => {
      let r: { from: number; until: number };
      try {
        r = resolveRange(input.from, input.until);
      } catch (err) {
        throw new TRPCError({ code: "BAD_REQUEST", message: (err as Error).message });
      }
      return dashboard(ctx.db, {
        teamId: ctx.team.id,
        from: new Date(r.from),
        until: new Date(r.until),
        buckets: input.buckets,
      });
    }),
});
