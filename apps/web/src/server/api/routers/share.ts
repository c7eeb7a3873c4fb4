import type { Database } from "@perforator/db";
import { createShareLink, getProfile, listShareLinks, revokeShareLink } from "@perforator/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { parseSource, type Source } from "../../../lib/source";
import { resolveRange } from "../../../lib/time";
import { parseQuery } from "../../query";
import { createTRPCRouter, teamProcedure } from "../trpc";

const sourceInput = z.custom<Source>((v) => parseSource(v) !== null, "not a profile id or selector + range");

/**
 * Freezes a source for a public link: a relative range ("last hour") becomes the absolute one it means now, so the
 * link keeps showing what its author saw; a profile must belong to the team.
 */
export async function freeze(db: Database, teamId: string, s: Source): Promise<Source> {
  if (s.kind === "profile") {
    if (!(await getProfile(db, teamId, s.id)))
      throw new TRPCError({ code: "NOT_FOUND", message: `no profile ${s.id}` });
    return s;
  }
  try {
    parseQuery(s.selector);
    const r = resolveRange(s.from, s.until);
    return { kind: "query", selector: s.selector, from: String(r.from), until: String(r.until) };
  } catch (err) {
    throw new TRPCError({ code: "BAD_REQUEST", message: (err as Error).message });
  }
}

export interface ShareState {
  target: Source;
  baseline?: Source;
  /** The viewer's query string (tab, zoom, search, by-line...). */
  view: string;
}

export const shareRouter = createTRPCRouter({
  create: teamProcedure
    .meta({ role: "member" })
    .input(z.object({ target: sourceInput, baseline: sourceInput.optional(), view: z.string().max(4000).default("") }))
    .mutation(async ({ ctx, input }) => {
      const state: ShareState = { target: await freeze(ctx.db, ctx.team.id, input.target), view: input.view };
      if (input.baseline) state.baseline = await freeze(ctx.db, ctx.team.id, input.baseline);
      const kind = state.baseline ? "diff" : state.target.kind === "profile" ? "profile" : "view";
      const link = await createShareLink(ctx.db, { teamId: ctx.team.id, kind, state, createdById: ctx.user.id });
      return { id: link.id, path: `/s/${link.id}` };
    }),

  list: teamProcedure.query(({ ctx }) => listShareLinks(ctx.db, ctx.team.id)),

  revoke: teamProcedure
    .meta({ role: "member" })
    .input(z.object({ id: z.string() }))
    .mutation(async ({ ctx, input }) => {
      if (!(await revokeShareLink(ctx.db, ctx.team.id, input.id))) throw new TRPCError({ code: "NOT_FOUND" });
      return { ok: true };
    }),
});
