/**
 * The team dashboard in a handful of queries (no profile body is read): per service the last upload, profiles and
 * volume over the range in buckets (sparklines), the heaviest functions by self time, and "what changed": the
 * functions whose share of the service's time moved most between the range and the one before it of equal length.
 * Everything comes from the rows ingest writes with each profile (`Profile.totalValue`, `ProfileFunction`).
 */
import type { Database } from "./database.js";

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
  /** Profiles starting in the range, and the sum of their default sample type. */
  profiles: number;
  total: number;
  /** The sample type and unit most of the range's profiles have (e.g. `cpu` / `nanoseconds`). */
  sampleType: string | null;
  sampleUnit: string | null;
  /** Per bucket: profiles started and their summed value (with `nanoseconds`, CPU time: divide by bucketMs*1e6 for cores). */
  series: { profiles: number[]; total: number[] };
  top: DashboardFunction[];
  /** Empty when either window has no profiles (nothing to compare). */
  changed: ChangedFunction[];
  /** Profiles in the previous window. */
  previousProfiles: number;
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

function mostCommon(counts: Map<string, number>): string | null {
  let best: string | null = null;
  let n = -1;
  for (const [k, c] of counts) {
    if (c > n) {
      best = k;
      n = c;
    }
  }
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

  const [services, last, rows, fnNow, fnBefore] = await Promise.all([
    db.prisma.service.findMany({
      where: { teamId: q.teamId },
      select: { id: true, name: true },
      orderBy: { name: "asc" },
    }),
    db.prisma.profile.groupBy({ by: ["serviceId"], where: { teamId: q.teamId }, _max: { startTime: true } }),
    db.prisma.profile.findMany({
      where: { teamId: q.teamId, startTime: { gte: prevFrom, lt: q.until } },
      select: { serviceId: true, startTime: true, totalValue: true, sampleType: true, sampleUnit: true },
    }),
    functionSums(db, q.teamId, q.from, q.until),
    functionSums(db, q.teamId, prevFrom, q.from),
  ]);
  const lastBy = new Map(last.map((l) => [l.serviceId, l._max.startTime]));

  interface Acc {
    profiles: number;
    total: number;
    prevProfiles: number;
    prevTotal: number;
    types: Map<string, number>;
    series: { profiles: number[]; total: number[] };
  }
  const acc = new Map<string, Acc>();
  const accOf = (id: string): Acc => {
    let a = acc.get(id);
    if (!a) {
      a = {
        profiles: 0,
        total: 0,
        prevProfiles: 0,
        prevTotal: 0,
        types: new Map(),
        series: { profiles: new Array(buckets).fill(0), total: new Array(buckets).fill(0) },
      };
      acc.set(id, a);
    }
    return a;
  };
  for (const r of rows) {
    const a = accOf(r.serviceId);
    const t = r.startTime.getTime();
    const v = Number(r.totalValue);
    if (t < from) {
      a.prevProfiles++;
      a.prevTotal += v;
      continue;
    }
    a.profiles++;
    a.total += v;
    const k = `${r.sampleType}\u0000${r.sampleUnit}`;
    a.types.set(k, (a.types.get(k) ?? 0) + 1);
    const b = Math.min(buckets - 1, Math.floor((t - from) / bucketMs));
    a.series.profiles[b]!++;
    a.series.total[b]! += v;
  }

  return {
    from: q.from,
    until: q.until,
    previous: { from: prevFrom, until: q.from },
    bucketMs,
    services: services.map((s) => {
      const a = accOf(s.id);
      const now = fnNow.get(s.id) ?? [];
      const before = fnBefore.get(s.id) ?? [];
      const share = (v: number, t: number) => (t > 0 ? v / t : 0);
      const top = now
        .slice(0, topN)
        .map((f) => ({ name: f.name, file: f.file, self: f.self, share: share(f.self, a.total) }));
      let changed: ChangedFunction[] = [];
      if (a.profiles > 0 && a.prevProfiles > 0) {
        const rowsByKey = new Map<string, ChangedFunction>();
        const row = (f: FnSum) => {
          const k = `${f.name}\u0000${f.file}`;
          let r = rowsByKey.get(k);
          if (!r) {
            r = { name: f.name, file: f.file, before: 0, after: 0, delta: 0 };
            rowsByKey.set(k, r);
          }
          return r;
        };
        for (const f of before) row(f).before = share(f.self, a.prevTotal);
        for (const f of now) row(f).after = share(f.self, a.total);
        changed = [...rowsByKey.values()]
          .map((r) => ({ ...r, delta: r.after - r.before }))
          // Moves under 0.1 percentage point are noise, not a change worth a row.
          .filter((r) => Math.abs(r.delta) >= 0.001)
          .sort((x, y) => Math.abs(y.delta) - Math.abs(x.delta) || (x.name < y.name ? -1 : 1))
          .slice(0, changedN);
      }
      const type = mostCommon(a.types)?.split("\u0000") ?? null;
      return {
        id: s.id,
        name: s.name,
        lastProfileAt: lastBy.get(s.id) ?? null,
        profiles: a.profiles,
        total: a.total,
        sampleType: type?.[0] ?? null,
        sampleUnit: type?.[1] ?? null,
        series: a.series,
        top,
        changed,
        previousProfiles: a.prevProfiles,
      };
    }),
  };
}

interface FnSum {
  name: string;
  file: string;
  self: number;
}

/** Self time per (service, function, file) over profiles starting in [from, until), heaviest first per service. */
async function functionSums(db: Database, teamId: string, from: Date, until: Date): Promise<Map<string, FnSum[]>> {
  const rows = await db.prisma.profileFunction.groupBy({
    by: ["serviceId", "name", "file"],
    where: { teamId, startTime: { gte: from, lt: until } },
    _sum: { self: true },
  });
  const out = new Map<string, FnSum[]>();
  for (const r of rows) {
    const self = Number(r._sum.self ?? 0n);
    if (self <= 0) continue;
    let list = out.get(r.serviceId);
    if (!list) {
      list = [];
      out.set(r.serviceId, list);
    }
    list.push({ name: r.name, file: r.file, self });
  }
  for (const list of out.values()) list.sort((a, b) => b.self - a.self || (a.name < b.name ? -1 : 1));
  return out;
}
