import type { Database } from "./database.js";

export type LabelSet = Record<string, string>;

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
  service: string;
  startTime: Date;
  endTime: Date;
  sampleType: string;
  sampleUnit: string;
  labels: LabelSet;
  totalValue: bigint;
  sampleCount: number;
  format: string;
  blobKey: string;
  blobSize: number;
  createdAt: Date;
}

export interface ServiceSummary {
  id: string;
  name: string;
  labels: LabelSet;
  profileCount: number;
  lastProfileAt: Date | null;
}

function asLabels(v: unknown): LabelSet {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return {};
  const out: LabelSet = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === "string") out[k] = val;
  return out;
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === "P2002";
}

/** Creates the service or merges labels into it; two uploads creating the same new service at once both succeed. */
async function upsertService(
  db: Database,
  teamId: string,
  name: string,
  labels: LabelSet,
  attempt = 0,
): Promise<{ id: string; name: string }> {
  const existing = await db.prisma.service.findUnique({ where: { teamId_name: { teamId, name } } });
  if (existing) {
    const merged = { ...asLabels(existing.labels), ...labels };
    if (Object.entries(labels).every(([k, v]) => asLabels(existing.labels)[k] === v)) return existing;
    return db.prisma.service.update({ where: { id: existing.id }, data: { labels: merged } });
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
  const team = await db.prisma.team.upsert({ where: { name: "default" }, create: { name: "default" }, update: {} });
  return team.id;
}

/** Stores the body in the blob store, then the metadata (service upserted) in the database. */
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
      labels: p.labels ?? {},
      totalValue: BigInt(p.totalValue),
      sampleCount: p.sampleCount,
      format: p.format,
      blobKey: blob.key,
      blobSize: blob.size,
      rawSize: p.body.byteLength,
      decompressedSize: p.body.byteLength,
      sampleTypes: `${p.sampleType}:${p.sampleUnit}`,
    },
  });
  return { ...row, service: service.name, labels: asLabels(row.labels) };
}

export interface ProfileQuery {
  service?: string;
  /** Profiles overlapping [from, to] are returned. */
  from?: Date;
  to?: Date;
  limit?: number;
}

/** Newest first. */
export async function listProfiles(db: Database, q: ProfileQuery = {}): Promise<ProfileRecord[]> {
  const rows = await db.prisma.profile.findMany({
    where: {
      ...(q.service !== undefined ? { service: { name: q.service } } : {}),
      ...(q.to !== undefined ? { startTime: { lte: q.to } } : {}),
      ...(q.from !== undefined ? { endTime: { gte: q.from } } : {}),
    },
    include: { service: { select: { name: true } } },
    orderBy: [{ startTime: "desc" }, { id: "asc" }],
    take: Math.min(Math.max(q.limit ?? 100, 1), 1000),
  });
  return rows.map(({ service, ...row }) => ({ ...row, service: service.name, labels: asLabels(row.labels) }));
}

export async function getProfile(db: Database, id: string): Promise<ProfileRecord | null> {
  const row = await db.prisma.profile.findUnique({ where: { id }, include: { service: { select: { name: true } } } });
  if (!row) return null;
  const { service, ...rest } = row;
  return { ...rest, service: service.name, labels: asLabels(rest.labels) };
}

/** Services with how many profiles they have and when the newest one started; by name. */
export async function listServices(db: Database): Promise<ServiceSummary[]> {
  const services = await db.prisma.service.findMany({ orderBy: { name: "asc" } });
  const stats = await db.prisma.profile.groupBy({
    by: ["serviceId"],
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
