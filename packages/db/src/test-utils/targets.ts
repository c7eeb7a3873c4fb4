// Databases the tests run against: a fresh SQLite file always, a fresh PostgreSQL schema when
// DATABASE_URL_TEST is set. Each make() returns an empty database URL and its cleanup.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, it } from "vitest";
import { type Database, type OpenDatabaseOptions, openDatabase } from "../database.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "perforator-db-"));
  dirs.push(d);
  return d;
}

export interface Target {
  name: "sqlite" | "postgres";
  /** A fresh, empty database URL; cleanup removes it. */
  make(): Promise<{ url: string; cleanup(): Promise<void> }>;
}

export const targets: Target[] = [
  {
    name: "sqlite",
    async make() {
      return { url: `file:${path.join(tempDir(), "test.db")}`, cleanup: async () => {} };
    },
  },
];

const pgUrl = process.env.DATABASE_URL_TEST;
if (pgUrl) {
  targets.push({
    name: "postgres",
    async make() {
      // A schema of our own per test: nothing else in the test database is touched.
      const schema = `t_${randomBytes(5).toString("hex")}`;
      const url = new URL(pgUrl);
      url.searchParams.set("schema", schema);
      return {
        url: url.toString(),
        async cleanup() {
          const c = new pg.Client({ connectionString: pgUrl });
          await c.connect();
          await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
          await c.end();
        },
      };
    },
  });
}

/** Registers a skipped test that says how to run the PostgreSQL half (call once per file). */
export function notePostgresSkipped(): void {
  if (!pgUrl) it.skip("postgres (set DATABASE_URL_TEST=postgresql://... to run the PostgreSQL tests)", () => {});
}

/** Opens a fresh migrated database of `target`, runs fn, closes and drops it. */
export async function withDb(
  target: Target,
  fn: (db: Database, url: string) => Promise<void>,
  opts: Omit<OpenDatabaseOptions, "url"> & { migrate?: boolean } = {},
): Promise<void> {
  const { url, cleanup } = await target.make();
  const db = openDatabase({ dataDir: tempDir(), ...opts, url });
  try {
    if (opts.migrate !== false) await db.migrate();
    await fn(db, url);
  } finally {
    await db.close();
    await cleanup();
  }
}
