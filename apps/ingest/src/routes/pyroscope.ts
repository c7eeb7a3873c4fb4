/** Pyroscope's legacy push API, `POST /ingest`, for Pyroscope SDKs; needs an ingest token like /api/v1. */
import { parseFolded } from "@perforator/profile";
import type { FastifyInstance } from "fastify";
import { principalOf, type RouteContext } from "../app.js";
import { BadRequest, checkLabels, checkService } from "../limits.js";
import { boundaryOf, parseMultipart } from "../multipart.js";
import { parseAppName, parseFormat, parsePositive, parseTime } from "../pyroscope.js";
import { storeUpload } from "../store.js";
import { factsOf, parseUpload, profileTimes, readUpload } from "./upload.js";

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
      { type: "string", maxLength: 70_000 },
    ]),
  ),
} as const;

export function registerPyroscope(app: FastifyInstance, ctx: RouteContext): void {
  app.post<{ Querystring: IngestQuery; Body: Buffer | undefined }>(
    "/ingest",
    { schema: { querystring: ingestQuerySchema }, onRequest: ctx.auth("ingest"), config: ctx.rateLimited },
    async (req, reply) => {
      const { teamId } = principalOf(req);
      const q = req.query;
      const now = new Date();
      const name = parseAppName(q.name);
      checkService(name.service);
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
      if (body.length === 0)
        throw new BadRequest(`empty body: send the ${format} profile as the request body`, "empty_body");

      let up: Awaited<ReturnType<typeof parseUpload>>;
      try {
        req.uploadFormat = format;
        up = await parseUpload(ctx, req, body, (data, detected) => {
          if (format === "pprof") return readUpload(data, "pprof", filename);
          if (detected === "pprof")
            throw new Error("the body is binary, not folded text; for pprof uploads add format=pprof");
          return factsOf(
            parseFolded(data, {
              sampleType: { type: name.type ?? "cpu", unit: q.units?.trim() || "samples" },
              period: 1e9 / sampleRate,
              filename,
            }),
          );
        });
      } catch (err) {
        // Idle SDKs send profiles without samples: not an error for Pyroscope clients.
        if (err instanceof BadRequest && err.reason === "no_samples") {
          return reply.code(200).send({ stored: false, reason: "the profile has no samples" });
        }
        throw err;
      }

      const labels: Record<string, string> = { ...name.labels };
      if (q.spyName) labels.spyName = q.spyName;
      if (q.aggregationType) labels.aggregationType = q.aggregationType;
      if (q.sampleRate) labels.sampleRate = String(sampleRate);
      if (name.type) labels.__type__ = name.type;
      checkLabels(labels);
      const { from, until } = profileTimes(
        up.facts,
        parseTime(q.from, "from", now),
        parseTime(q.until, "until", now),
        now,
      );

      const t = performance.now();
      const saved = await storeUpload(ctx.db, {
        teamId,
        service: name.service,
        labels,
        from,
        until,
        facts: up.facts,
        body: up.body,
        format,
      });
      ctx.metrics.stages.observe({ stage: "store" }, (performance.now() - t) / 1000);
      ctx.metrics.uploadBytes.inc({ format }, up.body.length);
      req.log.info({ profileId: saved.id, service: name.service, bytes: body.length }, "profile stored");
      return { stored: true, id: saved.id, service: name.service, url: `${ctx.webUrl}/p/${saved.id}` };
    },
  );
}
