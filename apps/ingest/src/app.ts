import rateLimit from "@fastify/rate-limit";
import type { Database } from "@perforator/db";
import { perforatorVersion } from "@perforator/profile/version";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from "fastify";
import { authenticate, type Principal, requireScope, type VerifyToken } from "./auth.js";
import { HttpError, MAX_BODY_BYTES, MAX_INFLATED_BYTES, mib } from "./limits.js";
import { createMetrics, type IngestMetrics } from "./metrics.js";
import { registerPyroscope } from "./routes/pyroscope.js";
import { registerRead } from "./routes/read.js";
import { registerUpload } from "./routes/upload.js";
import { storeSize, verifyToken } from "./store.js";

export const VERSION = perforatorVersion();

export interface AppOptions {
  db: Database;
  logger?: FastifyServerOptions["logger"];
  /** Largest request body (default 16 MiB). */
  bodyLimit?: number;
  /** Largest profile once a gzip body is inflated (default 256 MiB). */
  maxInflatedBytes?: number;
  /** The web app's origin: upload answers link to `${webUrl}/p/<id>`. */
  webUrl?: string;
  /** Requests per token per window (default 60,000 per minute). */
  rateLimit?: { max: number; windowMs: number };
  /** Replaces the database token check (tests). */
  verifyToken?: VerifyToken;
}

declare module "fastify" {
  interface FastifyRequest {
    principal?: Principal;
    /** Detected format of an upload, for the metrics. */
    uploadFormat?: string;
  }
}

/** What the upload/read route modules need from the app. */
export interface RouteContext {
  db: Database;
  webUrl: string;
  maxInflatedBytes: number;
  metrics: IngestMetrics;
  /**
   * onRequest hook: authenticates the request (401), checks the scope (403) and sets `req.principal`,
   * before the body is read.
   */
  auth: (scope?: "ingest") => (req: FastifyRequest) => Promise<void>;
  /** Route config that applies the per-token rate limit. */
  rateLimited: { rateLimit: { max: number; timeWindow: number } };
}

/** Driver errors that mean "overloaded or unreachable right now" (pool wait, connect timeout, SQLite lock). */
const DB_BUSY_RE =
  /connection timeout|timeout exceeded when trying to connect|can't reach database server|ECONNREFUSED|database is locked|SQLITE_BUSY|too many clients/i;

/** The request URL with any `token=` query parameter masked, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&]*/gi, "$1***");
}

/**
 * Fastify's "incoming request" / "request completed" lines at debug instead of info. Two JSON lines per upload
 * cost ~10% of the upload path's CPU at hundreds of uploads/s; uploads are counted in /metrics, refused ones are
 * logged at info with their reason (reject below), and LOG_LEVEL=debug brings every request back.
 */
class RequestLogsAtDebug extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, "incoming request");
  }
  override requestCompleted(error: Error | null | undefined, _request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, "request errored");
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, "request completed");
  }
}

export function buildApp(opts: AppOptions): FastifyInstance {
  const bodyLimit = opts.bodyLimit ?? MAX_BODY_BYTES;
  // Tokens may come in the query string (`?token=`): the request serializer masks them in logs.
  const logger =
    opts.logger && typeof opts.logger === "object" && !("child" in opts.logger)
      ? {
          ...opts.logger,
          serializers: {
            req: (r: { method: string; url: string; ip?: string }) => ({
              method: r.method,
              url: redactUrl(r.url),
              remoteAddress: r.ip,
            }),
          },
        }
      : (opts.logger ?? false);
  const app = Fastify({
    logger,
    bodyLimit,
    // On close, drop idle keep-alive connections at once; requests in flight still finish.
    forceCloseConnections: "idle",
    return503OnClosing: true,
    logController: new RequestLogsAtDebug(),
  });
  const { db } = opts;
  const metrics = createMetrics(() => storeSize(db));
  // verifyApiToken caches verified tokens for a moment (TOKEN_CACHE_MS in @perforator/db): no query per upload.
  const verify = opts.verifyToken ?? ((t: string) => verifyToken(db, t));

  // Profiles arrive as raw bytes whatever the Content-Type says (text/plain, application/octet-stream,
  // binary/octet-stream, multipart/form-data, or none at all): buffer them, parse in the route.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  const reject = (req: FastifyRequest, reply: FastifyReply, status: number, reason: string, error: string) => {
    metrics.rejects.inc({ reason });
    req.log.info({ status, reason }, error);
    return reply.code(status).send({ error });
  };
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      return reject(
        req,
        reply,
        413,
        "body_too_large",
        `the upload is larger than ${mib(bodyLimit)}: send shorter profiles (e.g. upload every 10 s instead of every minute)`,
      );
    }
    if (err instanceof HttpError) return reject(req, reply, err.statusCode, err.reason, err.message);
    if (err.validation) return reject(req, reply, 400, "bad_request", `invalid request: ${err.message}`);
    if (err.statusCode === 429) return reject(req, reply, 429, "rate_limited", err.message);
    if (err.statusCode && err.statusCode < 500) return reject(req, reply, err.statusCode, "bad_request", err.message);
    if (DB_BUSY_RE.test(err.message)) {
      // Overload, not a bug: the client should retry (nothing was stored: the write is one transaction).
      req.log.warn({ err: err.message }, "database busy");
      reply.header("retry-after", "1");
      return reject(
        req,
        reply,
        503,
        "db_unavailable",
        `the database did not answer in time (${DB_BUSY_RE.exec(err.message)?.[0]}): nothing was stored, retry in a moment`,
      );
    }
    req.log.error({ err }, "request failed");
    return reply
      .code(500)
      .send({ error: `internal error while handling ${req.method} ${redactUrl(req.url)}: ${err.message}` });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      error: `no route ${req.method} ${redactUrl(req.url)}: see GET /api/v1/profiles, POST /api/v1/profiles, GET /api/v1/render, POST /ingest, /healthz, /readyz, /metrics`,
    }),
  );

  app.addHook("onResponse", async (req, reply) => {
    const route = req.routeOptions.url ?? "unknown";
    metrics.latency.observe({ route, method: req.method, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    if (req.method === "POST" && (route === "/api/v1/profiles" || route === "/ingest")) {
      metrics.uploads.inc({ format: req.uploadFormat ?? "unknown", status: String(reply.statusCode) });
    }
  });

  app.get("/healthz", async () => ({ status: "ok", version: VERSION }));

  app.get("/readyz", async (_req, reply) => {
    const ping = await db.ping();
    if (ping.ok) return { status: "ready", db: { kind: db.kind, latencyMs: ping.latencyMs } };
    return reply
      .code(503)
      .send({ status: "not ready", reason: ping.error, db: { kind: db.kind, reachable: ping.reachable } });
  });

  app.get("/metrics", async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });

  const ctx: RouteContext = {
    db,
    webUrl: (opts.webUrl ?? "http://127.0.0.1:3000").replace(/\/+$/, ""),
    maxInflatedBytes: opts.maxInflatedBytes ?? MAX_INFLATED_BYTES,
    metrics,
    auth: (scope) => async (req) => {
      const p = await authenticate(req, verify);
      if (scope) requireScope(p, scope);
      req.principal = p;
    },
    rateLimited: {
      rateLimit: { max: opts.rateLimit?.max ?? 60_000, timeWindow: opts.rateLimit?.windowMs ?? 60_000 },
    },
  };

  app.register(async (api) => {
    await api.register(rateLimit, {
      global: false,
      // Runs after the route's own onRequest (authentication), so the key is the token, not the address.
      keyGenerator: (req) => req.principal?.tokenId ?? req.ip,
      errorResponseBuilder: (_req, c) => {
        const err = new Error(
          `rate limit of ${c.max} requests per ${c.after} for this token exceeded: retry after ${Math.ceil(c.ttl / 1000)} s (Retry-After), or raise PERFORATOR_RATE_LIMIT on the server`,
        ) as Error & { statusCode: number };
        err.statusCode = 429;
        return err;
      },
    });
    registerUpload(api, ctx);
    registerPyroscope(api, ctx);
    registerRead(api, ctx);
  });

  return app;
}

/** The principal of an authenticated request (the route's onRequest hook set it). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new Error("internal: route without authentication");
  return req.principal;
}
