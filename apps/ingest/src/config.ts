/** Ingest server configuration, from the environment. */
export interface IngestConfig {
  port: number;
  host: string;
  /** Unset: the embedded SQLite database under the data dir. */
  databaseUrl: string | undefined;
  dataDir: string | undefined;
  /** Largest accepted request body in bytes (Pyroscope's limit: 4 MiB). */
  bodyLimit: number;
  logLevel: string;
  /** Milliseconds to wait for in-flight requests on shutdown before exiting anyway. */
  shutdownTimeoutMs: number;
}

export const DEFAULT_PORT = 4040; // Pyroscope's port: existing clients work unchanged.
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

export class ConfigError extends Error {
  override name = "ConfigError";
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
  return {
    port,
    host: env.HOST?.trim() || "127.0.0.1",
    databaseUrl: env.DATABASE_URL?.trim() || undefined,
    dataDir: env.PERFORATOR_DATA_DIR?.trim() || undefined,
    bodyLimit: MAX_BODY_BYTES,
    logLevel,
    shutdownTimeoutMs: 10_000,
  };
}
