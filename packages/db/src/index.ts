export * from "./access.js";
export {
  type BlobInfo,
  BlobNotFoundError,
  type BlobStore,
  blobKeyOf,
  FileBlobStore,
  openBlobStore,
  S3BlobStore,
  type S3BlobStoreOptions,
  type StoredBlob,
} from "./blob-store.js";
export {
  type CompactOptions,
  type CompactorHandle,
  type CompactResult,
  compact,
  ROLLUP_LEVELS,
  startCompactor,
  sweepOrphanBlobs,
} from "./compactor.js";
export { type CompactorThread, type CompactorThreadOptions, startCompactorThread } from "./compactor-thread.js";
export * from "./dashboard.js";
export {
  type Database,
  type DbClient,
  type OpenDatabaseOptions,
  openDatabase,
  type PingResult,
} from "./database.js";
export {
  MAX_RAW_PROFILES,
  SUMMARY_RESOLUTION_MS,
  summaryRange,
  type TopFunctionRow,
  type TopFunctionsQuery,
  type TopFunctionsResult,
  topFunctions,
} from "./functions.js";
export { loadMigrations, MIGRATIONS_TABLE, type MigrateResult, type Migration, migrationsDir } from "./migrate.js";
export { type DatabaseKind, defaultDataDir, findRepoRoot, type ResolvedDatabase, resolveDatabase } from "./paths.js";
export {
  defaultTeamId,
  getProfile,
  type LabelSet,
  type ListProfilesQuery,
  listProfiles,
  listServices,
  loadProfile,
  type NewProfile,
  type ProfileFacts,
  type ProfilePage,
  type ProfileRecord,
  profileFacts,
  readProfileBody,
  type ServiceSummary,
  type StoreProfileInput,
  type StoreProfileResult,
  sampleTypesKey,
  saveProfile,
  storeProfile,
} from "./profiles.js";
export {
  type RenderQuery,
  type RenderStats,
  renderMerged,
  renderMergedColumns,
  renderMergedWithStats,
} from "./render.js";
export * from "./reports.js";
export { decodeRollup, encodeRollup, type RollupData } from "./rollup.js";
export {
  FUNCTION_SUMMARY_TOP,
  type FunctionSummary,
  summariseProfile,
  summariseRollup,
  type WindowSummary,
} from "./summary.js";
export {
  type ApiTokenRecord,
  type BootstrapResult,
  bootstrap,
  checkTeamName,
  createApiToken,
  createTeam,
  ensureDefaultTeam,
  getTeamByName,
  hashToken,
  LAST_USED_RESOLUTION_MS,
  listApiTokens,
  listTeams,
  revokeApiToken,
  type TeamRecord,
  TOKEN_CACHE_MS,
  TOKEN_PREFIX,
  TOKEN_SCOPES,
  type TokenScope,
  type VerifiedToken,
  verifyApiToken,
} from "./teams.js";
export * from "./volume.js";
