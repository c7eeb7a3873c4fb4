/**
 * Read API for a team's profiles (read or ingest token): list, download one, render a merge.
 * Downloads default to gzipped pprof, so `go tool pprof` reads the URLs directly.
 */
import { type Profile, serializeProfile, toFolded, toPprof } from "@perforator/profile";
import type { FastifyInstance, FastifyReply } from "fastify";
import { principalOf, type RouteContext } from "../app.js";
import { BadRequest, checkService, HttpError, parseLabelParams } from "../limits.js";
import { parseTime } from "../pyroscope.js";
import {
  equalityMatchers,
  findProfile,
  listTeamProfiles,
  loadStoredProfile,
  parseSelectorParam,
  renderTeam,
  storedPprofGzip,
} from "../store.js";

export type DownloadFormat = "pprof" | "folded" | "json";

export function downloadFormat(raw: unknown): DownloadFormat {
  const f = raw === undefined || raw === "" ? "pprof" : String(raw).toLowerCase();
  if (f === "pprof" || f === "folded" || f === "json") return f;
  throw new BadRequest(
    `unsupported format=${String(raw).slice(0, 50)}: use pprof (gzipped, the default), folded or json`,
    "bad_format",
  );
}

export function sendProfile(reply: FastifyReply, p: Profile, format: DownloadFormat, basename: string): FastifyReply {
  if (format === "folded") {
    return reply
      .type("text/plain; charset=utf-8")
      .header("content-disposition", `inline; filename="${safeName(basename)}.folded"`)
      .send(toFolded(p));
  }
  if (format === "json") {
    return reply.type("application/json").send(serializeProfile(p));
  }
  return sendPprofBytes(reply, toPprof(p), basename);
}

/** Gzipped pprof bytes as a download. */
function sendPprofBytes(reply: FastifyReply, bytes: Uint8Array, basename: string): FastifyReply {
  return reply
    .type("application/octet-stream")
    .header("content-disposition", `attachment; filename="${safeName(basename)}.pb.gz"`)
    .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]/g, "_");
}

interface ListQuery {
  service?: string;
  from?: string;
  until?: string;
  label?: string | string[];
  limit?: string;
  cursor?: string;
  query?: string;
  token?: string;
}

interface RenderQuery extends ListQuery {
  format?: string;
}

/** `label=k:v` (equality) and `query={k="v", k2=~"re"}` together. */
function matchersOf(q: ListQuery) {
  return [...equalityMatchers(parseLabelParams(q.label)), ...(q.query ? parseSelectorParam(q.query) : [])];
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 100;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new BadRequest(`invalid limit=${raw.slice(0, 50)}: use a whole number from 1 to 1000`, "bad_request");
  }
  return n;
}

export function registerRead(app: FastifyInstance, ctx: RouteContext): void {
  const opts = { onRequest: ctx.auth(), config: ctx.rateLimited };

  app.get<{ Querystring: ListQuery }>("/api/v1/profiles", opts, async (req) => {
    const { teamId } = principalOf(req);
    const q = req.query;
    const now = new Date();
    const page = await listTeamProfiles(ctx.db, {
      teamId,
      service: q.service === undefined || q.service === "" ? undefined : checkService(q.service),
      from: parseTime(q.from, "from", now),
      until: parseTime(q.until, "until", now),
      matchers: matchersOf(q),
      limit: parseLimit(q.limit),
      cursor: q.cursor || undefined,
    });
    return {
      profiles: page.profiles.map((p) => ({ ...p, url: `${ctx.webUrl}/p/${p.id}` })),
      nextCursor: page.nextCursor,
    };
  });

  app.get<{ Params: { id: string }; Querystring: { format?: string } }>(
    "/api/v1/profiles/:id",
    opts,
    async (req, reply) => {
      const { teamId } = principalOf(req);
      const format = downloadFormat(req.query.format);
      const record = await findProfile(ctx.db, teamId, req.params.id);
      if (!record) {
        throw new HttpError(404, `no profile ${req.params.id.slice(0, 100)} in this token's team`, "not_found");
      }
      const name = `${record.service}-${record.id}`;
      // A pprof upload is served as stored (gzipped pprof): no decode and re-encode.
      const asStored = format === "pprof" ? await storedPprofGzip(ctx.db, record) : undefined;
      if (asStored) {
        return sendPprofBytes(reply, asStored, name);
      }
      return sendProfile(reply, await loadStoredProfile(ctx.db, record), format, name);
    },
  );

  app.get<{ Querystring: RenderQuery }>("/api/v1/render", opts, async (req, reply) => {
    const { teamId } = principalOf(req);
    const q = req.query;
    const format = downloadFormat(q.format);
    const now = new Date();
    const service = checkService(q.service);
    const from = parseTime(q.from, "from", now) ?? new Date(now.getTime() - 3600_000);
    const until = parseTime(q.until, "until", now) ?? now;
    if (from.getTime() > until.getTime()) {
      throw new BadRequest(`"from" (${from.toISOString()}) is after "until" (${until.toISOString()})`, "bad_time");
    }
    const merged = await renderTeam(ctx.db, { teamId, service, from, until, matchers: matchersOf(q) });
    return sendProfile(reply, merged, format, `${service}-merged`);
  });
}
