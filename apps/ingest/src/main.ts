#!/usr/bin/env node
/**
 * perforator ingest server: `/api/v1` upload and read API, Pyroscope's `POST /ingest`, `/healthz`, `/readyz`,
 * `/metrics`. Migrates the database at startup and, on an empty store, creates team `default` with an ingest
 * token written to `<data dir>/ingest-token`. Runs the compactor (in a worker thread). On SIGTERM/SIGINT stops accepting
 * connections, lets requests in flight finish, closes the database and exits 0.
 * PERFORATOR_WORKERS=N serves from N processes (node:cluster) sharing the port and the store.
 */
import cluster from "node:cluster";
import { bootstrap, type Database, openDatabase, startCompactorThread } from "@perforator/db";
import { buildApp } from "./app.js";
import { ConfigError, type IngestConfig, loadConfig } from "./config.js";

type Logger = { info: (o: object, m?: string) => void; error: (o: object, m?: string) => void };

function jsonLog(level: number, obj: object, msg?: string): void {
  process.stdout.write(`${JSON.stringify({ level, time: Date.now(), pid: process.pid, ...obj, msg })}\n`);
}
const primaryLog: Logger = { info: (o, m) => jsonLog(30, o, m), error: (o, m) => jsonLog(50, o, m) };

function open(config: IngestConfig): Database {
  return openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
}

/** Migrates and bootstraps; exits 1 with a message when the store cannot be prepared. */
async function prepare(db: Database, log: Logger): Promise<void> {
  try {
    const m = await db.migrate();
    log.info({ db: db.url, kind: db.kind, applied: m.applied }, "database ready");
    const boot = await bootstrap(db, db.dataDir);
    if (boot.created) {
      log.info(
        { tokenFile: boot.tokenFile, team: "default" },
        `first start: created team "default" and an ingest token, written to ${boot.tokenFile} (mode 0600); collectors send it as "Authorization: Bearer <token>"`,
      );
    }
  } catch (err) {
    log.error(
      { err: { message: (err as Error).message, stack: (err as Error).stack }, db: db.url },
      `cannot prepare the ${db.kind} database at ${db.url}: ${(err as Error).message}. Check DATABASE_URL / PERFORATOR_DATA_DIR / PERFORATOR_BLOB_URL.`,
    );
    await db.close();
    process.exit(1);
  }
}

/** The compactor in a worker thread (its own connection), so parsing profiles for rollups does not delay uploads. */
function runCompactor(config: IngestConfig, log: Logger): () => Promise<void> {
  const c = startCompactorThread({
    url: config.databaseUrl,
    dataDir: config.dataDir,
    onError: (message) => log.error({ err: { message } }, "compactor pass failed"),
  });
  return () => c.stop();
}

async function serveWorker(config: IngestConfig, opts: { prepare: boolean; compactor: boolean }): Promise<void> {
  const db = open(config);
  const app = buildApp({
    db,
    logger: { level: config.logLevel },
    webUrl: config.webUrl,
    rateLimit: { max: config.rateLimit, windowMs: config.rateWindowMs },
    bodyLimit: config.bodyLimit,
  });
  const log: Logger = { info: (o, m) => app.log.info(o, m), error: (o, m) => app.log.error(o, m) };
  if (opts.prepare) await prepare(db, log);
  const stopCompactor = opts.compactor ? runCompactor(config, log) : async () => {};

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) {
      app.log.warn(`${signal} again: exiting without waiting for requests in flight`);
      process.exit(1);
    }
    stopping = true;
    app.log.info(`${signal}: shutting down (no new connections; waiting for requests in flight)`);
    const timer = setTimeout(() => {
      app.log.error(`requests still running after ${config.shutdownTimeoutMs} ms: exiting anyway`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    try {
      await app.close();
      await stopCompactor();
      await db.close();
      clearTimeout(timer);
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, "error during shutdown");
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));

  try {
    const address = await app.listen({ port: config.port, host: config.host });
    app.log.info({ url: address }, `perforator ingest listening on ${address}`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "EADDRINUSE"
        ? `port ${config.port} is already in use (another ingest or Pyroscope running?): set PORT to a free port`
        : code === "EACCES"
          ? `no permission to listen on port ${config.port}: use a port above 1023`
          : (err as Error).message;
    app.log.fatal({ err }, `cannot listen on ${config.host}:${config.port}: ${why}`);
    await db.close();
    process.exit(1);
  }
}

/** N workers share the port (node:cluster); this process prepares the store, runs the compactor, relays signals. */
async function servePrimary(config: IngestConfig): Promise<void> {
  const db = open(config);
  await prepare(db, primaryLog);
  const stopCompactor = config.compactor ? runCompactor(config, primaryLog) : async () => {};
  let stopping = false;
  let announced = false;
  const fork = () => cluster.fork({ PERFORATOR_CLUSTER_WORKER: "1" });
  for (let i = 0; i < config.workers; i++) fork();
  cluster.on("listening", (_w, addr) => {
    if (announced) return;
    announced = true;
    const url = `http://${addr.address ?? config.host}:${addr.port}`;
    primaryLog.info(
      { url, workers: config.workers },
      `perforator ingest listening on ${url} (${config.workers} workers)`,
    );
  });
  cluster.on("exit", (w, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        stopCompactor()
          .then(() => db.close())
          .then(
            () => process.exit(0),
            (err) => {
              primaryLog.error({ err }, "error during shutdown");
              process.exit(1);
            },
          );
      }
      return;
    }
    primaryLog.error({ worker: w.process.pid, code, signal }, "worker exited: starting another");
    fork();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    primaryLog.info({}, `${signal}: shutting down ${config.workers} workers (requests in flight finish)`);
    // As in a single process: shutdown is bounded, also when the compactor thread does not stop (seen once on
    // PostgreSQL after a benchmark run: the primary waited for it forever).
    setTimeout(() => {
      primaryLog.error({}, `still shutting down after ${config.shutdownTimeoutMs} ms: exiting anyway`);
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (cluster.isPrimary && config.workers > 1) return servePrimary(config);
  const worker = !cluster.isPrimary;
  await serveWorker(config, { prepare: !worker, compactor: !worker && config.compactor });
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`perforator ingest: ${err.message}`);
  } else {
    console.error("perforator ingest: failed to start:", err);
  }
  process.exit(1);
});
