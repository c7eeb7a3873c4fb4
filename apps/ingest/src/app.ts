import { type Database, saveProfile } from "@perforator/db";
import { importProfile, type Profile, parseFolded, totalValue } from "@perforator/profile";
import { perforatorVersion } from "@perforator/profile/version";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from "fastify";
import { MAX_BODY_BYTES } from "./config.js";
import { boundaryOf, parseMultipart } from "./multipart.js";
import { BadRequest, parseAppName, parseFormat, parsePositive, parseTime } from "./pyroscope.js";

export const VERSION = perforatorVersion();
/** Largest accepted size of a gzipped body once inflated. */
export const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

export interface AppOptions {
  db: Database;
  logger?: FastifyServerOptions["logger"];
  bodyLimit?: number;
}

interface IngestQuery {
  name?: string;
  from?: string;
  until?: string;
  format?: string;
  sampleRate?: string;
  spyName?: string;
  units?: string;
  aggregationType?: string;
}

const ingestQuerySchema = {
  type: "object",
  properties: Object.fromEntries(
    ["name", "from", "until", "format", "sampleRate", "spyName", "units", "aggregationType"].map((k) => [
      k,
      { type: "string", maxLength: 4096 },
    ]),
  ),
} as const;

function mib(n: number): string {
  return `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
}

export function buildApp(opts: AppOptions): FastifyInstance {
  const bodyLimit = opts.bodyLimit ?? MAX_BODY_BYTES;
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit,
    // On close, drop idle keep-alive connections at once; requests in flight still finish.
    forceCloseConnections: "idle",
    return503OnClosing: true,
  });
  const { db } = opts;

  // Profiles arrive as raw bytes whatever the Content-Type says (text/plain, application/octet-stream,
  // binary/octet-stream, multipart/form-data, or none at all): buffer them, parse in the route.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return reply.code(413).send({
        error: `profile upload is larger than ${mib(bodyLimit)}: send shorter profiles (e.g. upload every 10 s instead of every minute)`,
      });
    }
    if (err instanceof BadRequest) return reply.code(400).send({ error: err.message });
    if (err.validation) return reply.code(400).send({ error: `invalid request: ${err.message}` });
    if (err.statusCode && err.statusCode < 500) return reply.code(err.statusCode).send({ error: err.message });
    req.log.error({ err }, "request failed");
    return reply.code(500).send({ error: `internal error while handling ${req.method} ${req.url}: ${err.message}` });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: `no route ${req.method} ${req.url}: try POST /ingest, GET /healthz, GET /readyz` }),
  );

  app.get("/healthz", async () => ({ status: "ok", version: VERSION }));

  app.get("/readyz", async (_req, reply) => {
    const ping = await db.ping();
    if (ping.ok) return { status: "ready", db: { kind: db.kind, latencyMs: ping.latencyMs } };
    return reply
      .code(503)
      .send({ status: "not ready", reason: ping.error, db: { kind: db.kind, reachable: ping.reachable } });
  });

  app.post<{ Querystring: IngestQuery; Body: Buffer | undefined }>(
    "/ingest",
    { schema: { querystring: ingestQuerySchema } },
    async (req, reply) => {
      const q = req.query;
      const now = new Date();
      const name = parseAppName(q.name);
      const format = parseFormat(q.format);
      const sampleRate = parsePositive(q.sampleRate, "sampleRate", 100);
      let body = req.body ?? Buffer.alloc(0);
      let filename = format === "pprof" ? "upload.pb" : "upload.folded";
      const contentType = req.headers["content-type"] ?? "";
      if (/^multipart\/form-data/i.test(contentType)) {
        const parts = parseMultipart(body, boundaryOf(contentType));
        const part = parts.find((p) => p.name === "profile");
        if (!part) {
          throw new BadRequest(
            `multipart upload has no "profile" field (fields: ${parts.map((p) => p.name).join(", ") || "none"})`,
          );
        }
        body = part.data;
        if (part.filename) filename = part.filename;
      }
      if (body.length === 0) throw new BadRequest(`empty body: send the ${format} profile as the request body`);
      // gzip records the uncompressed size in its last 4 bytes: refuse decompression bombs before inflating.
      if (body.length >= 18 && body[0] === 0x1f && body[1] === 0x8b) {
        const inflated = body.readUInt32LE(body.length - 4);
        if (inflated > MAX_INFLATED_BYTES) {
          return reply.code(413).send({
            error: `gzipped profile inflates to ${mib(inflated)}, more than the ${mib(MAX_INFLATED_BYTES)} limit: send shorter profiles`,
          });
        }
      }

      let profile: Profile;
      try {
        if (format === "folded") {
          if (body[0] === 0x1f && body[1] === 0x8b) {
            throw new Error("the body is gzip-compressed binary; for pprof uploads add format=pprof");
          }
          profile = parseFolded(body, {
            sampleType: { type: name.type ?? "cpu", unit: q.units?.trim() || "samples" },
            period: 1e9 / sampleRate,
            filename,
          });
        } else {
          profile = importProfile(body, filename);
        }
      } catch (err) {
        throw new BadRequest(`cannot read the ${format} profile: ${(err as Error).message}`);
      }

      const st = profile.sampleTypes[profile.defaultSampleType] ?? profile.sampleTypes[0]!;
      const total = Math.round(totalValue(profile));
      if (profile.samples.length === 0) {
        return reply.code(200).send({ stored: false, reason: "the profile has no samples" });
      }

      // Time range: query parameters first, then what the profile says about itself, then "now".
      const ownStart = profile.timeNanos > 0 ? new Date(Math.round(profile.timeNanos / 1e6)) : undefined;
      const until =
        parseTime(q.until, "until", now) ??
        (ownStart ? new Date(ownStart.getTime() + Math.round(profile.durationNanos / 1e6)) : now);
      const from = parseTime(q.from, "from", now) ?? ownStart ?? until;
      if (from.getTime() > until.getTime()) {
        throw new BadRequest(`"from" (${from.toISOString()}) is after "until" (${until.toISOString()})`);
      }

      const labels: Record<string, string> = { ...name.labels };
      if (q.spyName) labels.spyName = q.spyName;
      if (q.aggregationType) labels.aggregationType = q.aggregationType;
      if (q.sampleRate) labels.sampleRate = String(sampleRate);
      if (name.type) labels.__type__ = name.type;

      const saved = await saveProfile(db, {
        service: name.service,
        startTime: from,
        endTime: until,
        sampleType: st.type,
        sampleUnit: st.unit,
        labels,
        totalValue: total,
        sampleCount: profile.samples.length,
        format,
        body,
      });
      req.log.info(
        { profileId: saved.id, service: saved.service, bytes: body.length, samples: saved.sampleCount },
        "profile stored",
      );
      return {
        stored: true,
        id: saved.id,
        service: saved.service,
        sampleType: saved.sampleType,
        sampleUnit: saved.sampleUnit,
        totalValue: saved.totalValue.toString(),
        samples: saved.sampleCount,
        blobKey: saved.blobKey,
      };
    },
  );

  return app;
}
