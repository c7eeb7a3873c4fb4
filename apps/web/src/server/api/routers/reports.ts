import {
  createReportLink,
  deleteReport,
  getReport,
  listReportLinks,
  listReports,
  REPORT_LIMITS,
  ReportInputError,
  revokeShareLink,
  updateReport,
} from "@perforator/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { parseSource, type Source } from "../../../lib/source";
import { buildReport } from "../../reports";
import { HttpError } from "../../sources";
import { createTRPCRouter, teamProcedure } from "../trpc";
import { freeze } from "./share";

const sourceInput = z.custom<Source>((v) => parseSource(v) !== null, "not a profile id or selector + range");
const figure = z.object({
  label: z.string().max(REPORT_LIMITS.figureText),
  before: z.string().max(REPORT_LIMITS.figureText),
  after: z.string().max(REPORT_LIMITS.figureText),
});
const edit = {
  title: z.string().max(REPORT_LIMITS.title),
  notes: z.string().max(REPORT_LIMITS.notes),
  figures: z.array(figure).max(REPORT_LIMITS.figures),
};
const slug = z.object({ slug: z.string().min(1).max(64) });

/** Author errors (empty title...) and unusable sources become 4xx with the message; anything else stays a 500. */
function userError(err: unknown): never {
  if (err instanceof ReportInputError) throw new TRPCError({ code: "BAD_REQUEST", message: err.message });
  if (err instanceof HttpError) {
    throw new TRPCError({ code: err.status === 404 ? "NOT_FOUND" : "BAD_REQUEST", message: err.message });
  }
  throw err;
}

const notFound = () => new TRPCError({ code: "NOT_FOUND", message: "no such report in this team" });

/**
 * Optimization reports of the selected team. Reading needs viewer, writing member (the team middleware checks both);
 * every query is scoped by `ctx.team.id`, so another team's slug is not found.
 */
export const reportsRouter = createTRPCRouter({
  /** Freezes both sides (relative ranges become absolute), merges them and stores the report. */
  create: teamProcedure
    .meta({ role: "member" })
    .input(
      z.object({
        baseline: sourceInput,
        target: sourceInput,
        title: edit.title,
        notes: edit.notes.default(""),
        figures: edit.figures.default([]),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const [baseline, target] = await Promise.all([
        freeze(ctx.db, ctx.team.id, input.baseline),
        freeze(ctx.db, ctx.team.id, input.target),
      ]);
      const r = await buildReport(ctx.db, ctx.team.id, { ...input, baseline, target, authorId: ctx.user.id }).catch(
        userError,
      );
      return { slug: r.slug, path: `/r/${r.slug}` };
    }),

  list: teamProcedure
    .input(
      z
        .object({ service: z.string().optional(), limit: z.number().int().min(1).max(200).default(20) })
        .default({ limit: 20 }),
    )
    .query(({ ctx, input }) => listReports(ctx.db, ctx.team.id, input)),

  get: teamProcedure.input(slug).query(async ({ ctx, input }) => {
    const r = await getReport(ctx.db, ctx.team.id, input.slug);
    if (!r) throw notFound();
    return r;
  }),

  /** Title, notes and figures; the comparison itself stays as it was frozen. */
  update: teamProcedure
    .meta({ role: "member" })
    .input(
      slug.extend({ title: edit.title.optional(), notes: edit.notes.optional(), figures: edit.figures.optional() }),
    )
    .mutation(async ({ ctx, input }) => {
      const { slug: s, ...changes } = input;
      const r = await updateReport(ctx.db, ctx.team.id, s, changes, ctx.user.id).catch(userError);
      if (!r) throw notFound();
      return r;
    }),

  delete: teamProcedure
    .meta({ role: "member" })
    .input(slug)
    .mutation(async ({ ctx, input }) => {
      if (!(await deleteReport(ctx.db, ctx.team.id, input.slug))) throw notFound();
      return { ok: true };
    }),

  /** A read-only public link (`/r/<link id>`, 128 random bits), revocable. */
  share: teamProcedure
    .meta({ role: "member" })
    .input(slug)
    .mutation(async ({ ctx, input }) => {
      const link = await createReportLink(ctx.db, ctx.team.id, input.slug, ctx.user.id);
      if (!link) throw notFound();
      return { id: link.id, path: `/r/${link.id}` };
    }),

  links: teamProcedure.input(slug).query(async ({ ctx, input }) =>
    (await listReportLinks(ctx.db, ctx.team.id, input.slug)).map((l) => ({
      id: l.id,
      path: `/r/${l.id}`,
      createdAt: l.createdAt,
    })),
  ),

  revokeLink: teamProcedure
    .meta({ role: "member" })
    .input(z.object({ id: z.string().min(1).max(64) }))
    .mutation(async ({ ctx, input }) => {
      if (!(await revokeShareLink(ctx.db, ctx.team.id, input.id))) throw new TRPCError({ code: "NOT_FOUND" });
      return { ok: true };
    }),
});
