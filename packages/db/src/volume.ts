/**
 * Sample volume over time for the web explorer's timeline: equal time buckets, each the sum of the matching profiles'
 * totals (a profile counts in the bucket its start falls in). One narrow query (start, total, labels), no bodies, so
 * a range with thousands of profiles answers without paging through listProfiles.
 */
import { compileMatchers, type LabelMatcher } from "@perforator/profile";
import type { Database } from "./database.js";

export interface VolumeQuery {
  teamId: string;
  service?: string;
  /** Label matchers applied to the profile's labels plus `service`. */
  matchers?: readonly LabelMatcher[];
  from: Date;
  until: Date;
  /** Number of buckets (default 120). */
  buckets?: number;
}

export interface Volume {
  /** Bucket starts, unix seconds. */
  times: number[];
  /** Sum of the default sample type's totals per bucket. */
  values: number[];
  /** Matching profiles in the range. */
  count: number;
  /** `cpu (nanoseconds)` of the first matching profile, "" when none. */
  unit: string;
}

function asLabels(v: unknown): Record<string, string> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === "string") out[k] = val;
  return out;
}

export async function profileVolume(db: Database, q: VolumeQuery): Promise<Volume> {
  const n = Math.min(Math.max(Math.floor(q.buckets ?? 120), 1), 2000);
  const from = q.from.getTime();
  const step = (q.until.getTime() - from) / n;
  const times = Array.from({ length: n }, (_, i) => (from + i * step) / 1000);
  const values = new Array<number>(n).fill(0);
  const matchers = q.matchers ?? [];
  const match = matchers.length > 0 ? compileMatchers(matchers) : null;
  const rows = await db.prisma.profile.findMany({
    where: {
      teamId: q.teamId,
      ...(q.service !== undefined ? { service: { name: q.service } } : {}),
      startTime: { lte: q.until },
      endTime: { gte: q.from },
    },
    select: {
      startTime: true,
      totalValue: true,
      sampleType: true,
      sampleUnit: true,
      ...(match ? { labels: true, service: { select: { name: true } } } : {}),
    },
  });
  let count = 0;
  let unit = "";
  for (const r of rows) {
    if (match) {
      const row = r as typeof r & { labels: unknown; service: { name: string } };
      if (!match({ ...asLabels(row.labels), service: row.service.name })) continue;
    }
    count++;
    if (!unit) unit = `${r.sampleType} (${r.sampleUnit})`;
    const i = Math.min(n - 1, Math.max(0, Math.floor((r.startTime.getTime() - from) / step)));
    values[i]! += Number(r.totalValue);
  }
  return { times, values, count, unit };
}

/**
 * What changes when the set of a service's profiles overlapping a range changes (an upload, a deletion): their
 * count and newest creation time. Caches of merged results key on it. One indexed aggregate, no bodies.
 */
export async function profileSetStamp(
  db: Database,
  q: { teamId: string; service: string; from: Date; until: Date },
): Promise<string> {
  const a = await db.prisma.profile.aggregate({
    where: { teamId: q.teamId, service: { name: q.service }, startTime: { lte: q.until }, endTime: { gte: q.from } },
    _count: { _all: true },
    _max: { createdAt: true },
  });
  return `${a._count._all}:${a._max.createdAt?.getTime() ?? 0}`;
}
