/**
 * What the HTTP layer needs from @perforator/db, in one place: the routes call these, so a change of the
 * database API touches this file only.
 */
import {
  type Database,
  getProfile,
  listProfiles,
  loadProfile,
  type ProfileFacts,
  renderMerged,
  storeProfile,
  verifyApiToken,
} from "@perforator/db";
import { type LabelMatcher, type Profile, parseSelector } from "@perforator/profile";
import type { Principal } from "./auth.js";
import { BadRequest } from "./limits.js";

export async function verifyToken(db: Database, token: string): Promise<Principal | null> {
  const v = await verifyApiToken(db, token);
  return v ? { tokenId: v.tokenId, teamId: v.teamId, scope: v.scope } : null;
}

export interface Upload {
  teamId: string;
  service: string;
  labels: Record<string, string>;
  from: Date;
  until: Date;
  facts: ProfileFacts;
  body: Buffer;
  format: string;
  idempotencyKey?: string;
}

export async function storeUpload(db: Database, u: Upload): Promise<{ id: string; created: boolean }> {
  return storeProfile(db, u);
}

export interface ProfileSummary {
  id: string;
  service: string;
  from: string;
  until: string;
  labels: Record<string, string>;
  format: string;
  sampleType: string;
  sampleUnit: string;
  totalValue: string;
  samples: number;
  bytes: number;
  createdAt: string;
}

export async function listTeamProfiles(
  db: Database,
  q: {
    teamId: string;
    service?: string;
    from?: Date;
    until?: Date;
    matchers: LabelMatcher[];
    limit: number;
    cursor?: string;
  },
): Promise<{ profiles: ProfileSummary[]; nextCursor: string | null }> {
  const { matchers, ...rest } = q;
  let page: Awaited<ReturnType<typeof listProfiles>>;
  try {
    page = await listProfiles(db, { ...rest, labels: matchers });
  } catch (err) {
    if (/invalid cursor/.test((err as Error).message)) throw new BadRequest((err as Error).message, "bad_cursor");
    throw err;
  }
  return {
    profiles: page.profiles.map((p) => ({
      id: p.id,
      service: p.service,
      from: p.startTime.toISOString(),
      until: p.endTime.toISOString(),
      labels: p.labels,
      format: p.format,
      sampleType: p.sampleType,
      sampleUnit: p.sampleUnit,
      totalValue: p.totalValue.toString(),
      samples: p.sampleCount,
      bytes: p.rawSize,
      createdAt: p.createdAt.toISOString(),
    })),
    nextCursor: page.nextCursor,
  };
}

export type StoredRecord = NonNullable<Awaited<ReturnType<typeof getProfile>>>;

export function findProfile(db: Database, teamId: string, id: string): Promise<StoredRecord | null> {
  return getProfile(db, teamId, id);
}

/**
 * The stored bytes of a pprof upload, as gzipped pprof (what `?format=pprof` serves), without decoding and
 * re-encoding it; undefined for other formats or rows stored uncompressed.
 */
export async function storedPprofGzip(db: Database, record: StoredRecord): Promise<Uint8Array | undefined> {
  if (record.format !== "pprof" || record.blobEncoding !== "gzip") return undefined;
  return db.blobs.get(record.blobKey);
}

export function loadStoredProfile(db: Database, record: StoredRecord): Promise<Profile> {
  return loadProfile(db, record);
}

/** `label=k:v` parameters as equality matchers. */
export function equalityMatchers(labels: Record<string, string>): LabelMatcher[] {
  return Object.entries(labels).map(([name, value]) => ({ name, op: "=", value }));
}

/** `{k="v", k=~"re"}` from the `query` parameter; 400 naming the problem. */
export function parseSelectorParam(raw: string): LabelMatcher[] {
  try {
    return parseSelector(raw);
  } catch (err) {
    throw new BadRequest(`invalid query=${raw.slice(0, 200)}: ${(err as Error).message}`, "bad_selector");
  }
}

export function renderTeam(
  db: Database,
  q: { teamId: string; service: string; from: Date; until: Date; matchers: LabelMatcher[] },
): Promise<Profile> {
  return renderMerged(db, q);
}

export async function storeSize(db: Database): Promise<{ profiles: number; bytes: number }> {
  const a = await db.prisma.profile.aggregate({ _count: { _all: true }, _sum: { blobSize: true } });
  return { profiles: a._count._all, bytes: Number(a._sum.blobSize ?? 0) };
}
