import { promisify } from "node:util";
import { gunzip, gzip } from "node:zlib";
import {
  compileMatchers,
  importProfile,
  isGzip,
  type LabelMatcher,
  type Profile,
  parseSelector,
  type ValueType,
} from "@perforator/profile";
import type { Database } from "./database.js";
import { type NewProfileRow, newRowId } from "./profile-rows.js";
import { ensureDefaultTeam } from "./teams.js";

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export type LabelSet = Record<string, string>;

/** What saveProfile (the pre-team API) takes. New code uses storeProfile. */
export interface NewProfile {
  /** Team that owns the profile; defaults to team `default` (created when missing). */
  teamId?: string;
  /** Service (application) name, e.g. `shop.api`. Created on first use. */
  service: string;
  /** Labels identifying the service; merged into the service's labels. */
  serviceLabels?: LabelSet;
  startTime: Date;
  endTime: Date;
  sampleType: string;
  sampleUnit: string;
  labels?: LabelSet;
  totalValue: number | bigint;
  sampleCount: number;
  /** Format of `body`: `pprof`, `folded`, ... */
  format: string;
  /** The profile body exactly as it should be served back; stored in the blob store, not the database. */
  body: Uint8Array;
}

export interface ProfileRecord {
  id: string;
  teamId: string;
  serviceId: string;
  service: string;
  startTime: Date;
  endTime: Date;
  sampleType: string;
  sampleUnit: string;
  /** Every sample type, `type:unit` joined by `,`. */
  sampleTypes: string;
  period: number | null;
  periodType: string | null;
  labels: LabelSet;
  totalValue: bigint;
  sampleCount: number;
  format: string;
  blobKey: string;
  blobSize: number;
  /** `gzip` or `identity` (rows from before compression at rest). */
  blobEncoding: string;
  rawSize: number;
  decompressedSize: number;
  idempotencyKey: string | null;
  createdAt: Date;
}

export interface ServiceSummary {
  id: string;
  name: string;
  labels: LabelSet;
  profileCount: number;
  lastProfileAt: Date | null;
}

export function asLabels(v: unknown): LabelSet {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return {};
  const out: LabelSet = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === "string") out[k] = val;
  return out;
}

export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === "P2002";
}

type ProfileRow = Omit<ProfileRecord, "service" | "labels"> & {
  labels: unknown;
  rollupId?: string | null;
  service: { name: string };
};
function toRecord(row: ProfileRow): ProfileRecord {
  const { service, labels, rollupId: _r, ...rest } = row;
  return { ...rest, service: service.name, labels: asLabels(labels) };
}
const withService = { service: { select: { name: true } } } as const;

/** Services this process has seen (team + name → id and labels), so an upload usually skips that query. */
const knownServices = new WeakMap<Database, Map<string, KnownService>>();

type KnownService = { id: string; name: string; labels: LabelSet };
/** Upserts in flight, per team + name: a burst of uploads for a new service makes one upsert, not one each. */
const pendingServices = new WeakMap<Database, Map<string, Promise<unknown>>>();

/** upsertService through the per-process cache; forget() after a write that failed on the service's key. */
async function cachedService(
  db: Database,
  teamId: string,
  name: string,
  labels: LabelSet,
): Promise<{ service: KnownService; forget: () => void }> {
  let cache = knownServices.get(db);
  let pending = pendingServices.get(db);
  if (!cache || !pending) {
    cache = new Map();
    pending = new Map();
    knownServices.set(db, cache);
    pendingServices.set(db, pending);
  }
  const k = `${teamId}\u0000${name}`;
  const forget = () => cache.delete(k);
  for (;;) {
    const hit = cache.get(k);
    if (hit && Object.entries(labels).every(([l, v]) => hit.labels[l] === v)) return { service: hit, forget };
    const inFlight = pending.get(k);
    if (!inFlight) break;
    await inFlight.catch(() => {}); // then look again: it may have added what we need
  }
  const hit = cache.get(k);
  const upsert = upsertService(db, teamId, name, { ...(hit?.labels ?? {}), ...labels }).then((s) => {
    const entry = { id: s.id, name: s.name, labels: { ...(hit?.labels ?? {}), ...labels } };
    if (cache.size > 10_000) cache.clear();
    cache.set(k, entry);
    return entry;
  });
  pending.set(k, upsert);
  try {
    return { service: await upsert, forget };
  } finally {
    pending.delete(k);
  }
}

/** Creates the service or merges labels into it; two uploads creating the same new service at once both succeed. */
export async function upsertService(
  db: Database,
  teamId: string,
  name: string,
  labels: LabelSet,
  attempt = 0,
): Promise<{ id: string; name: string }> {
  const existing = await db.prisma.service.findUnique({ where: { teamId_name: { teamId, name } } });
  if (existing) {
    const have = asLabels(existing.labels);
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return existing;
    return db.prisma.service.update({ where: { id: existing.id }, data: { labels: { ...have, ...labels } } });
  }
  try {
    return await db.prisma.service.create({ data: { teamId, name, labels } });
  } catch (err) {
    // Another writer created it between our read and our insert: use theirs.
    if (isUniqueViolation(err) && attempt < 3) return upsertService(db, teamId, name, labels, attempt + 1);
    throw err;
  }
}

/** Id of team `default` (the migration creates it; recreated if someone deleted it). */
export async function defaultTeamId(db: Database): Promise<string> {
  return (await ensureDefaultTeam(db)).id;
}

/**
 * The pre-team API (kept for existing callers): stores `body` as given (no compression, no function
 * summary) in team `default` unless `teamId` is set. New code uses storeProfile.
 */
export async function saveProfile(db: Database, p: NewProfile): Promise<ProfileRecord> {
  if (!(p.endTime.getTime() >= p.startTime.getTime())) {
    throw new Error(`profile end time ${p.endTime.toISOString()} is before its start ${p.startTime.toISOString()}`);
  }
  const blob = await db.blobs.put(p.body);
  const teamId = p.teamId ?? (await defaultTeamId(db));
  const service = await upsertService(db, teamId, p.service, p.serviceLabels ?? {});
  const row = await db.prisma.profile.create({
    data: {
      teamId,
      serviceId: service.id,
      startTime: p.startTime,
      endTime: p.endTime,
      sampleType: p.sampleType,
      sampleUnit: p.sampleUnit,
      sampleTypes: `${p.sampleType}:${p.sampleUnit}`,
      labels: p.labels ?? {},
      totalValue: BigInt(p.totalValue),
      sampleCount: p.sampleCount,
      format: p.format,
      blobKey: blob.key,
      blobSize: blob.size,
      rawSize: p.body.byteLength,
      decompressedSize: p.body.byteLength,
    },
    include: withService,
  });
  return toRecord(row);
}

// ---------------------------------------------------------------------------------------------------------------

export interface StoreProfileInput {
  teamId: string;
  /** Service (application) name, e.g. `shop.api`; created on first use. */
  service: string;
  /** Labels identifying the service; merged into the service's labels. */
  serviceLabels?: LabelSet;
  /** Labels of this profile (host, pod, spyName, ...); label selectors match them. */
  labels?: LabelSet;
  from: Date;
  until: Date;
  /** The parsed upload (from @perforator/profile); or pass `facts` when only the upload was validated. */
  profile?: Profile;
  /** What the row needs of the profile (e.g. from scanPprof, without decoding it); computed from `profile` if absent. */
  facts?: ProfileFacts;
  /** The bytes as uploaded (maybe gzip); kept, compressed, so a download returns the original. */
  body: Uint8Array;
  /** Format of `body`: `pprof`, `folded`, `cpuprofile`, `json`. */
  format: string;
  /** A retry with the same key (per team) returns the first profile's id and stores nothing. */
  idempotencyKey?: string;
}

export interface StoreProfileResult {
  id: string;
  /** False when the idempotency key had been used: `id` is the first upload's. */
  created: boolean;
}

/** What the Profile row records of a profile: from a decoded Profile (profileFacts) or a scan of the upload. */
export interface ProfileFacts {
  sampleTypes: readonly ValueType[];
  defaultSampleType: number;
  period: number;
  periodType: ValueType;
  sampleCount: number;
  /** Sum of the sample values, per sample type. */
  totals: readonly number[];
}

export function profileFacts(p: Profile): ProfileFacts {
  const totals = p.sampleTypes.map(() => 0);
  for (const s of p.samples) for (let i = 0; i < totals.length; i++) totals[i]! += s.values[i] ?? 0;
  return {
    sampleTypes: p.sampleTypes,
    defaultSampleType: p.defaultSampleType,
    period: p.period,
    periodType: p.periodType,
    sampleCount: p.samples.length,
    totals,
  };
}

export function sampleTypesKey(p: Pick<Profile, "sampleTypes">): string {
  return p.sampleTypes.map((t) => `${t.type}:${t.unit}`).join(",");
}

/** Size of the decompressed data from the gzip trailer (ISIZE, mod 2^32; exact below 4 GiB). */
function gzipISize(b: Uint8Array): number {
  if (b.length < 18) return 0;
  const o = b.length - 4;
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/**
 * Deletes a blob this call wrote when no row references it. Blobs are content-addressed and shared, so a
 * concurrent upload of the same bytes may have committed a row meanwhile: check again after deleting and
 * put the bytes back if so.
 */
export async function releaseBlob(db: Database, key: string, bytes: Uint8Array): Promise<void> {
  const refs = async () =>
    (await db.prisma.profile.count({ where: { blobKey: key } })) +
    (await db.prisma.rollup.count({ where: { blobKey: key } }));
  if ((await refs()) > 0) return;
  await db.blobs.delete(key);
  if ((await refs()) > 0) await db.blobs.put(bytes);
}

/**
 * Stores an upload: the body (gzip at rest; a gzip upload is kept as is) in the blob store first, then the
 * row. Function summaries are per rollup window, written by the compactor. If the row write fails the blob is released again (deleted
 * unless another row uses the same bytes). The same idempotency key again, even from another process at the
 * same moment, returns the first id with `created: false` (the unique index decides).
 */
export async function storeProfile(db: Database, input: StoreProfileInput): Promise<StoreProfileResult> {
  const { teamId } = input;
  const facts = input.facts ?? (input.profile ? profileFacts(input.profile) : undefined);
  if (!facts) throw new Error("storeProfile needs the parsed profile or its facts");
  if (!(input.until.getTime() >= input.from.getTime())) {
    throw new Error(`profile end time ${input.until.toISOString()} is before its start ${input.from.toISOString()}`);
  }
  if (facts.sampleTypes.length === 0) throw new Error("the profile has no sample types");
  const key = input.idempotencyKey;
  const alreadyGzip = isGzip(input.body);
  const stored = alreadyGzip ? input.body : new Uint8Array(await gzipAsync(input.body, { level: 1 }));
  const decompressedSize = alreadyGzip ? gzipISize(input.body) : input.body.byteLength;
  const vi = Math.min(Math.max(facts.defaultSampleType, 0), facts.sampleTypes.length - 1);
  const type = facts.sampleTypes[vi]!;
  const { service, forget } = await cachedService(db, teamId, input.service, input.serviceLabels ?? {});

  const blob = await db.blobs.put(stored);
  const rows = db.profileRows();
  const row: NewProfileRow = {
    id: newRowId(),
    teamId,
    serviceId: service.id,
    startTime: input.from,
    endTime: input.until,
    sampleType: type.type,
    sampleUnit: type.unit,
    sampleTypes: sampleTypesKey(facts),
    period: Number.isFinite(facts.period) && facts.period > 0 ? facts.period : null,
    periodType: facts.period > 0 ? `${facts.periodType.type}:${facts.periodType.unit}` : null,
    labels: JSON.stringify(input.labels ?? {}),
    totalValue: BigInt(Math.round(facts.totals[vi] ?? 0)),
    sampleCount: facts.sampleCount,
    format: input.format,
    blobKey: blob.key,
    blobSize: blob.size,
    blobEncoding: "gzip",
    rawSize: input.body.byteLength,
    decompressedSize,
    idempotencyKey: key ?? null,
    createdAt: new Date(),
  };
  const outcome = await rows.insert(row);
  if (outcome.inserted) {
    // A concurrent failed upload of the same bytes may have released the blob between our put and our commit.
    if (!(await db.blobs.has(blob.key))) await db.blobs.put(stored);
    return { id: row.id, created: true };
  }
  if (blob.created) await releaseBlob(db, blob.key, stored).catch(() => {});
  if ("conflict" in outcome && key !== undefined) {
    // The key was used: answer with the first upload's id (it committed before our insert ran).
    const first = await rows.idForKey(teamId, key);
    if (first) return { id: first, created: false };
    throw new Error(`idempotency key ${JSON.stringify(key)} conflicted, but no profile holds it`);
  }
  forget(); // the service may have been deleted meanwhile: look it up again next time
  throw "error" in outcome ? outcome.error : new Error("the profile row was not written");
}

// ---------------------------------------------------------------------------------------------------------------

export interface ListProfilesQuery {
  teamId: string;
  service?: string;
  /** Profiles overlapping [from, until] are returned. */
  from?: Date;
  until?: Date;
  /** A selector (`{host=~"web-.*"}`) or parsed matchers, applied to the profile's labels plus `service`. */
  labels?: string | readonly LabelMatcher[];
  /** 1..1000, default 100. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface ProfilePage {
  profiles: ProfileRecord[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

function encodeCursor(r: { startTime: Date; id: string }): string {
  return Buffer.from(`${r.startTime.getTime()}:${r.id}`).toString("base64url");
}
function decodeCursor(c: string): { t: Date; id: string } {
  const m = /^(-?\d+):(.+)$/.exec(Buffer.from(c, "base64url").toString());
  if (!m) throw new Error(`invalid cursor ${JSON.stringify(c)}: pass back the nextCursor of the previous page`);
  return { t: new Date(Number(m[1])), id: m[2]! };
}

export function toMatchers(labels: string | readonly LabelMatcher[] | undefined): readonly LabelMatcher[] {
  if (labels === undefined) return [];
  return typeof labels === "string" ? parseSelector(labels) : labels;
}

/** The team's profiles, newest first (startTime desc, id desc), one page at a time. */
export async function listProfiles(db: Database, q: ListProfilesQuery): Promise<ProfilePage> {
  const limit = Math.min(Math.max(Math.floor(q.limit ?? 100), 1), 1000);
  const matchers = toMatchers(q.labels);
  const match = compileMatchers(matchers);
  const out: ProfileRecord[] = [];
  let cursor = q.cursor !== undefined ? decodeCursor(q.cursor) : undefined;
  // With label matchers a page may need several reads; stop after scanning 20 pages' worth.
  for (let scanned = 0; out.length < limit && scanned < limit * 20; ) {
    const batch = matchers.length === 0 ? limit - out.length + 1 : Math.max(limit * 2, 200);
    const rows = await db.prisma.profile.findMany({
      where: {
        teamId: q.teamId,
        ...(q.service !== undefined ? { service: { name: q.service } } : {}),
        ...(q.until !== undefined ? { startTime: { lte: q.until } } : {}),
        ...(q.from !== undefined ? { endTime: { gte: q.from } } : {}),
        ...(cursor ? { OR: [{ startTime: { lt: cursor.t } }, { startTime: cursor.t, id: { lt: cursor.id } }] } : {}),
      },
      include: withService,
      orderBy: [{ startTime: "desc" }, { id: "desc" }],
      take: batch,
    });
    scanned += rows.length;
    for (const row of rows) {
      const rec = toRecord(row);
      if (matchers.length > 0 && !match({ ...rec.labels, service: rec.service })) continue;
      if (out.length === limit) return { profiles: out, nextCursor: encodeCursor(out[out.length - 1]!) };
      out.push(rec);
    }
    if (rows.length < batch) return { profiles: out, nextCursor: null };
    const last = rows[rows.length - 1]!;
    cursor = { t: last.startTime, id: last.id };
  }
  return { profiles: out, nextCursor: out.length > 0 ? encodeCursor(out[out.length - 1]!) : null };
}

/** One profile of the team; null for an unknown id or another team's. */
export async function getProfile(db: Database, teamId: string, id: string): Promise<ProfileRecord | null> {
  const row = await db.prisma.profile.findFirst({ where: { id, teamId }, include: withService });
  return row ? toRecord(row) : null;
}

/** The body as it was uploaded, decompressed (a gzip upload comes back gunzipped). */
export async function readProfileBody(
  db: Database,
  record: Pick<ProfileRecord, "blobKey" | "blobEncoding">,
): Promise<Uint8Array> {
  const stored = await db.blobs.get(record.blobKey);
  if (record.blobEncoding === "gzip" || isGzip(stored)) return new Uint8Array(await gunzipAsync(stored));
  return stored;
}

const FORMAT_HINT: Record<string, string> = {
  pprof: "profile.pb",
  folded: "profile.folded",
  cpuprofile: "profile.cpuprofile",
  json: "profile.json",
  "perforator-json": "profile.json",
};

/** The stored profile, parsed. */
export async function loadProfile(
  db: Database,
  record: Pick<ProfileRecord, "id" | "blobKey" | "blobEncoding" | "format">,
): Promise<Profile> {
  const body = await readProfileBody(db, record);
  try {
    return importProfile(body, FORMAT_HINT[record.format] ?? "");
  } catch (err) {
    throw new Error(`stored profile ${record.id} (${record.format}) does not parse: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** The team's services with how many profiles they have and when the newest one started; by name. */
export async function listServices(db: Database, teamId: string): Promise<ServiceSummary[]> {
  const services = await db.prisma.service.findMany({ where: { teamId }, orderBy: { name: "asc" } });
  const stats = await db.prisma.profile.groupBy({
    by: ["serviceId"],
    where: { teamId },
    _count: { _all: true },
    _max: { startTime: true },
  });
  const byId = new Map(stats.map((s) => [s.serviceId, s]));
  return services.map((s) => ({
    id: s.id,
    name: s.name,
    labels: asLabels(s.labels),
    profileCount: byId.get(s.id)?._count._all ?? 0,
    lastProfileAt: byId.get(s.id)?._max.startTime ?? null,
  }));
}
