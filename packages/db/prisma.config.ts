// Prisma CLI configuration (Prisma 6.19, JavaScript schema engine: works offline, no engine download).
// PERFORATOR_DB_PROVIDER=sqlite|postgres picks the schema; the package scripts set it.
// Migrations are applied at run time by src/migrate.ts, so the CLI is only needed for `generate` and `migrate diff`.
import os from "node:os";
import path from "node:path";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { defineConfig } from "prisma/config";

const provider = process.env.PERFORATOR_DB_PROVIDER === "postgres" ? "postgres" : "sqlite";
// The schema reads env("DATABASE_URL"); without a value the CLI falls back to downloading a query engine.
process.env.DATABASE_URL ??=
  provider === "postgres"
    ? "postgresql://postgres:postgres@127.0.0.1:5432/perforator"
    : `file:${path.join(os.tmpdir(), "perforator-prisma-cli.db")}`;

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", provider, "schema.prisma"),
  migrations: { path: path.join("prisma", provider, "migrations") },
  adapter: async () => {
    const url = process.env.DATABASE_URL!;
    if (provider === "postgres") return new PrismaPg({ connectionString: url, idleTimeoutMillis: 100 });
    return new PrismaBetterSQLite3({ url: url.replace(/^file:/, "") });
  },
});
