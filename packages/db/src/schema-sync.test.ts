import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { migrationsDir } from "./migrate.js";
import { POSTGRES_SCHEMA, SQLITE_SCHEMA, sqliteSchemaFrom } from "./schema-sync.js";

/** model name -> scalar field names (relations excluded), parsed from a .prisma file. */
function scalarFields(schema: string): Map<string, string[]> {
  const models = new Map<string, string[]>();
  const modelNames = [...schema.matchAll(/^model (\w+) \{/gm)].map((m) => m[1]!);
  for (const m of schema.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    const fields: string[] = [];
    for (const line of m[2]!.split("\n")) {
      const f = /^\s+(\w+)\s+(\w+)(\[\])?\??/.exec(line);
      if (!f || modelNames.includes(f[2]!)) continue;
      fields.push(f[1]!);
    }
    // A model stored under another table name (`@@map("user")`) is checked against that table.
    const mapped = /@@map\("(\w+)"\)/.exec(m[2]!)?.[1];
    models.set(mapped ?? m[1]!, fields);
  }
  return models;
}

/** table -> column names from the CREATE TABLE / ADD COLUMN statements of all migrations. */
function migratedColumns(kind: "sqlite" | "postgres"): Map<string, Set<string>> {
  const tables = new Map<string, Set<string>>();
  const dir = migrationsDir(kind);
  for (const name of readdirSync(dir)
    .filter((n) => !n.endsWith(".toml"))
    .sort()) {
    const sql = readFileSync(`${dir}/${name}/migration.sql`, "utf8");
    for (const m of sql.matchAll(/CREATE TABLE "(\w+)" \(([\s\S]*?)\n\);/g)) {
      const cols = new Set<string>();
      for (const c of m[2]!.matchAll(/^\s+"(\w+)" /gm)) cols.add(c[1]!);
      tables.set(m[1]!, cols);
    }
    // SQLite redefines a table as new_X and renames it; PostgreSQL adds columns, several per statement.
    for (const m of sql.matchAll(/ALTER TABLE "(\w+)" RENAME TO "(\w+)"/g)) {
      const cols = tables.get(m[1]!);
      if (cols) tables.set(m[2]!, cols);
      tables.delete(m[1]!);
    }
    for (const m of sql.matchAll(/ALTER TABLE "(\w+)" ((?:,?\s*ADD COLUMN\s+"\w+"[^,;]*)+);/g)) {
      for (const c of m[2]!.matchAll(/ADD COLUMN\s+"(\w+)"/g)) tables.get(m[1]!)?.add(c[1]!);
    }
  }
  return tables;
}

describe("the two schemas", () => {
  it("prisma/sqlite/schema.prisma is exactly what schema:sync derives from the PostgreSQL schema", () => {
    expect(readFileSync(SQLITE_SCHEMA, "utf8")).toBe(sqliteSchemaFrom(readFileSync(POSTGRES_SCHEMA, "utf8")));
  });

  it("both providers have the same migrations, by name", () => {
    const names = (k: "sqlite" | "postgres") => readdirSync(migrationsDir(k)).filter((n) => !n.endsWith(".toml"));
    expect(names("sqlite")).toEqual(names("postgres"));
    expect(names("sqlite").length).toBeGreaterThan(0);
  });

  it.each(["sqlite", "postgres"] as const)("the %s migrations create every field of every model", (kind) => {
    const models = scalarFields(readFileSync(POSTGRES_SCHEMA, "utf8"));
    expect([...models.keys()]).toEqual(
      expect.arrayContaining(["Team", "ApiToken", "Service", "Profile", "Rollup", "RollupFunction", "user", "Member"]),
    );
    const tables = migratedColumns(kind);
    for (const [model, fields] of models) {
      expect([...(tables.get(model) ?? [])].sort(), `${kind} table ${model}`).toEqual([...fields].sort());
    }
  });

  it("schema-sync translates provider and output and drops native types", () => {
    const out = sqliteSchemaFrom(
      '// head\ngenerator client {\n  output = "../../src/generated/postgres"\n}\ndatasource db {\n  provider = "postgresql"\n}\nmodel A {\n  b String @db.VarChar(20)\n}\n',
    );
    expect(out).toContain('provider = "sqlite"');
    expect(out).toContain('"../../src/generated/sqlite"');
    expect(out).toContain("  b String\n");
    expect(out).not.toContain("// head");
  });
});
