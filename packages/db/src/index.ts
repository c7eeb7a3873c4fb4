export * from "./access.js";
export { BlobNotFoundError, FileBlobStore, type StoredBlob } from "./blob-store.js";
export * from "./dashboard.js";
export {
  type Database,
  type DbClient,
  type OpenDatabaseOptions,
  openDatabase,
  type PingResult,
} from "./database.js";
export { loadMigrations, MIGRATIONS_TABLE, type MigrateResult, type Migration, migrationsDir } from "./migrate.js";
export { type DatabaseKind, defaultDataDir, findRepoRoot, type ResolvedDatabase, resolveDatabase } from "./paths.js";
export * from "./profiles.js";
export * from "./reports.js";
