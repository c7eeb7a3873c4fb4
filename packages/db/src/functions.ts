/**
 * Top functions over a time range from the per-window function summaries the compactor writes with each rollup:
 * the coarsest rollups whose windows lie inside the range (days, then hours, 10 minutes and 1 minute at the edges),
 * plus the profiles no rollup holds yet (the last minute or so, or a backlog), summarised from their bodies when they
 * are few. Used by topFunctions and the dashboard. See docs/platform-store.md ("Function summaries").
 */
import { ROLLUP_LEVELS } from "./compactor.js";
import type { Database } from "./database.js";
import { loadProfile } from "./profiles.js";
import { summariseProfile, type WindowSummary } from "./summary.js";

/** Range bounds are rounded up to whole minutes (the finest rollup window): edges are exact to within this. */
export const SUMMARY_RESOLUTION_MS = 60_000;

/** Profiles no rollup holds yet are summarised from their bodies up to this many per service and range. */
export const MAX_RAW_PROFILES = 100;

/** [from, until) with both ends rounded up to whole minutes: a profile is in it when its start is. */
export function summaryRange(from: Date, until: Date): { a: number; b: number } {
  const up = (t: number) => Math.ceil(t / SUMMARY_RESOLUTION_MS) * SUMMARY_RESOLUTION_MS;
  return { a: up(from.getTime()), b: up(until.getTime()) };
}

export interface CoverRollup {
  id: string;
  serviceId: string;
  level: number;
  windowStart: Date;
  profileCount: number;
  totalValue: bigint;
  sampleType: string;
  sampleUnit: string;
  summarised: boolean;
}

const coverSelect = {
  id: true,
  serviceId: true,
  level: true,
  windowStart: true,
  profileCount: true,
  totalValue: true,
  sampleType: true,
  sampleUnit: true,
  summarised: true,
} as const;

/**
 * The maximal rollups of levels ≤ maxLevel (seconds) whose windows lie inside [a, b) (whole minutes): a rollup is
 * taken when its parent's window is not inside the range (or it has no parent yet, or it is of maxLevel). Rollups
 * form a tree and a profile's 1-minute window is that of its start, so every profile starting in [a, b) that a
 * rollup holds is under exactly one of these, and none from outside is. Per level it reads only the windows at the
 * range's edges plus the parentless ones in between (two indexed range reads).
 */
export async function coverRollups(
  db: Database,
  scope: { teamId: string; serviceId?: string },
  a: number,
  b: number,
  maxLevel: number = ROLLUP_LEVELS[ROLLUP_LEVELS.length - 1]!,
): Promise<CoverRollup[]> {
  const levels = ROLLUP_LEVELS.filter((l) => l <= maxLevel);
  const base = { teamId: scope.teamId, ...(scope.serviceId !== undefined ? { serviceId: scope.serviceId } : {}) };
  const inside = (ms: number) => ({ lo: Math.ceil(a / ms) * ms, hi: Math.floor(b / ms) * ms });
  const reads: Promise<CoverRollup[]>[] = [];
  const read = (where: object) => reads.push(db.prisma.rollup.findMany({ where, select: coverSelect }));
  const span = (lo: number, hi: number) => ({ windowStart: { gte: new Date(lo), lt: new Date(hi) } });
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    const { lo, hi } = inside(level * 1000);
    if (lo >= hi) continue;
    const next = levels[i + 1];
    const parent = next === undefined ? undefined : inside(next * 1000);
    if (!parent || parent.lo >= parent.hi) {
      read({ ...base, level, ...span(lo, hi) });
      continue;
    }
    // Edges: windows whose parent's window sticks out of the range.
    const edges = [];
    if (lo < parent.lo) edges.push(span(lo, parent.lo));
    if (parent.hi < hi) edges.push(span(parent.hi, hi));
    if (edges.length > 0) read({ ...base, level, OR: edges });
    // In between: only windows no parent holds yet (not compacted further, or late uploads).
    read({ ...base, level, parentId: null, ...span(parent.lo, parent.hi) });
  }
  return (await Promise.all(reads)).flat();
}

export interface PendingProfile {
  id: string;
  serviceId: string;
  startTime: Date;
  totalValue: bigint;
  sampleType: string;
  sampleUnit: string;
  blobKey: string;
  blobEncoding: string;
  format: string;
}

/** Profiles starting in [a, b) that no rollup holds yet. */
export function pendingProfiles(
  db: Database,
  scope: { teamId: string; serviceId?: string },
  a: number,
  b: number,
): Promise<PendingProfile[]> {
  return db.prisma.profile.findMany({
    where: {
      teamId: scope.teamId,
      ...(scope.serviceId !== undefined ? { serviceId: scope.serviceId } : {}),
      rollupId: null,
      startTime: { gte: new Date(a), lt: new Date(b) },
    },
    select: {
      id: true,
      serviceId: true,
      startTime: true,
      totalValue: true,
      sampleType: true,
      sampleUnit: true,
      blobKey: true,
      blobEncoding: true,
      format: true,
    },
  });
}

/** Summaries of profiles read from their bodies, per process (bodies never change): repeated page loads parse once. */
const profileSummaries = new WeakMap<Database, Map<string, WindowSummary>>();
const PROFILE_SUMMARY_CACHE = 1000;

async function profileSummary(db: Database, p: PendingProfile): Promise<WindowSummary> {
  let cache = profileSummaries.get(db);
  if (!cache) {
    cache = new Map();
    profileSummaries.set(db, cache);
  }
  const hit = cache.get(p.id);
  if (hit) return hit;
  const s = summariseProfile(await loadProfile(db, p));
  if (cache.size >= PROFILE_SUMMARY_CACHE) cache.delete(cache.keys().next().value!);
  cache.set(p.id, s);
  return s;
}

/** map.get(key), first set to make() when missing. */
export function getOrAdd<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

export const kindKey = (type: string, unit: string) => `${type}\u0000${unit}`;

export interface FunctionSum {
  name: string;
  file: string;
  self: number;
  total: number;
}

export interface ServiceFunctions {
  /** The sample type summarised (the one most profiles of the range have, unless one was asked for). */
  sampleType: string;
  sampleUnit: string;
  /** Profiles of that sample type starting in the range, and their summed value. */
  profiles: number;
  total: number;
  /** The part of `total` whose functions are in `functions` (the share denominator). */
  summarisedTotal: number;
  /** Profiles of that type whose functions are not in `functions`: no rollup summary yet, and too many to parse. */
  pending: number;
  /** Summed over the range, unsorted. */
  functions: FunctionSum[];
}

export interface SummariseOptions {
  teamId: string;
  serviceId?: string;
  /** Whole-minute bounds (summaryRange). */
  a: number;
  b: number;
  /** The sample type (Profile.sampleType) per service id, or for all; default: the most common one per service. */
  sampleType?: string | ((serviceId: string) => string | undefined);
  /** Default MAX_RAW_PROFILES. */
  maxRawProfiles?: number;
  /** Only functions with self time (the dashboard ranks by self): fewer rows to read. */
  selfOnly?: boolean;
  /** Already read for [a, b) (the dashboard shares them with its sparklines). */
  pending?: PendingProfile[];
}

/** Per service: the functions of its profiles starting in [a, b), from rollup summaries plus unrolled profiles. */
export async function summariseRange(db: Database, o: SummariseOptions): Promise<Map<string, ServiceFunctions>> {
  const scope = { teamId: o.teamId, serviceId: o.serviceId };
  const [rollups, pending] = await Promise.all([
    coverRollups(db, scope, o.a, o.b),
    o.pending ?? pendingProfiles(db, scope, o.a, o.b),
  ]);
  // The kind per service: asked for, or the one with the most profiles.
  const counts = new Map<string, Map<string, number>>();
  const count = (svc: string, type: string, unit: string, n: number) => {
    const m = getOrAdd(counts, svc, () => new Map<string, number>());
    const k = kindKey(type, unit);
    m.set(k, (m.get(k) ?? 0) + n);
  };
  for (const r of rollups) count(r.serviceId, r.sampleType, r.sampleUnit, r.profileCount);
  for (const p of pending) count(p.serviceId, p.sampleType, p.sampleUnit, 1);
  const out = new Map<string, ServiceFunctions>();
  for (const [svc, kinds] of counts) {
    const asked = typeof o.sampleType === "function" ? o.sampleType(svc) : o.sampleType;
    let best: string | undefined;
    let n = -1;
    for (const [k, c] of kinds) {
      if (asked !== undefined && !k.startsWith(`${asked}\u0000`)) continue;
      if (c > n || (c === n && k < best!)) [best, n] = [k, c];
    }
    if (best === undefined) continue;
    const [sampleType, sampleUnit] = best.split("\u0000") as [string, string];
    out.set(svc, {
      sampleType,
      sampleUnit,
      profiles: 0,
      total: 0,
      summarisedTotal: 0,
      pending: 0,
      functions: [],
    });
  }
  const ofKind = (svc: string, type: string, unit: string): ServiceFunctions | undefined => {
    const s = out.get(svc);
    return s && s.sampleType === type && s.sampleUnit === unit ? s : undefined;
  };
  const sums = new Map<string, Map<string, FunctionSum>>();
  const add = (svc: string, name: string, file: string, self: number, total: number) => {
    const m = getOrAdd(sums, svc, () => new Map<string, FunctionSum>());
    const k = `${name}\u0000${file}`;
    const f = m.get(k);
    if (f) {
      f.self += self;
      f.total += total;
    } else m.set(k, { name, file, self, total });
  };

  const ids: string[] = [];
  for (const r of rollups) {
    const s = ofKind(r.serviceId, r.sampleType, r.sampleUnit);
    if (!s) continue;
    s.profiles += r.profileCount;
    s.total += Number(r.totalValue);
    if (r.summarised) {
      s.summarisedTotal += Number(r.totalValue);
      ids.push(r.id);
    } else s.pending += r.profileCount;
  }
  const raw = new Map<string, PendingProfile[]>();
  for (const p of pending) {
    const s = ofKind(p.serviceId, p.sampleType, p.sampleUnit);
    if (!s) continue;
    s.profiles++;
    s.total += Number(p.totalValue);
    getOrAdd(raw, p.serviceId, () => [] as PendingProfile[]).push(p);
  }
  const maxRaw = o.maxRawProfiles ?? MAX_RAW_PROFILES;
  const parsed: Promise<void>[] = [];
  for (const [svc, list] of raw) {
    const s = out.get(svc)!;
    if (list.length > maxRaw) {
      s.pending += list.length;
      continue;
    }
    for (const p of list) {
      parsed.push(
        profileSummary(db, p).then((sum) => {
          s.summarisedTotal += Number(p.totalValue);
          for (const f of sum.functions) if (!o.selfOnly || f.self !== 0) add(svc, f.name, f.file, f.self, f.total);
        }),
      );
    }
  }
  const grouped = async () => {
    // In chunks: an IN list stays well under the drivers' parameter limits.
    for (let i = 0; i < ids.length; i += 5000) {
      const rows = await db.prisma.rollupFunction.groupBy({
        by: ["serviceId", "name", "file"],
        where: { rollupId: { in: ids.slice(i, i + 5000) }, ...(o.selfOnly ? { self: { gt: 0 } } : {}) },
        _sum: { self: true, total: true },
      });
      for (const r of rows) add(r.serviceId, r.name, r.file, Number(r._sum.self ?? 0n), Number(r._sum.total ?? 0n));
    }
  };
  await Promise.all([grouped(), ...parsed]);
  for (const [svc, s] of out) s.functions = [...(sums.get(svc)?.values() ?? [])];
  return out;
}

export interface TopFunctionsQuery {
  teamId: string;
  service: string;
  /** Profiles starting in [from, until), both rounded up to whole minutes. */
  from: Date;
  until: Date;
  /** Default 20, at most 500. */
  limit?: number;
  /** `self` (default) or `total`. */
  orderBy?: "self" | "total";
  /** Profiles whose default sample type is this one; default: the type most profiles of the range have. */
  sampleType?: string;
  /** Profiles no rollup holds yet are parsed up to this many (default MAX_RAW_PROFILES); above, only counted. */
  maxRawProfiles?: number;
}

export interface TopFunctionRow {
  name: string;
  file: string;
  self: bigint;
  total: bigint;
}

export interface TopFunctionsResult {
  functions: TopFunctionRow[];
  /** The sample type summed (null: no profile in the range). */
  sampleType: string | null;
  sampleUnit: string | null;
  /** Profiles of that type in the range and the sum of their values. */
  profiles: number;
  totalValue: number;
  /** Of those, profiles whose functions are missing: not summarised yet (the compactor will), and too many to parse. */
  pending: number;
}

/**
 * Heaviest functions of a service over [from, until) (rounded up to whole minutes), summed from the function
 * summaries of the rollup windows covering the range plus the profiles no rollup holds yet. Each window's summary
 * keeps its top 50 by self and top 50 by total, so a function outside those in some window is undercounted there.
 */
export async function topFunctions(db: Database, q: TopFunctionsQuery): Promise<TopFunctionsResult> {
  const empty: TopFunctionsResult = {
    functions: [],
    sampleType: null,
    sampleUnit: null,
    profiles: 0,
    totalValue: 0,
    pending: 0,
  };
  const service = await db.prisma.service.findUnique({
    where: { teamId_name: { teamId: q.teamId, name: q.service } },
    select: { id: true },
  });
  if (!service) return empty;
  const { a, b } = summaryRange(q.from, q.until);
  const s = (
    await summariseRange(db, {
      teamId: q.teamId,
      serviceId: service.id,
      a,
      b,
      sampleType: q.sampleType,
      maxRawProfiles: q.maxRawProfiles,
    })
  ).get(service.id);
  if (!s) return empty;
  const by = q.orderBy ?? "self";
  const other = by === "self" ? "total" : "self";
  const limit = Math.min(Math.max(Math.floor(q.limit ?? 20), 1), 500);
  const functions = s.functions
    .sort((x, y) => y[by] - x[by] || y[other] - x[other] || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
    .slice(0, limit)
    .map((f) => ({ name: f.name, file: f.file, self: BigInt(Math.round(f.self)), total: BigInt(Math.round(f.total)) }));
  return {
    functions,
    sampleType: s.sampleType,
    sampleUnit: s.sampleUnit,
    profiles: s.profiles,
    totalValue: s.total,
    pending: s.pending,
  };
}
