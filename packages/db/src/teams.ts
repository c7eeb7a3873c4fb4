import { createHash, randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Database } from "./database.js";

export type TokenScope = "ingest" | "read";
export const TOKEN_SCOPES: readonly TokenScope[] = ["ingest", "read"];
/** Every token starts with this, so a leaked one is recognisable (secret scanners, logs). */
export const TOKEN_PREFIX = "pft_";
const TEAM_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export interface TeamRecord {
  id: string;
  name: string;
  createdAt: Date;
}

export interface ApiTokenRecord {
  id: string;
  teamId: string;
  name: string;
  scope: TokenScope;
  /** The first characters of the token, for lists. */
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface VerifiedToken {
  tokenId: string;
  teamId: string;
  scope: TokenScope;
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === "P2002";
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function checkTeamName(name: string): string {
  if (!TEAM_NAME_RE.test(name)) {
    throw new Error(
      `invalid team name ${JSON.stringify(name)}: use 1-63 letters, digits, "_", "." or "-", starting with a letter or digit`,
    );
  }
  return name;
}

/** Creates a team; a name that exists already is an Error saying so. */
export async function createTeam(db: Database, name: string): Promise<TeamRecord> {
  checkTeamName(name);
  try {
    return await db.prisma.team.create({ data: { name }, select: { id: true, name: true, createdAt: true } });
  } catch (err) {
    if (isUniqueViolation(err)) throw new Error(`team "${name}" already exists`);
    throw err;
  }
}

export async function getTeamByName(db: Database, name: string): Promise<TeamRecord | null> {
  return db.prisma.team.findUnique({ where: { name }, select: { id: true, name: true, createdAt: true } });
}

export async function listTeams(db: Database): Promise<TeamRecord[]> {
  return db.prisma.team.findMany({ orderBy: { name: "asc" }, select: { id: true, name: true, createdAt: true } });
}

/** The team `default` (the migration creates it; created again if it was deleted). */
export async function ensureDefaultTeam(db: Database): Promise<TeamRecord> {
  for (let attempt = 0; ; attempt++) {
    const found = await getTeamByName(db, "default");
    if (found) return found;
    try {
      return await createTeam(db, "default");
    } catch (err) {
      if (attempt >= 2) throw err; // someone else created it between our read and our insert: read again
    }
  }
}

function toTokenRecord(r: {
  id: string;
  teamId: string;
  name: string;
  scope: string;
  prefix: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}): ApiTokenRecord {
  return { ...r, scope: r.scope as TokenScope };
}

/**
 * Creates an API token. The token (`pft_` + 192 random bits, base64url) is returned once and never stored:
 * the database keeps its sha256 and its first 8 characters.
 */
export async function createApiToken(
  db: Database,
  opts: { teamId: string; scope: TokenScope; name?: string },
): Promise<{ token: string; record: ApiTokenRecord }> {
  if (!TOKEN_SCOPES.includes(opts.scope)) {
    throw new Error(`invalid token scope ${JSON.stringify(opts.scope)}: use "ingest" or "read"`);
  }
  const team = await db.prisma.team.findUnique({ where: { id: opts.teamId }, select: { id: true } });
  if (!team) throw new Error(`no team with id ${opts.teamId}`);
  const token = TOKEN_PREFIX + randomBytes(24).toString("base64url");
  const row = await db.prisma.apiToken.create({
    data: {
      teamId: opts.teamId,
      name: opts.name?.trim() || `${opts.scope} token`,
      scope: opts.scope,
      tokenHash: hashToken(token),
      prefix: token.slice(0, 8),
    },
  });
  return { token, record: toTokenRecord(row) };
}

export async function listApiTokens(db: Database, teamId: string): Promise<ApiTokenRecord[]> {
  const rows = await db.prisma.apiToken.findMany({ where: { teamId }, orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
  return rows.map(({ tokenHash: _h, ...r }) => toTokenRecord(r));
}

/** How long verifyApiToken trusts its in-process answer; a revoke elsewhere takes effect within this time. */
export const TOKEN_CACHE_MS = 2000;
/** lastUsedAt is written at most this often per token (not once per upload). */
export const LAST_USED_RESOLUTION_MS = 60_000;

interface CacheEntry {
  at: number;
  value: (VerifiedToken & { lastUsedAt: number }) | null;
}
const caches = new WeakMap<Database, Map<string, CacheEntry>>();
function cacheOf(db: Database): Map<string, CacheEntry> {
  let c = caches.get(db);
  if (!c) {
    c = new Map();
    caches.set(db, c);
  }
  return c;
}

/** Revokes a token of the team; false when the team has no such (unrevoked) token. Immediate in this process. */
export async function revokeApiToken(db: Database, teamId: string, id: string): Promise<boolean> {
  const { count } = await db.prisma.apiToken.updateMany({
    where: { id, teamId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  cacheOf(db).clear();
  return count > 0;
}

/**
 * Checks a bearer token: its team and scope, or null when it is unknown, malformed or revoked. Answers are
 * cached in this process for TOKEN_CACHE_MS (so an upload costs no query), and `lastUsedAt` is written at
 * most once a minute per token, conditionally, so several replicas do not each write it.
 */
export async function verifyApiToken(db: Database, token: string): Promise<VerifiedToken | null> {
  if (typeof token !== "string" || !token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const hash = hashToken(token);
  const cache = cacheOf(db);
  const now = Date.now();
  let entry = cache.get(hash);
  if (!entry || now - entry.at > TOKEN_CACHE_MS) {
    const row = await db.prisma.apiToken.findUnique({ where: { tokenHash: hash } });
    entry = {
      at: now,
      value:
        row && row.revokedAt === null
          ? {
              tokenId: row.id,
              teamId: row.teamId,
              scope: row.scope as TokenScope,
              lastUsedAt: row.lastUsedAt?.getTime() ?? 0,
            }
          : null,
    };
    if (cache.size > 10_000) cache.clear();
    cache.set(hash, entry);
  }
  const v = entry.value;
  if (!v) return null;
  if (now - v.lastUsedAt >= LAST_USED_RESOLUTION_MS) {
    v.lastUsedAt = now;
    const stale = new Date(now - LAST_USED_RESOLUTION_MS);
    // Fire and forget: a failed timestamp write must not fail the request.
    db.prisma.apiToken
      .updateMany({
        where: { id: v.tokenId, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: stale } }] },
        data: { lastUsedAt: new Date(now) },
      })
      .catch(() => {});
  }
  return { tokenId: v.tokenId, teamId: v.teamId, scope: v.scope };
}

export interface BootstrapResult {
  /** True when this call created the first token (and wrote it to `tokenFile`). */
  created: boolean;
  teamId: string;
  /** `<dataDir>/ingest-token`, when this call wrote it. */
  tokenFile: string | null;
  /** The token this call created (it is also in tokenFile). */
  token: string | null;
}

/**
 * First start: when the store has no API token at all, creates team `default` (if missing) and an ingest
 * token for it, and writes the token to `<dataDir>/ingest-token` (mode 0600). Several processes starting at
 * once create one token: the first to take the `bootstrap` lease does it.
 */
export async function bootstrap(db: Database, dataDir: string): Promise<BootstrapResult> {
  const team = await ensureDefaultTeam(db);
  if ((await db.prisma.apiToken.count()) > 0) return { created: false, teamId: team.id, tokenFile: null, token: null };
  try {
    await db.prisma.lease.create({ data: { name: "bootstrap", holder: `${process.pid}`, expiresAt: new Date() } });
  } catch (err) {
    if (isUniqueViolation(err)) return { created: false, teamId: team.id, tokenFile: null, token: null };
    throw err;
  }
  const { token } = await createApiToken(db, { teamId: team.id, scope: "ingest", name: "bootstrap ingest token" });
  const tokenFile = path.join(dataDir, "ingest-token");
  await mkdir(dataDir, { recursive: true });
  const tmp = `${tokenFile}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, `${token}\n`, { mode: 0o600 });
    await rename(tmp, tokenFile);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new Error(
      `created the first ingest token but could not write it to ${tokenFile}: ${(err as Error).message}; ` +
        `create another with the admin CLI (token create --team default --scope ingest)`,
      { cause: err },
    );
  }
  return { created: true, teamId: team.id, tokenFile, token };
}
