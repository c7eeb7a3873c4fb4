import {
  type Database,
  getProfile,
  getShareLink,
  listMemberships,
  loadProfile,
  profileSetStamp,
  type RenderStats,
  readProfileBody,
  renderMergedColumns,
  renderMergedWithStats,
} from "@perforator/db";
import type { ProfileColumns } from "@perforator/flamegraph";
import type { Profile } from "@perforator/profile";
import { parseSource, type Source } from "../lib/source";
import { resolveRange } from "../lib/time";
import type { ShareState } from "./api/routers/share";
import { emptyColumns, mergedColumns } from "./columns";
import { type DatabaseHandle, ensureReady, getDatabase } from "./db";
import { parseQuery } from "./query";
import { quantizedNow } from "./render-cache";

/** An error with the HTTP status to answer and a message the user can act on. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The server's database once migrated, or an HttpError 503 saying why it is not available. */
export async function readyDatabase(): Promise<{ database: DatabaseHandle; db: Database }> {
  const database = getDatabase();
  await ensureReady(database);
  if (!database.db || database.error) throw new HttpError(503, `the database is not available: ${database.error}`);
  return { database, db: database.db };
}

/** An API route's JSON answer to `err`: an HttpError's status and message, anything else a logged 500 ("<failed>: why"). */
export function errorResponse(err: unknown, route: string, failed: string): Response {
  if (err instanceof HttpError) return Response.json({ error: err.message }, { status: err.status });
  console.error(`${route} failed:`, err);
  return Response.json({ error: `${failed}: ${(err as Error).message}` }, { status: 500 });
}

/** The state of a live (not revoked) share link, or a 404 (missing, revoked and malformed all look the same). */
export async function shareState(
  db: Database,
  id: string,
): Promise<{ teamId: string; kind: string; state: ShareState }> {
  const link = await getShareLink(db, id);
  const raw = link?.state as Partial<ShareState> | undefined;
  const target = parseSource(raw?.target);
  if (!link || !target) throw new HttpError(404, "this link does not exist or was revoked");
  const baseline = raw?.baseline ? parseSource(raw.baseline) : null;
  return {
    teamId: link.teamId,
    kind: link.kind,
    state: { target, ...(baseline ? { baseline } : {}), view: typeof raw?.view === "string" ? raw.view : "" },
  };
}

/** The team a signed-in user is looking at: the selected one if they are a member, else their first. */
export async function currentTeam(db: Database, userId: string, selected: string | undefined): Promise<string> {
  const memberships = await listMemberships(db, userId);
  const team = memberships.find((m) => m.teamId === selected) ?? memberships[0];
  if (!team) throw new HttpError(403, "you are not a member of any team: ask a team owner for an invite link");
  return team.teamId;
}

export interface Loaded {
  /** Bytes to send as they are stored (a single profile), when the caller wants the original. */
  raw?: () => Promise<Uint8Array>;
  profile: () => Promise<Profile>;
  /** For a merge: the merged columns, with no Profile made (what the viewer gets). */
  columns?: () => Promise<ProfileColumns>;
  /** After `profile()` or `columns()` of a merge: where the server's time went, as a Server-Timing header value. */
  timing?: () => string;
  /** For a merge: what identifies its result (team, selector, absolute range), for the render cache. */
  cacheKey?: string;
  /** For file names and titles. */
  name: string;
}

/** Everything about a source, read within one team; a profile of another team is a 404 like a missing one. */
export async function loadSource(db: Database, teamId: string, s: Source): Promise<Loaded> {
  if (s.kind === "profile") {
    const rec = await getProfile(db, teamId, s.id);
    if (!rec) throw new HttpError(404, `no profile ${s.id} in this team`);
    return {
      raw: () => readProfileBody(db, rec),
      profile: () => loadProfile(db, rec),
      name: `${rec.service}-${s.id}`,
    };
  }
  let q: ReturnType<typeof parseQuery>;
  let r: ReturnType<typeof resolveRange>;
  try {
    q = parseQuery(s.selector);
    r = resolveRange(s.from, s.until, quantizedNow());
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
  if (!q.service) throw new HttpError(400, 'the selector needs a service: {service="NAME"}');
  let timing = "";
  const query = { teamId, service: q.service, matchers: q.matchers, from: new Date(r.from), until: new Date(r.until) };
  const stamp = await profileSetStamp(db, { teamId, service: q.service, from: query.from, until: query.until });
  const note = (stats: RenderStats) => {
    const ms = (x: number) => x.toFixed(1);
    timing = `db;dur=${ms(stats.dbMs)}, blob;dur=${ms(stats.blobMs)}, merge;dur=${ms(stats.mergeMs)};desc="${stats.profiles} profiles, ${stats.raw} raw"`;
  };
  return {
    profile: async () => {
      const { profile, stats } = await renderMergedWithStats(db, query);
      note(stats);
      return profile;
    },
    columns: async () => {
      const { columns, stats } = await renderMergedColumns(db, query);
      const t = performance.now();
      const c = columns ? mergedColumns(columns) : emptyColumns(undefined);
      note(stats);
      timing += `, columns;dur=${(performance.now() - t).toFixed(1)}`;
      return c;
    },
    timing: () => timing,
    cacheKey: JSON.stringify([teamId, q.service, q.matchers, r.from, r.until, stamp]),
    name: `${q.service}-merged`,
  };
}
