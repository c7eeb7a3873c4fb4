import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { type DatabaseKind, PACKAGE_DIR } from "./paths.js";

/**
 * Applies the checked-in migration SQL (prisma/<kind>/migrations/<name>/migration.sql) in name order,
 * recording each in `_perforator_migrations` with a checksum. Works offline and needs no Prisma
 * schema engine. Safe to run from several processes at once: SQLite takes a write lock
 * (BEGIN IMMEDIATE), PostgreSQL an advisory lock.
 */

export const MIGRATIONS_TABLE = "_perforator_migrations";
const PG_LOCK_ID = 0x7065_7266; // "perf"

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function migrationsDir(kind: DatabaseKind): string {
  return path.join(PACKAGE_DIR, "prisma", kind, "migrations");
}

export function loadMigrations(kind: DatabaseKind, dir = migrationsDir(kind)): Migration[] {
  return readdirSync(/*turbopackIgnore: true*/ dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

function checkRecorded(recorded: Map<string, string>, migrations: Migration[]): void {
  const known = new Map(migrations.map((m) => [m.name, m.checksum]));
  for (const [name, checksum] of recorded) {
    const want = known.get(name);
    if (want === undefined) {
      throw new Error(
        `the database has migration ${name} applied, which this build does not know: it was migrated by a newer ` +
          `version of perforator; upgrade this one or point DATABASE_URL at another database`,
      );
    }
    if (want !== checksum) {
      throw new Error(
        `migration ${name} was changed after it was applied to this database (checksum mismatch): restore the ` +
          `original migration.sql and add a new migration instead`,
      );
    }
  }
}

export function migrateSqlite(file: string, migrations: Migration[] = loadMigrations("sqlite")): MigrateResult {
  const db = new Database(file, { timeout: 15_000 });
  try {
    db.pragma("journal_mode = WAL");
    // Table redefinitions (CREATE new_X, copy, DROP X, rename) must not fire ON DELETE CASCADE from the
    // dropped table into its children, and `PRAGMA foreign_keys` is a no-op inside a transaction: turn the
    // checks off for this connection around the transaction and verify the result before committing.
    db.pragma("foreign_keys = OFF");
    db.exec(
      `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" ("name" TEXT PRIMARY KEY, "checksum" TEXT NOT NULL, "appliedAt" TEXT NOT NULL)`,
    );
    const run = db.transaction((): MigrateResult => {
      const rows = db.prepare(`SELECT "name", "checksum" FROM "${MIGRATIONS_TABLE}"`).all() as {
        name: string;
        checksum: string;
      }[];
      const recorded = new Map(rows.map((r) => [r.name, r.checksum]));
      checkRecorded(recorded, migrations);
      const result: MigrateResult = { applied: [], alreadyApplied: [] };
      const insert = db.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" ("name", "checksum", "appliedAt") VALUES (?, ?, ?)`);
      for (const m of migrations) {
        if (recorded.has(m.name)) {
          result.alreadyApplied.push(m.name);
          continue;
        }
        try {
          db.exec(m.sql);
        } catch (err) {
          throw new Error(`migration ${m.name} failed on ${file}: ${(err as Error).message}`, { cause: err });
        }
        insert.run(m.name, m.checksum, new Date().toISOString());
        result.applied.push(m.name);
      }
      const broken = db.pragma("foreign_key_check") as { table: string; parent: string }[];
      if (broken.length > 0) {
        const b = broken[0]!;
        throw new Error(
          `migrating ${file} would leave ${broken.length} rows whose foreign keys point nowhere (first: a ${b.table} row ` +
            `referencing a missing ${b.parent}); nothing was changed`,
        );
      }
      return result;
    });
    return run.immediate();
  } finally {
    db.close();
  }
}

export async function migratePostgres(
  url: string,
  schema = "public",
  migrations: Migration[] = loadMigrations("postgres"),
): Promise<MigrateResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PG_LOCK_ID]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`SET search_path TO "${schema}"`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" ("name" TEXT PRIMARY KEY, "checksum" TEXT NOT NULL, "appliedAt" TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ name: string; checksum: string }>(
      `SELECT "name", "checksum" FROM "${MIGRATIONS_TABLE}"`,
    );
    const recorded = new Map(rows.map((r) => [r.name, r.checksum]));
    checkRecorded(recorded, migrations);
    const result: MigrateResult = { applied: [], alreadyApplied: [] };
    for (const m of migrations) {
      if (recorded.has(m.name)) {
        result.alreadyApplied.push(m.name);
        continue;
      }
      await client.query("BEGIN");
      try {
        await client.query(m.sql);
        await client.query(`INSERT INTO "${MIGRATIONS_TABLE}" ("name", "checksum") VALUES ($1, $2)`, [
          m.name,
          m.checksum,
        ]);
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw new Error(`migration ${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      result.applied.push(m.name);
    }
    return result;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [PG_LOCK_ID]).catch(() => {});
    await client.end();
  }
}
