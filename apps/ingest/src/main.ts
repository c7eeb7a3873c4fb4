#!/usr/bin/env node
/**
 * perforator ingest server: Pyroscope-compatible `POST /ingest`, `/healthz`, `/readyz`.
 * Migrates the database at startup; on SIGTERM/SIGINT stops accepting connections, lets requests in
 * flight finish, closes the database and exits 0.
 */
import { openDatabase } from "@perforator/db";
import { buildApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";

async function main(): Promise<void> {
  const config = loadConfig();
  const db = openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const app = buildApp({ db, logger: { level: config.logLevel } });
  try {
    const m = await db.migrate();
    app.log.info({ db: db.url, kind: db.kind, applied: m.applied }, "database ready");
  } catch (err) {
    app.log.fatal(
      { err, db: db.url },
      `cannot prepare the ${db.kind} database at ${db.url}: ${(err as Error).message}. Check DATABASE_URL / PERFORATOR_DATA_DIR.`,
    );
    await db.close();
    process.exit(1);
  }

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

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`perforator ingest: ${err.message}`);
  } else {
    console.error("perforator ingest: failed to start:", err);
  }
  process.exit(1);
});
