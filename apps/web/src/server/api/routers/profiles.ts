import { getProfile, listProfiles, listServices, profileVolume } from "@perforator/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { resolveRange } from "../../../lib/time";
import { parseQuery } from "../../query";
import { createTRPCRouter, teamProcedure } from "../trpc";

const range = { from: z.string().default("now-24h"), until: z.string().default("now") };

/** Selector and range of an input, or BAD_REQUEST saying what is wrong with them. */
function selection(input: { selector: string; from: string; until: string }) {
  try {
    const q = parseQuery(input.selector);
    const r = resolveRange(input.from, input.until);
    return { ...q, from: new Date(r.from), until: new Date(r.until) };
  } catch (err) {
    throw new TRPCError({ code: "BAD_REQUEST", message: (err as Error).message });
  }
}

export const profilesRouter = createTRPCRouter({
  /** The team's services with their profile counts. */
  services: teamProcedure.query(({ ctx }) => listServices(ctx.db, ctx.team.id)),

  /** Newest first. */
  recent: teamProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).default(20) }).optional())
    .query(
      async ({ ctx, input }) =>
        (await listProfiles(ctx.db, { teamId: ctx.team.id, limit: input?.limit ?? 20 })).profiles,
    ),

  /** Profiles a selector matches in a range, newest first. */
  list: teamProcedure
    .input(z.object({ selector: z.string(), ...range, limit: z.number().int().min(1).max(1000).default(100) }))
    .query(async ({ ctx, input }) => {
      const s = selection(input);
      const page = await listProfiles(ctx.db, {
        teamId: ctx.team.id,
        service: s.service,
        labels: s.matchers,
        from: s.from,
        until: s.until,
        limit: input.limit,
      });
      return page.profiles;
    }),

  /** Sample volume over the range in equal buckets, for the explorer's timeline. */
  timeline: teamProcedure
    .input(z.object({ selector: z.string(), ...range, buckets: z.number().int().min(10).max(1000).default(120) }))
    .query(async ({ ctx, input }) => {
      const s = selection(input);
      const v = await profileVolume(ctx.db, {
        teamId: ctx.team.id,
        service: s.service,
        matchers: s.matchers,
        from: s.from,
        until: s.until,
        buckets: input.buckets,
      });
      return { ...v, from: s.from.getTime(), until: s.until.getTime() };
    }),

  /** One profile's metadata; another team's id is NOT_FOUND, exactly like a missing one. */
  get: teamProcedure.input(z.object({ id: z.string() })).query(async ({ ctx, input }) => {
    const p = await getProfile(ctx.db, ctx.team.id, input.id);
    if (!p) throw new TRPCError({ code: "NOT_FOUND", message: `no profile ${input.id} in team ${ctx.team.name}` });
    return p;
  }),
});
