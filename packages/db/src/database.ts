import { mkdirSync } from "node:fs";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { type BlobStore, openBlobStore } from "./blob-store.js";
import { PrismaClient as PostgresClient } from "./generated/postgres/client.js";
import { PrismaClient as SqliteClient } from "./generated/sqlite/client.js";
import { loadMigrations, MIGRATIONS_TABLE, type MigrateResult, migratePostgres, migrateSqlite } from "./migrate.js";
import { type DatabaseKind, defaultDataDir, resolveDatabase } from "./paths.js";
import { type ProfileRowWriter, postgresRowWriter, sqliteRowWriter } from "./profile-rows.js";

/**
 * The Prisma client. Both providers generate the same model API from the same models; it is typed
 * as the SQLite client, the common subset (no PostgreSQL-only filters such as `mode: "insensitive"`).
 */
export type DbClient = SqliteClient;

export interface OpenDatabaseOptions {
  /** Database URL; defaults to DATABASE_URL, then the embedded SQLite file under the data dir. */
  url?: string;
  /** Where blobs (and the default SQLite file) live; defaults to PERFORATOR_DATA_DIR or `<repo>/.data`. */
  dataDir?: string;
  /**
   * Where profile bodies go: a directory or `s3://bucket/prefix?endpoint=…` (see openBlobStore); defaults to
   * PERFORATOR_BLOB_URL, then `<dataDir>/blobs`.
   */
  blobUrl?: string;
  /** Milliseconds `ping()` waits for an answer before reporting the database unreachable (default 5000). */
  pingTimeoutMs?: number;
}

export type PingResult =
  | { ok: true; latencyMs: number }
  | { ok: false; reachable: boolean; error: string; latencyMs: number };

export interface Database {
  prisma: DbClient;
  kind: DatabaseKind;
  /** The URL with the password masked, for logs and the UI. */
  url: string;
  dataDir: string;
  /** Profile bodies and rollups, stored outside the database rows (a directory or S3). */
  blobs: BlobStore;
  /**
   * The upload path's Profile row writer (driver-level, group commit; see profile-rows.ts), opened on first
   * use. Everything else goes through `prisma`.
   */
  profileRows(): ProfileRowWriter;
  /** Brings the schema up to date (idempotent, safe to run concurrently from several processes). */
  migrate(): Promise<MigrateResult>;
  /**
   * Readiness: the database answers a query AND every migration this build knows is applied.
   * Never throws; `reachable` tells a down database from an unmigrated one.
   */
  ping(): Promise<PingResult>;
  close(): Promise<void>;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function describe(err: unknown): string {
  const msg = ((err as { message?: string })?.message ?? String(err)).trim();
  // Prisma wraps driver errors as "Invalid `prisma.x()` invocation: Raw query failed. Code: `..`. Message: `..`".
  const inner = /Message: `([\s\S]*)`\s*$/.exec(msg)?.[1];
  return (inner ?? msg.split("\n").filter(Boolean).slice(-3).join(" ")).slice(0, 500);
}

export function openDatabase(options: OpenDatabaseOptions = {}): Database {
  const resolved = resolveDatabase(options.url);
  const dataDir = path.resolve(/*turbopackIgnore: true*/ options.dataDir ?? defaultDataDir());
  const pingTimeoutMs = options.pingTimeoutMs ?? 5000;
  const blobs = openBlobStore(options.blobUrl ?? process.env.PERFORATOR_BLOB_URL, dataDir);
  let prisma: DbClient;
  let setupError: Error | undefined;

  if (resolved.kind === "sqlite") {
    const file = resolved.file!;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
    } catch (err) {
      setupError = new Error(
        `cannot create the directory for the SQLite database ${file}: ${(err as Error).message}; ` +
          `set PERFORATOR_DATA_DIR or DATABASE_URL to a writable location`,
      );
    }
    // better-sqlite3 `timeout` is the busy timeout: wait for another process's write lock instead of failing.
    prisma = new SqliteClient({ adapter: new PrismaBetterSQLite3({ url: file, timeout: 15_000 }) });
  } else {
    const adapter = new PrismaPg(
      { connectionString: resolved.url, connectionTimeoutMillis: pingTimeoutMs, max: 10 },
      { schema: resolved.schema ?? "public" },
    );
    prisma = new PostgresClient({ adapter }) as unknown as DbClient;
  }

  const expected = loadMigrations(resolved.kind).map((m) => m.name);
  const migrationsTable =
    resolved.kind === "postgres" ? `"${resolved.schema ?? "public"}"."${MIGRATIONS_TABLE}"` : `"${MIGRATIONS_TABLE}"`;

  let rows: ProfileRowWriter | undefined;
  return {
    prisma,
    kind: resolved.kind,
    url: resolved.display,
    dataDir,
    blobs,
    profileRows() {
      if (setupError) throw setupError;
      rows ??=
        resolved.kind === "sqlite"
          ? sqliteRowWriter(resolved.file!)
          : postgresRowWriter(resolved.url, resolved.schema ?? "public", pingTimeoutMs);
      return rows;
    },
    async migrate() {
      if (setupError) throw setupError;
      return resolved.kind === "sqlite"
        ? migrateSqlite(resolved.file!)
        : migratePostgres(resolved.url, resolved.schema);
    },
    async ping() {
      const started = performance.now();
      const ms = () => Math.round((performance.now() - started) * 10) / 10;
      if (setupError) return { ok: false, reachable: false, error: setupError.message, latencyMs: ms() };
      try {
        await withTimeout(prisma.$queryRawUnsafe("SELECT 1"), pingTimeoutMs, `the ${resolved.kind} database`);
      } catch (err) {
        return {
          ok: false,
          reachable: false,
          error: `cannot reach the ${resolved.kind} database at ${resolved.display}: ${describe(err)}`,
          latencyMs: ms(),
        };
      }
      try {
        const rows = await withTimeout(
          prisma.$queryRawUnsafe<{ name: string }[]>(`SELECT "name" FROM ${migrationsTable}`),
          pingTimeoutMs,
          `the ${resolved.kind} database`,
        );
        const have = new Set(rows.map((r) => r.name));
        const missing = expected.filter((n) => !have.has(n));
        if (missing.length > 0) {
          return {
            ok: false,
            reachable: true,
            error: `database schema is behind: ${missing.length} of ${expected.length} migrations not applied (${missing.join(", ")}); start the ingest server (it migrates at startup) or call migrate()`,
            latencyMs: ms(),
          };
        }
      } catch (err) {
        return {
          ok: false,
          reachable: true,
          error: `database is reachable but not migrated (${describe(err)}); start the ingest server (it migrates at startup) or call migrate()`,
          latencyMs: ms(),
        };
      }
      return { ok: true, latencyMs: ms() };
    },
    async close() {
      const r = rows;
      rows = undefined;
      await r?.close();
      blobs.close();
      await prisma.$disconnect();
    },
  };
}
