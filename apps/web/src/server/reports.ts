/**
 * Reports on the server: building one from two sources (merged now, frozen in the row), finding the report a URL
 * names (a slug in one of the user's teams, or a public link id), and exporting it as one offline HTML file.
 */
import {
  createReport,
  type Database,
  getProfile,
  getReport,
  getReportByLink,
  listMemberships,
  type MovedFunction,
  type ReportFigure,
  type ReportRecord,
  type Role,
  readReportBodies,
} from "@perforator/db";
import { renderStandaloneHtml } from "@perforator/flamegraph/standalone";
import { importProfile, type Profile, serializeProfile, topFunctionsDiff } from "@perforator/profile";
import type { ReportDoc } from "../components/report-document";
import { REPORT_CSS, REPORT_SLOT } from "../lib/report-css";
import { parseSource, type Source } from "../lib/source";
import { describeRange } from "../lib/time";
import { parseQuery } from "./query";
import { HttpError, loadSource } from "./sources";

/** How many moved functions a report keeps (largest change of total share first). */
export const MOVED_ROWS = 20;

export interface BuildReportInput {
  /** Already frozen: profile ids, or selectors with absolute ranges (see the share router's `freeze`). */
  baseline: Source;
  target: Source;
  title: string;
  notes?: string;
  figures?: ReportFigure[];
  authorId: string;
}

/** The moved-functions rows of a comparison: shares of each profile's own total, largest |change| first. */
export function movedFunctions(baseline: Profile, target: Profile, limit = MOVED_ROWS): MovedFunction[] {
  return topFunctionsDiff(baseline, target, { sortBy: "total" })
    .slice(0, limit)
    .map((r) => ({
      name: r.name,
      file: r.file,
      module: r.module,
      kind: r.kind,
      beforeSelfShare: r.beforeSelfShare,
      afterSelfShare: r.afterSelfShare,
      beforeTotalShare: r.beforeTotalShare,
      afterTotalShare: r.afterTotalShare,
    }));
}

async function serviceOf(db: Database, teamId: string, s: Source): Promise<string | null> {
  if (s.kind === "profile") return (await getProfile(db, teamId, s.id))?.service ?? null;
  return parseQuery(s.selector).service ?? null;
}

/** Merges both sides now and stores the report with the merged profiles, so it never changes afterwards. */
export async function buildReport(db: Database, teamId: string, input: BuildReportInput): Promise<ReportRecord> {
  const [baseline, target] = await Promise.all([
    loadSource(db, teamId, input.baseline).then((l) => l.profile()),
    loadSource(db, teamId, input.target).then((l) => l.profile()),
  ]);
  for (const [what, p] of [
    ["baseline", baseline],
    ["target", target],
  ] as const) {
    if (p.samples.length === 0) {
      throw new HttpError(
        400,
        `the ${what} has no samples: pick a profile or a range with data before making a report`,
      );
    }
  }
  const enc = new TextEncoder();
  return createReport(db, {
    teamId,
    service: await serviceOf(db, teamId, input.target),
    title: input.title,
    notes: input.notes ?? "",
    figures: input.figures ?? [],
    baselineSource: input.baseline,
    targetSource: input.target,
    baselineBody: enc.encode(serializeProfile(baseline)),
    targetBody: enc.encode(serializeProfile(target)),
    moved: movedFunctions(baseline, target),
    authorId: input.authorId,
  });
}

export interface ResolvedReport {
  report: ReportRecord;
  teamId: string;
  /** `team`: a member of the report's team (role says what they may do); `public`: through a public link. */
  access: "team" | "public";
  role: Role | null;
  /** The id the URL used (a slug, or the public link id). */
  id: string;
}

/**
 * The report an id names for this visitor: a slug in one of the signed-in user's teams, else a live public link id.
 * Anything else (another team's slug, a revoked link) is null: a 404, never data.
 */
export async function resolveReport(db: Database, userId: string | null, id: string): Promise<ResolvedReport | null> {
  if (!id || id.length > 64) return null;
  if (userId) {
    for (const m of await listMemberships(db, userId)) {
      const report = await getReport(db, m.teamId, id);
      if (report) return { report, teamId: m.teamId, access: "team", role: m.role, id };
    }
  }
  const report = await getReportByLink(db, id);
  return report ? { report, teamId: report.teamId, access: "public", role: null, id } : null;
}

function describeSource(v: unknown): string {
  const s = parseSource(v);
  if (!s) return "unknown";
  return s.kind === "profile" ? `profile ${s.id}` : `${s.selector} · ${describeRange(s.from, s.until)}`;
}

const person = (p: { name: string; email: string } | null) => (p ? p.name || p.email : null);

/** What the document component shows (dates stay Dates; the page passes it to a client component through RSC). */
export function reportDoc(r: ReportRecord): ReportDoc {
  return {
    title: r.title,
    service: r.service,
    author: person(r.author),
    editedBy: person(r.editedBy),
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    notes: r.notes,
    figures: r.figures,
    moved: r.moved,
    baseline: describeSource(r.baselineSource),
    target: describeSource(r.targetSource),
  };
}

/** Both frozen profiles, parsed. */
export async function reportProfiles(db: Database, r: ResolvedReport): Promise<{ baseline: Profile; target: Profile }> {
  const bodies = await readReportBodies(db, r.teamId, r.report.slug);
  if (!bodies) throw new HttpError(404, "this report does not exist");
  return { baseline: importProfile(bodies.baseline), target: importProfile(bodies.target) };
}

/**
 * The exported file before the browser fills in the document: the flamegraph page builder the CLI uses, with both
 * frozen profiles embedded and REPORT_SLOT above the viewer. The report page replaces the slot with the document it
 * has rendered (react-markdown's output: the same component, no second Markdown renderer), so the file is ONE
 * self-contained page that opens from file:// with no network. Next.js forbids react-dom/server in server code,
 * which is why the document is not rendered here.
 */
export async function renderReportShell(db: Database, r: ResolvedReport): Promise<string> {
  const { baseline, target } = await reportProfiles(db, r);
  return renderStandaloneHtml({
    title: r.report.title,
    profile: target,
    baseline,
    prelude: `<div class="rpt-export">${REPORT_SLOT}<h2 class="rpt-export-fg">Diff flamegraph (red grew, blue shrank)</h2></div>`,
    css: `${REPORT_CSS}.rpt-export{padding:20px 20px 4px}.rpt-export-fg{font:600 13px system-ui,sans-serif;text-transform:uppercase;letter-spacing:.04em;color:#5f6368;margin:24px 0 0}`,
  });
}
