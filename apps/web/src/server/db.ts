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
}

export function createDatabaseHandle(url?: string, dataDir?: string): DatabaseHandle {
  let db: Database;
  try {
    db = openDatabase({ url, dataDir });
  } catch (err) {
    return { db: undefined, kind: "unknown", error: (err as Error).message, ready: Promise.resolve() };
  }
  const handle: DatabaseHandle = { db, kind: db.kind, error: undefined, ready: Promise.resolve() };
  handle.ready = db.migrate().then(
    () => {
      handle.error = undefined;
    },
    (err: unknown) => {
      handle.error = `could not migrate the database: ${(err as Error).message}`;
    },
  );
  return handle;
}

const globalForDb = globalThis as unknown as { perforatorDb?: DatabaseHandle };

export function getDatabase(): DatabaseHandle {
  globalForDb.perforatorDb ??= createDatabaseHandle();
  return globalForDb.perforatorDb;
}
