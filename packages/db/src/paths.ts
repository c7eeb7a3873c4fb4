import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Directory of this package (holds prisma/ with both schemas and migrations). */
export const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The monorepo root (the directory holding pnpm-workspace.yaml), or null when installed elsewhere. */
export function findRepoRoot(from: string = PACKAGE_DIR): string | null {
  let dir = path.resolve(/*turbopackIgnore: true*/ from);
  for (;;) {
    if (existsSync(path.join(dir, "pnpm-workspace.yaml"))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/**
 * Where the embedded database and profile blobs live: `PERFORATOR_DATA_DIR`, else `.data` at the repo
 * root, else `.data` in the working directory.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.PERFORATOR_DATA_DIR?.trim();
  if (fromEnv) return path.resolve(fromEnv);
  return path.join(findRepoRoot() ?? process.cwd(), ".data");
}

export type DatabaseKind = "sqlite" | "postgres";

export interface ResolvedDatabase {
  kind: DatabaseKind;
  /** The URL as given (postgres) or `file:<absolute path>` (sqlite). */
  url: string;
  /** SQLite only: absolute path of the database file. */
  file?: string;
  /** PostgreSQL only: the schema from `?schema=` (default `public`), created by migrate() when missing. */
  schema?: string;
  /** The URL with any password replaced by `***`, safe to show in logs and the UI. */
  display: string;
}

/**
 * Decides which database to use. Order: explicit `url`, then `DATABASE_URL`, then the embedded
 * SQLite file `<data dir>/perforator.db`. Accepts `postgres://`, `postgresql://`, `file:<path>` and
 * bare paths ending in `.db`/`.sqlite`.
 */
export function resolveDatabase(url?: string, env: NodeJS.ProcessEnv = process.env): ResolvedDatabase {
  const raw = (url ?? env.DATABASE_URL ?? "").trim();
  if (raw === "") {
    const file = path.join(defaultDataDir(env), "perforator.db");
    return { kind: "sqlite", url: `file:${file}`, file, display: `file:${file}` };
  }
  if (/^postgres(ql)?:\/\//i.test(raw)) {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new Error(`DATABASE_URL is not a valid URL: expected postgresql://user:password@host:5432/database`);
    }
    const schema = parsed.searchParams.get("schema") ?? "public";
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new Error(`DATABASE_URL ?schema="${schema}" is not a plain identifier: use letters, digits and _`);
    }
    parsed.searchParams.delete("schema");
    return {
      kind: "postgres",
      url: parsed.toString(),
      schema,
      display: raw.replace(/(\/\/[^:/@]+):[^@]*@/, "$1:***@"),
    };
  }
  if (raw.startsWith("file:") || /\.(db|sqlite3?)$/i.test(raw)) {
    const rel = raw.replace(/^file:(\/\/)?/, "").replace(/\?.*$/, "");
    if (rel === "") throw new Error(`DATABASE_URL "${raw}" names no file: use file:/path/to/perforator.db`);
    const file = path.resolve(rel);
    return { kind: "sqlite", url: `file:${file}`, file, display: `file:${file}` };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(raw)?.[1] ?? raw;
  throw new Error(
    `unsupported DATABASE_URL scheme "${scheme}": use postgresql://user:password@host:5432/db for PostgreSQL, ` +
      `file:/path/to/perforator.db for SQLite, or leave DATABASE_URL unset for the embedded SQLite database`,
  );
}
