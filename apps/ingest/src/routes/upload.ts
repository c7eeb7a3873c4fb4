/** `POST /api/v1/profiles`: one profile in any supported format, for the token's team. */
import { type ProfileFacts, profileFacts } from "@perforator/db";
import { detectFormat, importProfile, type Profile, scanPprof } from "@perforator/profile";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { principalOf, type RouteContext } from "../app.js";
import { BadRequest, checkService, inflateCapped, parseLabelParams } from "../limits.js";
import { parseTime } from "../pyroscope.js";
import { storeUpload } from "../store.js";

export type UploadFormat = "pprof" | "folded" | "cpuprofile" | "perforator-json";

/** What the upload path keeps of a profile: the row's facts and the profile's own time span. */
export interface UploadFacts extends ProfileFacts {
  timeNanos: number;
  durationNanos: number;
}

export function factsOf(profile: Profile): UploadFacts {
  return { ...profileFacts(profile), timeNanos: profile.timeNanos, durationNanos: profile.durationNanos };
}

/**
 * Validates an upload and reads what its row needs. pprof (nearly every upload) is scanned, not decoded: the
 * scan checks the whole message as the decoder would, without building the profile (the compactor decodes it
 * later, off the request path). Other formats are parsed.
 */
export function readUpload(data: Buffer, format: UploadFormat, filename?: string): UploadFacts {
  if (format === "pprof") return scanPprof(data);
  return factsOf(importProfile(data, filename));
}

export interface ParsedUpload {
  facts: UploadFacts;
  format: UploadFormat;
  /** The body as received (gzip or not): what is stored. */
  body: Buffer;
}

/** Inflates (capped) and parses an upload; 400 naming the problem, 413 for a bomb. */
export async function parseUpload(
  ctx: RouteContext,
  req: FastifyRequest,
  body: Buffer,
  parse: (data: Buffer, format: UploadFormat) => UploadFacts = readUpload,
): Promise<ParsedUpload> {
  if (body.length === 0) {
    throw new BadRequest(
      "empty body: send the profile (pprof, gzipped pprof, folded stacks, .cpuprofile or perforator JSON) as the request body",
      "empty_body",
    );
  }
  const stages = ctx.metrics.stages;
  let t = performance.now();
  const data = await inflateCapped(body, ctx.maxInflatedBytes);
  const t1 = performance.now();
  stages.observe({ stage: "inflate" }, (t1 - t) / 1000);
  t = t1;
  const format = detectFormat(data) as UploadFormat;
  req.uploadFormat ??= format;
  let facts: UploadFacts;
  try {
    facts = parse(data, format);
  } catch (err) {
    throw new BadRequest(`cannot read the profile: ${(err as Error).message}`, `malformed_${format.replace("-", "_")}`);
  }
  stages.observe({ stage: format === "pprof" ? "scan" : "parse" }, (performance.now() - t) / 1000);
  if (facts.sampleCount === 0) {
    throw new BadRequest(`the ${format} profile has no samples: nothing to store`, "no_samples");
  }
  return { facts, format, body };
}

/** Query times first, then the profile's own (pprof time/duration), then now. */
export function profileTimes(
  profile: Pick<Profile, "timeNanos" | "durationNanos">,
  from: Date | undefined,
  until: Date | undefined,
  now = new Date(),
) {
  const ownStart = profile.timeNanos > 0 ? new Date(Math.round(profile.timeNanos / 1e6)) : undefined;
  const u = until ?? (ownStart ? new Date(ownStart.getTime() + Math.round(profile.durationNanos / 1e6)) : now);
  const f = from ?? ownStart ?? u;
  if (f.getTime() > u.getTime()) {
    throw new BadRequest(`"from" (${f.toISOString()}) is after "until" (${u.toISOString()})`, "bad_time");
  }
  return { from: f, until: u };
}

const IDEMPOTENCY_KEY_RE = /^[\x21-\x7e]{1,200}$/;

export function idempotencyKeyOf(raw: string | string[] | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const k = Array.isArray(raw) ? raw[0] : raw;
  if (k === undefined || !IDEMPOTENCY_KEY_RE.test(k)) {
    throw new BadRequest(
      "invalid Idempotency-Key header: use 1 to 200 printable ASCII characters without spaces (e.g. a UUID)",
      "bad_idempotency_key",
    );
  }
  return k;
}

interface UploadQuery {
  service?: string;
  label?: string | string[];
  from?: string;
  until?: string;
}

export function registerUpload(app: FastifyInstance, ctx: RouteContext): void {
  app.post<{ Querystring: UploadQuery; Body: Buffer | undefined }>(
    "/api/v1/profiles",
    { onRequest: ctx.auth("ingest"), config: ctx.rateLimited },
    async (req, reply) => {
      const { teamId } = principalOf(req);
      const q = req.query;
      const service = checkService(q.service);
      const labels = parseLabelParams(q.label);
      const now = new Date();
      const qFrom = parseTime(q.from, "from", now);
      const qUntil = parseTime(q.until, "until", now);
      const idempotencyKey = idempotencyKeyOf(req.headers["idempotency-key"]);
      const up = await parseUpload(ctx, req, req.body ?? Buffer.alloc(0));
      const { from, until } = profileTimes(up.facts, qFrom, qUntil, now);
      const t = performance.now();
      const saved = await storeUpload(ctx.db, {
        teamId,
        service,
        labels,
        from,
        until,
        facts: up.facts,
        body: up.body,
        format: up.format,
        idempotencyKey,
      });
      ctx.metrics.stages.observe({ stage: "store" }, (performance.now() - t) / 1000);
      ctx.metrics.uploadBytes.inc({ format: up.format }, up.body.length);
      return reply.code(saved.created ? 201 : 200).send({ id: saved.id, url: `${ctx.webUrl}/p/${saved.id}` });
    },
  );
}
