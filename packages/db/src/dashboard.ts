/**
 * The team dashboard: per service the last upload, profiles and volume over the range in buckets (sparklines), the
 * heaviest functions by self time, and "what changed": the functions whose share of the service's time moved most
 * between the range and the one before it of equal length. Volume comes from `Rollup` rows (profile count, total of
 * the default sample type) plus the rows of profiles no rollup holds yet; functions from the rollups' summaries
 * (`RollupFunction`) plus those profiles' bodies when they are few (functions.ts). Range edges are rounded up to
 * whole minutes (SUMMARY_RESOLUTION_MS).
 */
import { ROLLUP_LEVELS } from "./compactor.js";
import type { Database } from "./database.js";
import {
  type CoverRollup,
  coverRollups,
  type FunctionSum,
  getOrAdd,
  pendingProfiles,
  type ServiceFunctions,
  summariseRange,
  summaryRange,
} from "./functions.js";

export interface DashboardQuery {
  teamId: string;
  from: Date;
  until: Date;
  /** Sparkline points over [from, until) (default 24, at most 200). */
  buckets?: number;
  /** Heaviest functions shown per service (default 5). */
  top?: number;
  /** Moved functions shown per service (default 5). */
  changed?: number;
  /** Profiles no rollup holds yet are parsed up to this many per service (default MAX_RAW_PROFILES). */
  maxRawProfiles?: number;
}

export interface DashboardFunction {
  name: string;
  file: string;
  /** Self value summed over the window, and its share of the service's total there (0..1). */
  self: number;
  share: number;
}

export interface ChangedFunction {
  name: string;
  file: string;
  /** Share of self time in the previous window and in this one (0..1); delta = after - before. */
  before: number;
  after: number;
  delta: number;
}

export interface ServiceDashboard {
  id: string;
  name: string;
  /** Start of the newest profile ever uploaded for the service (null: none yet). */
  lastProfileAt: Date | null;
  /** Profiles starting in the range (every sample type), and the sum of `sampleType` over those of that type. */
  profiles: number;
  total: number;
  /** The sample type and unit most of the range's profiles have (e.g. `cpu` / `nanoseconds`). */
  sampleType: string | null;
  sampleUnit: string | null;
  /**
   * Per bucket: profiles started and their summed value of `sampleType` (with `nanoseconds`, CPU time: divide by
   * bucketMs*1e6 for cores). A rollup window that straddles two buckets is spread over them by overlap.
   */
  series: { profiles: number[]; total: number[] };
  top: DashboardFunction[];
  /** Empty when either window has no profiles (nothing to compare). */
  changed: ChangedFunction[];
  /** Profiles in the previous window (of `sampleType`). */
  previousProfiles: number;
  /**
   * Profiles of the range (and of the previous one) whose functions `top` and `changed` do not include yet: no
   * rollup summary yet (the compactor is behind or still backfilling) and too many to read from their bodies.
   */
  pending: number;
  previousPending: number;
}

export interface Dashboard {
  from: Date;
  until: Date;
  /** The window "what changed" compares against: [from - (until - from), from). */
  previous: { from: Date; until: Date };
  bucketMs: number;
  services: ServiceDashboard[];
}

const clampInt = (v: number | undefined, dflt: number, min: number, max: number) =>
  Math.min(Math.max(Math.floor(v ?? dflt), min), max);

/** The coarsest rollup level at most a quarter of a bucket: a window spreads over at most two buckets, mostly one. */
function seriesLevel(bucketMs: number): number {
  let best: number = ROLLUP_LEVELS[0];
  for (const l of ROLLUP_LEVELS) if (l * 1000 <= bucketMs / 4) best = l;
  return best;
}

export async function dashboard(db: Database, q: DashboardQuery): Promise<Dashboard> {
  const from = q.from.getTime();
  const until = q.until.getTime();
  if (!(until > from)) throw new Error("the dashboard range must end after it starts");
  const span = until - from;
  const prevFrom = new Date(from - span);
  const buckets = clampInt(q.buckets, 24, 1, 200);
  const bucketMs = span / buckets;
  const topN = clampInt(q.top, 5, 0, 50);
  const changedN = clampInt(q.changed, 5, 0, 50);
  const cur = summaryRange(q.from, q.until);
  const prev = summaryRange(prevFrom, q.from);
  const team = { teamId: q.teamId };

  const services = await db.prisma.service.findMany({
    where: { teamId: q.teamId },
    select: { id: true, name: true },
    orderBy: { name: "asc" },
  });
  const pending = pendingProfiles(db, team, cur.a, cur.b);
  const opts = { teamId: q.teamId, maxRawProfiles: q.maxRawProfiles, selfOnly: true };
  const [last, volume, pend, now, before] = await Promise.all([
    // The newest start per service: one index seek each.
    Promise.all(
      services.map((s) =>
        db.prisma.profile.findFirst({
          where: { teamId: q.teamId, serviceId: s.id },
          orderBy: { startTime: "desc" },
          select: { startTime: true },
        }),
      ),
    ),
    coverRollups(db, team, cur.a, cur.b, seriesLevel(bucketMs)),
    pending,
    pending.then((p) => summariseRange(db, { ...opts, ...cur, pending: p })),
    summariseRange(db, { ...opts, ...prev }),
  ]);

  // Sparklines: rollup windows (spread over the buckets they overlap) plus the unrolled profiles at their start.
  interface Series {
    profiles: number;
    profilesBy: number[];
    totalBy: number[];
  }
  const series = new Map<string, Series>();
  const seriesOf = (id: string): Series =>
    getOrAdd(series, id, () => ({
      profiles: 0,
      profilesBy: new Array<number>(buckets).fill(0),
      totalBy: new Array<number>(buckets).fill(0),
    }));
  const spread = (svc: string, start: number, len: number, profiles: number, total: number) => {
    const s = seriesOf(svc);
    s.profiles += profiles;
    const end = start + len;
    const b0 = Math.max(0, Math.floor((start - from) / bucketMs));
    for (let b = b0; b < buckets; b++) {
      const lo = Math.max(start, from + b * bucketMs);
      const hi = Math.min(end, from + (b + 1) * bucketMs);
      if (hi <= lo && len > 0) break;
      const f = len > 0 ? (hi - lo) / len : 1;
      s.profilesBy[b]! += profiles * f;
      s.totalBy[b]! += total * f;
      if (len === 0) break;
    }
  };
  const kindOf = (svc: string) => now.get(svc);
  const sameKind = (svc: string, type: string, unit: string) => {
    const k = kindOf(svc);
    return k !== undefined && k.sampleType === type && k.sampleUnit === unit;
  };
  const clampStart = (t: number) => Math.min(Math.max(t, from), until - 1);
  for (const r of volume as CoverRollup[]) {
    const v = sameKind(r.serviceId, r.sampleType, r.sampleUnit) ? Number(r.totalValue) : 0;
    const start = r.windowStart.getTime();
    // The window as far as it lies in [from, until) (its ends are rounded to minutes there).
    const lo = clampStart(start);
    const hi = Math.min(Math.max(start + r.level * 1000, from + 1), until);
    spread(r.serviceId, lo, hi - lo, r.profileCount, v);
  }
  for (const p of pend) {
    const v = sameKind(p.serviceId, p.sampleType, p.sampleUnit) ? Number(p.totalValue) : 0;
    spread(p.serviceId, clampStart(p.startTime.getTime()), 0, 1, v);
  }

  return {
    from: q.from,
    until: q.until,
    previous: { from: prevFrom, until: q.from },
    bucketMs,
    services: services.map((s, i) => {
      const sr = series.get(s.id);
      const a = now.get(s.id);
      const b = before.get(s.id);
      const comparable = a && b && a.sampleType === b.sampleType && a.sampleUnit === b.sampleUnit ? b : undefined;
      const share = (v: number, t: number) => (t > 0 ? v / t : 0);
      const bySelf = (fns: FunctionSum[]) =>
        fns.filter((f) => f.self > 0).sort((x, y) => y.self - x.self || (x.name < y.name ? -1 : 1));
      const nowFns = a ? bySelf(a.functions) : [];
      const top = nowFns
        .slice(0, topN)
        .map((f) => ({ name: f.name, file: f.file, self: f.self, share: share(f.self, a!.summarisedTotal) }));
      return {
        id: s.id,
        name: s.name,
        lastProfileAt: last[i]?.startTime ?? null,
        profiles: sr?.profiles ?? 0,
        total: a?.total ?? 0,
        sampleType: a?.sampleType ?? null,
        sampleUnit: a?.sampleUnit ?? null,
        series: {
          profiles: sr?.profilesBy ?? new Array(buckets).fill(0),
          total: sr?.totalBy ?? new Array(buckets).fill(0),
        },
        top,
        changed: a && comparable ? changes(a, comparable, changedN) : [],
        previousProfiles: b?.profiles ?? 0,
        pending: a?.pending ?? 0,
        previousPending: comparable?.pending ?? 0,
      };
    }),
  };
}

/** The functions whose share of self time moved most between two windows of the same sample type. */
function changes(now: ServiceFunctions, before: ServiceFunctions, n: number): ChangedFunction[] {
  if (now.profiles === 0 || before.profiles === 0) return [];
  const share = (v: number, t: number) => (t > 0 ? v / t : 0);
  const rows = new Map<string, ChangedFunction>();
  const row = (f: FunctionSum) => {
    const k = `${f.name}\u0000${f.file}`;
    return getOrAdd(rows, k, () => ({ name: f.name, file: f.file, before: 0, after: 0, delta: 0 }));
  };
  for (const f of before.functions) if (f.self > 0) row(f).before = share(f.self, before.summarisedTotal);
  for (const f of now.functions) if (f.self > 0) row(f).after = share(f.self, now.summarisedTotal);
  return (
    [...rows.values()]
      .map((r) => ({ ...r, delta: r.after - r.before }))
      // Moves under 0.1 percentage point are noise, not a change worth a row.
      .filter((r) => Math.abs(r.delta) >= 0.001)
      .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || (x.name < y.name ? -1 : 1))
      .slice(0, n)
  );
}
