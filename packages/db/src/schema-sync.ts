/**
 * The PostgreSQL schema is the source of truth; the SQLite schema is derived from it so the two
 * can never disagree on models. Run `pnpm --filter @perforator/db schema:sync` after editing
 * prisma/postgres/schema.prisma, then write a migration for each provider (see README.md).
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { PACKAGE_DIR } from "./paths.js";
export const POSTGRES_SCHEMA = path.join(PACKAGE_DIR, "prisma", "postgres", "schema.prisma");
export const SQLITE_SCHEMA = path.join(PACKAGE_DIR, "prisma", "sqlite", "schema.prisma");

const HEADER =
  "// GENERATED from prisma/postgres/schema.prisma by `pnpm --filter @perforator/db schema:sync`. Do not edit.\n";

/** Derives the SQLite schema text from the PostgreSQL one. */
export function sqliteSchemaFrom(postgresSchema: string): string {
  const lines = postgresSchema.split("\n");
  // Drop the leading comment block (it describes the source file), keep everything else.
  let start = 0;
  while (start < lines.length && (lines[start]!.startsWith("//") || lines[start]!.trim() === "")) start++;
  let body = lines.slice(start).join("\n");
  const replaced = (re: RegExp, to: string, what: string): void => {
    if (!re.test(body)) throw new Error(`schema-sync: cannot find ${what} in prisma/postgres/schema.prisma`);
    body = body.replace(re, to);
  };
  replaced(/provider\s*=\s*"postgresql"/, 'provider = "sqlite"', 'provider = "postgresql"');
  replaced(/(output\s*=\s*"[^"]*\/generated\/)postgres"/, '$1sqlite"', "the generator output path");
  // Native type attributes (@db.Text, @db.Timestamptz(3), ...) have no SQLite equivalent.
  body = body.replace(/[ \t]+@db\.\w+(\([^)]*\))?/g, "");
  return HEADER + "\n" + body;
}

function main(): void {
  const check = process.argv.includes("--check");
  const want = sqliteSchemaFrom(readFileSync(POSTGRES_SCHEMA, "utf8"));
  const have = readFileSync(SQLITE_SCHEMA, { encoding: "utf8", flag: "a+" });
  if (want === have) return;
  if (check) {
    console.error(
      "prisma/sqlite/schema.prisma is out of date: run `pnpm --filter @perforator/db schema:sync` and add a migration",
    );
    process.exit(1);
  }
  writeFileSync(SQLITE_SCHEMA, want);
  console.error(`wrote ${path.relative(process.cwd(), SQLITE_SCHEMA)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
