import { type Database, openDatabase } from "@perforator/db";

/**
 * One database handle per server process (kept on globalThis so dev-mode reloads do not leak
 * connections). The first use migrates the schema, so the web app works on a fresh data dir even
 * when the ingest server has never run; migrations are safe to run from both at once.
 */
export interface DatabaseHandle {
  /** Undefined when the configuration itself is unusable (e.g. an unsupported DATABASE_URL). */
  db: Database | undefined;
  kind: "sqlite" | "postgres" | "unknown";
  /** Why opening or migrating failed, if it did. */
  error: string | undefined;
  ready: Promise<void>;
  /** Least time between two migration retries after a failure (default 5 s). */
  retryMs?: number;
}

export function createDatabaseHandle(url?: string, dataDir?: string): DatabaseHandle {
  let db: Database;
  try {
    db = openDatabase({ url, dataDir });
  } catch (err) {
    return { db: undefined, kind: "unknown", error: (err as Error).message, ready: Promise.resolve() };
  }
  return handleFor(db);
}

/** Wraps an open database; starts migrating it at once. */
export function handleFor(db: Database, retryMs?: number): DatabaseHandle {
  const handle: DatabaseHandle = { db, kind: db.kind, error: undefined, ready: Promise.resolve(), retryMs };
  handle.ready = migrate(handle, db);
  return handle;
}

function migrate(handle: DatabaseHandle, db: Database): Promise<void> {
  return db.migrate().then(
    () => {
      handle.error = undefined;
    },
    (err: unknown) => {
      handle.error = `could not migrate the database: ${(err as Error).message}`;
    },
  );
}

const RETRY_MS = 5_000;
const lastAttempt = new WeakMap<DatabaseHandle, number>();

/**
 * Waits for the startup migration; if it failed (database down at the time), tries again, at most
 * every 5 s, so the app recovers when the database comes back without a restart.
 */
export async function ensureReady(handle: DatabaseHandle): Promise<void> {
  await handle.ready;
  if (!handle.error || !handle.db) return;
  const now = Date.now();
  if (now - (lastAttempt.get(handle) ?? 0) < (handle.retryMs ?? RETRY_MS)) return;
  lastAttempt.set(handle, now);
  handle.ready = migrate(handle, handle.db);
  await handle.ready;
}

const globalForDb = globalThis as unknown as { perforatorDb?: DatabaseHandle };

export function getDatabase(): DatabaseHandle {
  globalForDb.perforatorDb ??= createDatabaseHandle();
  return globalForDb.perforatorDb;
}
