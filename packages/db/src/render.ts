/**
 * renderMerged: the merged profile of one service over a time range, from the rollups the compactor wrote
 * plus the profiles no usable rollup covers (the edges of the range, recent uploads, late uploads into an
 * already compacted window). See docs/platform-store.md.
 */
import { compileMatchers, type LabelMatcher, type Labels, type Profile } from "@perforator/profile";
import { ROLLUP_LEVELS } from "./compactor.js";
import type { Database } from "./database.js";
import { asLabels, loadProfile, toMatchers } from "./profiles.js";
import {
  ColumnMerger,
  decodeRollup,
  type LabelMapper,
  PROFILE_LABEL_PREFIX,
  type RollupData,
  rollupToProfile,
} from "./rollup.js";

export interface RenderQuery {
  teamId: string;
  service: string;
  /** Profiles overlapping [from, until] are merged. */
  from: Date;
  until: Date;
  /**
   * A selector (`{host=~"web-.*", thread_name="MainThread"}`) or parsed matchers. A sample is kept when the
   * matchers accept its labels together with its profile's labels and `service` (sample labels win on a clash).
   */
  matchers?: string | readonly LabelMatcher[];
  /**
   * Which profiles to merge when a service has several kinds (e.g. `cpu` and `alloc_space` uploads): those
   * whose default sample type is this one. Default: the kind of the newest profile in the range. Only
   * profiles with exactly that newest profile's sample types are merged.
   */
  sampleType?: string;
}

export interface RenderStats {
  /** Profiles merged (directly or through rollups). */
  profiles: number;
  /** Rollups used per level (seconds → count). */
  rollups: Record<number, number>;
  /** Profiles parsed from their bodies because no usable rollup held them. */
  raw: number;
  /** Milliseconds spent in the database, waiting for blobs (read + decode, overlapped with merging), and merging. */
  dbMs: number;
  blobMs: number;
  mergeMs: number;
}

/** Same samples and values as merge() of the selected (and label-filtered) profiles; see RenderQuery. */
export async function renderMerged(db: Database, q: RenderQuery): Promise<Profile> {
  return (await renderMergedWithStats(db, q)).profile;
}

function emptyProfile(sampleType: string | undefined): Profile {
  return {
    sampleTypes: [{ type: sampleType ?? "samples", unit: "count" }],
    defaultSampleType: 0,
    frames: [],
    samples: [],
    timeNanos: 0,
    durationNanos: 0,
    period: 0,
    periodType: { type: sampleType ?? "samples", unit: "count" },
    meta: {},
  };
}

export async function renderMergedWithStats(
  db: Database,
  q: RenderQuery,
): Promise<{ profile: Profile; stats: RenderStats }> {
  const { columns, stats } = await renderMergedColumns(db, q);
  if (!columns) return { profile: emptyProfile(q.sampleType), stats };
  const b0 = performance.now();
  const profile = rollupToProfile(columns);
  stats.mergeMs += performance.now() - b0;
  return { profile, stats };
}

/**
 * The merge of renderMerged as columns (frames, label sets, stacks, series, values: the ColumnMerger's output), with
 * no object per sample; `columns` is null when nothing matched. For callers that ship the merge on (the web app's
 * columnar payload) instead of working on a Profile.
 */
export async function renderMergedColumns(
  db: Database,
  q: RenderQuery,
): Promise<{ columns: RollupData | null; stats: RenderStats }> {
  const t0 = performance.now();
  const stats: RenderStats = { profiles: 0, rollups: {}, raw: 0, dbMs: 0, blobMs: 0, mergeMs: 0 };
  const matchers = toMatchers(q.matchers);
  const service = await db.prisma.service.findUnique({
    where: { teamId_name: { teamId: q.teamId, name: q.service } },
    select: { id: true },
  });
  if (!service) return { columns: null, stats };
  const all = await db.prisma.profile.findMany({
    where: {
      teamId: q.teamId,
      serviceId: service.id,
      startTime: { lte: q.until },
      endTime: { gte: q.from },
      ...(q.sampleType !== undefined ? { sampleType: q.sampleType } : {}),
    },
    select: {
      id: true,
      startTime: true,
      sampleTypes: true,
      rollupId: true,
      labels: true,
      blobKey: true,
      blobEncoding: true,
      format: true,
    },
    orderBy: [{ startTime: "asc" }, { id: "asc" }],
  });
  if (all.length === 0) return { columns: null, stats };
  const typeKey = all[all.length - 1]!.sampleTypes;
  const rows = all.filter((r) => r.sampleTypes === typeKey);

  // Rollups that may hold these profiles: every level, windows from that level's window of the first start on.
  const first = rows[0]!.startTime.getTime();
  const rollups = await db.prisma.rollup.findMany({
    where: {
      teamId: q.teamId,
      serviceId: service.id,
      sampleTypes: typeKey,
      OR: ROLLUP_LEVELS.map((level) => ({
        level,
        windowStart: { gte: new Date(Math.floor(first / (level * 1000)) * level * 1000) },
      })),
      windowStart: { lte: rows[rows.length - 1]!.startTime },
    },
    select: { id: true, level: true, parentId: true, profileCount: true, windowStart: true, blobKey: true },
  });
  const byId = new Map(rollups.map((r) => [r.id, r]));
  // A rollup is usable when every profile it holds is selected: count the selected ones under each.
  const selected = new Map<string, number>();
  for (const r of rows) {
    for (let id = r.rollupId; id; id = byId.get(id)?.parentId ?? null) selected.set(id, (selected.get(id) ?? 0) + 1);
  }
  const usable = (id: string | null): boolean => {
    const r = id ? byId.get(id) : undefined;
    return r !== undefined && selected.get(r.id) === r.profileCount;
  };
  const chosen = new Set<string>();
  const raw: typeof rows = [];
  for (const r of rows) {
    let best: string | null = null;
    for (let id = r.rollupId; usable(id); id = byId.get(id!)!.parentId) best = id;
    if (best) chosen.add(best);
    else raw.push(r);
  }
  const t1 = performance.now();
  stats.dbMs = t1 - t0;

  // Parts in time order (a rollup at its window start, a profile at its start), loaded a few ahead of the merge
  // so reading and decoding the next blobs overlaps with merging this one.
  type Part = { rollup?: RollupData; profile?: Profile; labels?: Labels };
  const chosenRollups = [...chosen].map((id) => byId.get(id)!);
  for (const r of chosenRollups) stats.rollups[r.level] = (stats.rollups[r.level] ?? 0) + 1;
  stats.raw = raw.length;
  stats.profiles = rows.length;
  const jobs: { at: number; load: () => Promise<Part> }[] = [
    ...chosenRollups.map((r) => ({
      at: r.windowStart.getTime(),
      load: async () => ({ rollup: decodeRollup(await db.blobs.get(r.blobKey)) }),
    })),
    ...raw.map((r) => ({
      at: r.startTime.getTime(),
      load: async () => ({ profile: await loadProfile(db, r), labels: asLabels(r.labels) }),
    })),
  ].sort((a, b) => a.at - b.at);
  const pending: Promise<Part>[] = [];
  const startUpTo = (n: number) => {
    while (pending.length < Math.min(n, jobs.length)) {
      const p = jobs[pending.length]!.load();
      p.catch(() => {}); // awaited (and thrown) in order below
      pending.push(p);
    }
  };
  const AHEAD = 6;
  startUpTo(AHEAD);

  const match = matchers.length > 0 ? compileMatchers(matchers) : null;
  // Rollup label sets carry the profile's labels under PROFILE_LABEL_PREFIX: match on all, keep the sample's.
  const rollupMapper: LabelMapper = (l) => {
    let hasProfileLabels = false;
    for (const k in l) {
      if (k.startsWith(PROFILE_LABEL_PREFIX)) {
        hasProfileLabels = true;
        break;
      }
    }
    if (!hasProfileLabels && !match) return l;
    const profile: Record<string, string> = {};
    const sample: Record<string, string> = {};
    for (const k in l) {
      if (k.startsWith(PROFILE_LABEL_PREFIX)) profile[k.slice(PROFILE_LABEL_PREFIX.length)] = l[k]!;
      else sample[k] = l[k]!;
    }
    if (match && !match({ ...profile, service: q.service, ...sample })) return null;
    return sample;
  };
  let merger: ColumnMerger | undefined;
  for (let i = 0; i < jobs.length; i++) {
    const w0 = performance.now();
    const p = await pending[i]!;
    startUpTo(i + 1 + AHEAD);
    const m0 = performance.now();
    stats.blobMs += m0 - w0;
    merger ??= new ColumnMerger(p.rollup?.header.sampleTypes ?? p.profile!.sampleTypes);
    if (p.rollup) merger.addRollup(p.rollup, rollupMapper);
    else {
      const rowLabels = p.labels!;
      merger.addProfile(
        p.profile!,
        match ? (l) => (match({ ...rowLabels, service: q.service, ...l }) ? l : null) : undefined,
      );
    }
    stats.mergeMs += performance.now() - m0;
  }
  const b0 = performance.now();
  const columns = merger!.build();
  stats.mergeMs += performance.now() - b0;
  return { columns, stats };
}
