/** Ingest server configuration, from the environment. */
import { MAX_BODY_BYTES } from "./limits.js";

export interface IngestConfig {
  port: number;
  host: string;
  /** Unset: the embedded SQLite database under the data dir. */
  databaseUrl: string | undefined;
  dataDir: string | undefined;
  /** Where the web app runs: upload answers link to `${webUrl}/p/<id>`. */
  webUrl: string;
  /** Largest accepted request body in bytes. */
  bodyLimit: number;
  logLevel: string;
  /** Milliseconds to wait for in-flight requests on shutdown before exiting anyway. */
  shutdownTimeoutMs: number;
  /** Requests per token per `rateWindowMs` before 429. */
  rateLimit: number;
  rateWindowMs: number;
  /** Run the compactor (rollups for fast renders) in this process. */
  compactor: boolean;
  /** Worker processes (node:cluster) sharing the port; 1 = this process serves. */
  workers: number;
}

export const DEFAULT_PORT = 4040; // Pyroscope's port: existing clients work unchanged.
export const DEFAULT_WEB_URL = "http://127.0.0.1:3000";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export class ConfigError extends Error {
  override name = "ConfigError";
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, what: string): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    throw new ConfigError(`${name}="${raw}" is not valid: expected ${what} (default ${fallback})`);
  }
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const port = env.PORT?.trim() ? Number(env.PORT) : DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(
      `PORT="${env.PORT}" is not a TCP port: use a number from 0 to 65535 (default ${DEFAULT_PORT})`,
    );
  }
  const logLevel = env.LOG_LEVEL?.trim() || "info";
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL="${logLevel}" is not one of ${LOG_LEVELS.join(", ")}`);
  }
  const webUrl = (env.PERFORATOR_WEB_URL?.trim() || DEFAULT_WEB_URL).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]+/.test(webUrl)) {
    throw new ConfigError(`PERFORATOR_WEB_URL="${webUrl}" is not an http(s) URL, e.g. ${DEFAULT_WEB_URL}`);
  }
  const compactor = (env.PERFORATOR_COMPACTOR?.trim() || "on").toLowerCase();
  if (!["on", "off", "1", "0", "true", "false"].includes(compactor)) {
    throw new ConfigError(`PERFORATOR_COMPACTOR="${compactor}" must be on or off`);
  }
  return {
    port,
    host: env.HOST?.trim() || "127.0.0.1",
    databaseUrl: env.DATABASE_URL?.trim() || undefined,
    dataDir: env.PERFORATOR_DATA_DIR?.trim() || undefined,
    webUrl,
    bodyLimit: MAX_BODY_BYTES,
    logLevel,
    shutdownTimeoutMs: int(env, "PERFORATOR_SHUTDOWN_TIMEOUT_MS", 10_000, 0, "milliseconds"),
    rateLimit: int(env, "PERFORATOR_RATE_LIMIT", 60_000, 1, "requests per token per window, a positive integer"),
    rateWindowMs: int(env, "PERFORATOR_RATE_WINDOW_MS", 60_000, 1, "the rate-limit window in milliseconds"),
    compactor: ["on", "1", "true"].includes(compactor),
    workers: int(env, "PERFORATOR_WORKERS", 1, 1, "a number of processes, at least 1"),
  };
}
