/**
 * Optimization reports: a before/after comparison frozen at creation (both merged profiles kept in the row, gzip'd),
 * with a title, Markdown notes, figures and the table of functions whose share moved most. Reports belong to a team;
 * every function here takes the team id and treats another team's report as missing. A public link to a report is a
 * share link of kind `report` (see access.ts): revocable, 128 random bits, read-only.
 */
import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import { createShareLink, getShareLink, randomId, revokeShareLink, type ShareLinkRow } from "./access.js";
import type { Database } from "./database.js";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Limits on what an author writes; the web app's input validation uses the same numbers. */
export const REPORT_LIMITS = {
  title: 200,
  notes: 100_000,
  figures: 20,
  figureText: 100,
  moved: 50,
} as const;

/** A number the author adds, e.g. `{ label: "requests/s", before: "41", after: "2150" }` (free text). */
export interface ReportFigure {
  label: string;
  before: string;
  after: string;
}

/** One row of the moved-functions table (a subset of `topFunctionsDiff`'s row), shares in 0..1. */
export interface MovedFunction {
  name: string;
  file: string;
  module: string;
  kind: string;
  beforeSelfShare: number;
  afterSelfShare: number;
  beforeTotalShare: number;
  afterTotalShare: number;
}

export interface ReportSummary {
  id: string;
  slug: string;
  teamId: string;
  title: string;
  service: string | null;
  author: { id: string; name: string; email: string } | null;
  createdAt: Date;
  updatedAt: Date;
  /** The first moved row, for lists ("search_user 91% → 0.4%"). */
  headline: MovedFunction | null;
}

export interface ReportRecord extends ReportSummary {
  notes: string;
  figures: ReportFigure[];
  baselineSource: unknown;
  targetSource: unknown;
  moved: MovedFunction[];
  editedBy: { id: string; name: string; email: string } | null;
}

export interface NewReport {
  teamId: string;
  /** The service the report is about (looked up in the team; unknown names are kept as none). */
  service?: string | null;
  title: string;
  notes?: string;
  figures?: ReportFigure[];
  baselineSource: object;
  targetSource: object;
  /** The profiles as they are now, any body the app can read back (the web app stores `serializeProfile` JSON). */
  baselineBody: Uint8Array;
  targetBody: Uint8Array;
  moved: MovedFunction[];
  authorId?: string | null;
}

export interface ReportEdit {
  title?: string;
  notes?: string;
  figures?: ReportFigure[];
}

/** Bad input from the author (too long, empty title...): the message says what to change. */
export class ReportInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReportInputError";
  }
}

function checkTitle(title: string): string {
  const t = title.trim();
  if (!t) throw new ReportInputError("the report needs a title");
  if (t.length > REPORT_LIMITS.title) {
    throw new ReportInputError(`the title is ${t.length} characters long; keep it under ${REPORT_LIMITS.title}`);
  }
  return t;
}

function checkNotes(notes: string): string {
  if (notes.length > REPORT_LIMITS.notes) {
    throw new ReportInputError(`the notes are ${notes.length} characters long; keep them under ${REPORT_LIMITS.notes}`);
  }
  return notes;
}

function checkFigures(figures: ReportFigure[]): ReportFigure[] {
  if (figures.length > REPORT_LIMITS.figures) {
    throw new ReportInputError(`${figures.length} figures; a report holds at most ${REPORT_LIMITS.figures}`);
  }
  return figures.map((f, i) => {
    const out = { label: String(f.label).trim(), before: String(f.before).trim(), after: String(f.after).trim() };
    if (!out.label) throw new ReportInputError(`figure ${i + 1} needs a label (e.g. "requests/s")`);
    for (const [k, v] of Object.entries(out)) {
      if (v.length > REPORT_LIMITS.figureText) {
        throw new ReportInputError(`figure ${i + 1}: ${k} is longer than ${REPORT_LIMITS.figureText} characters`);
      }
    }
    return out;
  });
}

function asFigures(v: unknown): ReportFigure[] {
  if (!Array.isArray(v)) return [];
  return v
    .filter((f): f is Record<string, unknown> => f !== null && typeof f === "object")
    .map((f) => ({ label: String(f.label ?? ""), before: String(f.before ?? ""), after: String(f.after ?? "") }));
}

function asMoved(v: unknown): MovedFunction[] {
  if (!Array.isArray(v)) return [];
  const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : 0);
  return v
    .filter((r): r is Record<string, unknown> => r !== null && typeof r === "object")
    .map((r) => ({
      name: String(r.name ?? ""),
      file: String(r.file ?? ""),
      module: String(r.module ?? ""),
      kind: String(r.kind ?? ""),
      beforeSelfShare: num(r.beforeSelfShare),
      afterSelfShare: num(r.afterSelfShare),
      beforeTotalShare: num(r.beforeTotalShare),
      afterTotalShare: num(r.afterTotalShare),
    }));
}

type Person = { id: string; name: string; email: string } | null;

const summarySelect = {
  id: true,
  slug: true,
  teamId: true,
  title: true,
  createdAt: true,
  updatedAt: true,
  moved: true,
  service: { select: { name: true } },
  author: { select: { id: true, name: true, email: true } },
} as const;

function toSummary(r: {
  id: string;
  slug: string;
  teamId: string;
  title: string;
  createdAt: Date;
  updatedAt: Date;
  moved: unknown;
  service: { name: string } | null;
  author: Person;
}): ReportSummary {
  return {
    id: r.id,
    slug: r.slug,
    teamId: r.teamId,
    title: r.title,
    service: r.service?.name ?? null,
    author: r.author,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    headline: asMoved(r.moved)[0] ?? null,
  };
}

const recordSelect = {
  ...summarySelect,
  notes: true,
  figures: true,
  baselineSource: true,
  targetSource: true,
  editedBy: { select: { id: true, name: true, email: true } },
} as const;

function toRecord(
  r: Parameters<typeof toSummary>[0] & {
    notes: string;
    figures: unknown;
    baselineSource: unknown;
    targetSource: unknown;
    editedBy: Person;
  },
): ReportRecord {
  return {
    ...toSummary(r),
    notes: r.notes,
    figures: asFigures(r.figures),
    baselineSource: r.baselineSource,
    targetSource: r.targetSource,
    moved: asMoved(r.moved),
    editedBy: r.editedBy,
  };
}

/** Stores a new report with both bodies (gzip'd); its slug is 128 random bits. */
export async function createReport(db: Database, r: NewReport): Promise<ReportRecord> {
  const title = checkTitle(r.title);
  const notes = checkNotes(r.notes ?? "");
  const figures = checkFigures(r.figures ?? []);
  const service = r.service
    ? await db.prisma.service.findUnique({ where: { teamId_name: { teamId: r.teamId, name: r.service } } })
    : null;
  const [baselineBody, targetBody] = await Promise.all([gzipAsync(r.baselineBody), gzipAsync(r.targetBody)]);
  const row = await db.prisma.report.create({
    data: {
      slug: randomId(16),
      teamId: r.teamId,
      serviceId: service?.id ?? null,
      title,
      notes,
      figures: figures as unknown as object,
      baselineSource: r.baselineSource,
      targetSource: r.targetSource,
      baselineBody: new Uint8Array(baselineBody),
      targetBody: new Uint8Array(targetBody),
      moved: r.moved.slice(0, REPORT_LIMITS.moved) as unknown as object,
      authorId: r.authorId ?? null,
    },
    select: recordSelect,
  });
  return toRecord(row);
}

/** The report with this slug in this team (null for another team's or a missing one). Bodies are not read. */
export async function getReport(db: Database, teamId: string, slug: string): Promise<ReportRecord | null> {
  const row = await db.prisma.report.findFirst({ where: { slug, teamId }, select: recordSelect });
  return row ? toRecord(row) : null;
}

/**
 * The frozen baseline and target bodies of a report, decompressed (as they were given to createReport), or as stored
 * (gzip) with `{ gzip: true }`, e.g. to send to a browser that gunzips itself.
 */
export async function readReportBodies(
  db: Database,
  teamId: string,
  slug: string,
  opts: { gzip?: boolean } = {},
): Promise<{ baseline: Uint8Array; target: Uint8Array } | null> {
  const row = await db.prisma.report.findFirst({
    where: { slug, teamId },
    select: { baselineBody: true, targetBody: true },
  });
  if (!row) return null;
  if (opts.gzip) return { baseline: new Uint8Array(row.baselineBody), target: new Uint8Array(row.targetBody) };
  const [baseline, target] = await Promise.all([gunzipAsync(row.baselineBody), gunzipAsync(row.targetBody)]);
  return { baseline: new Uint8Array(baseline), target: new Uint8Array(target) };
}

export interface ListReportsQuery {
  /** Only reports about this service (by name). */
  service?: string;
  limit?: number;
}

/** Newest first, without bodies or notes. */
export async function listReports(db: Database, teamId: string, q: ListReportsQuery = {}): Promise<ReportSummary[]> {
  const take = Math.min(Math.max(Math.floor(q.limit ?? 50), 1), 500);
  const rows = await db.prisma.report.findMany({
    where: { teamId, ...(q.service ? { service: { name: q.service } } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take,
    select: summarySelect,
  });
  return rows.map(toSummary);
}

/** Changes title, notes or figures (the comparison itself stays frozen); null when the report is not in the team. */
export async function updateReport(
  db: Database,
  teamId: string,
  slug: string,
  edit: ReportEdit,
  editorId: string | null,
): Promise<ReportRecord | null> {
  const data: { title?: string; notes?: string; figures?: object; editedById: string | null } = {
    editedById: editorId,
  };
  if (edit.title !== undefined) data.title = checkTitle(edit.title);
  if (edit.notes !== undefined) data.notes = checkNotes(edit.notes);
  if (edit.figures !== undefined) data.figures = checkFigures(edit.figures) as unknown as object;
  const r = await db.prisma.report.updateMany({ where: { slug, teamId }, data });
  if (r.count !== 1) return null;
  return getReport(db, teamId, slug);
}

/** Deletes a report and revokes its public links; false when it is not in the team. */
export async function deleteReport(db: Database, teamId: string, slug: string): Promise<boolean> {
  const row = await db.prisma.report.findFirst({ where: { slug, teamId }, select: { id: true } });
  if (!row) return false;
  for (const link of await listReportLinks(db, teamId, slug)) await revokeShareLink(db, teamId, link.id);
  return (await db.prisma.report.deleteMany({ where: { id: row.id, teamId } })).count === 1;
}

interface ReportLinkState {
  report: string;
}

/** A public read-only link to the report (a share link of kind `report`); null when the report is not in the team. */
export async function createReportLink(
  db: Database,
  teamId: string,
  slug: string,
  createdById?: string,
): Promise<ShareLinkRow | null> {
  const row = await db.prisma.report.findFirst({ where: { slug, teamId }, select: { id: true } });
  if (!row) return null;
  const state: ReportLinkState = { report: row.id };
  return createShareLink(db, { teamId, kind: "report", state, createdById });
}

/** The live (not revoked) public links of a report, newest first. */
export async function listReportLinks(db: Database, teamId: string, slug: string): Promise<ShareLinkRow[]> {
  const row = await db.prisma.report.findFirst({ where: { slug, teamId }, select: { id: true } });
  if (!row) return [];
  const links = await db.prisma.shareLink.findMany({
    where: { teamId, kind: "report", revokedAt: null },
    orderBy: { createdAt: "desc" },
  });
  return links
    .filter((l) => (l.state as Partial<ReportLinkState> | null)?.report === row.id)
    .map((l) => ({
      id: l.id,
      teamId: l.teamId,
      kind: "report" as const,
      state: l.state,
      createdAt: l.createdAt,
      revokedAt: l.revokedAt,
    }));
}

/**
 * The report a public link names, with its team id (to read the bodies); null when the link is missing, revoked,
 * not a report link, or the report is gone. Revoke with `revokeShareLink`.
 */
export async function getReportByLink(db: Database, linkId: string): Promise<ReportRecord | null> {
  const link = await getShareLink(db, linkId);
  if (link?.kind !== "report") return null;
  const reportId = (link.state as Partial<ReportLinkState> | null)?.report;
  if (typeof reportId !== "string") return null;
  const row = await db.prisma.report.findFirst({ where: { id: reportId, teamId: link.teamId }, select: recordSelect });
  return row ? toRecord(row) : null;
}
