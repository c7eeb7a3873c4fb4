/**
 * The compactor: merges closed time windows of each service into rollups (1 minute from profiles, 10 minutes
 * from 1-minute rollups, 1 hour from 10-minute rollups, 1 day from 1-hour rollups), so renderMerged reads a few
 * rollups instead of parsing every profile. Each rollup is written with its function summary (`RollupFunction`,
 * the top functions of the merged window), which topFunctions and the dashboard read; rollups written before
 * summaries existed are summarised from their blobs (backfill). Any number of ingest replicas keep writing profiles; the compactor is the only
 * writer of rollups. It runs under a lease (one compactor at a time, a crashed one's lease expires), and
 * every rollup is committed with a conditional update (profiles / children still unassigned), so even two
 * compactors at once could not put one profile into two rollups of a level. See docs/platform-store.md.
 */

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Database } from "./database.js";
import { resolveDatabase } from "./paths.js";
import { asLabels, isUniqueViolation, loadProfile, releaseBlob } from "./profiles.js";
import { ColumnMerger, decodeRollup, encodeRollup, withProfileLabels } from "./rollup.js";
import { FUNCTION_SUMMARY_TOP, summariseRollup, type WindowSummary } from "./summary.js";

/** Rollup window lengths in seconds, smallest first; each level is built from whole rollups of the one below. */
export const ROLLUP_LEVELS = [60, 600, 3600, 86400] as const;

export interface CompactOptions {
  /** The clock (tests pass a fixed one). */
  now?: Date;
  /** A window is compacted once it ended this long ago, so uploads for it have arrived (default 15 s). */
  graceMs?: number;
  /** At most this many profiles go into 1-minute rollups per run (default 2000); the next run continues. */
  maxProfiles?: number;
  /** How long the lease is held without renewal (default 5 min); a crashed compactor's lease expires. */
  leaseMs?: number;
  /** Who holds the lease (default: host, pid and a random id of this process). */
  holder?: string;
  /** At most this many rollups without a function summary (written before summaries existed) are summarised per run (default 200). */
  maxBackfill?: number;
  /** Stops the pass between windows (what is committed stays; the next pass continues). */
  signal?: AbortSignal;
}

export interface CompactResult {
  /** False when another compactor holds the lease (nothing was done). */
  ran: boolean;
  /** Rollups written per level (seconds → count). */
  rollups: Record<number, number>;
  /** Profiles that went into 1-minute rollups. */
  profiles: number;
  /** Older rollups whose function summary was written from their blob in this run. */
  backfilled: number;
  /** Windows skipped because of an error (e.g. a body that no longer parses), with the reason. */
  errors: string[];
}

const PROCESS_HOLDER = `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
const LEASE = "compactor";

async function takeLease(db: Database, holder: string, now: Date, ms: number): Promise<boolean> {
  const expiresAt = new Date(now.getTime() + ms);
  try {
    await db.prisma.lease.create({ data: { name: LEASE, holder, expiresAt } });
    return true;
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  const { count } = await db.prisma.lease.updateMany({
    where: { name: LEASE, OR: [{ expiresAt: { lt: now } }, { holder }] },
    data: { holder, expiresAt },
  });
  return count === 1;
}

/** Extends our lease between windows, so a long pass keeps it; false when someone else took it over. */
async function renewLease(db: Database, holder: string, ms: number): Promise<boolean> {
  const { count } = await db.prisma.lease.updateMany({
    where: { name: LEASE, holder },
    data: { expiresAt: new Date(Date.now() + ms) },
  });
  return count === 1;
}

async function dropLease(db: Database, holder: string): Promise<void> {
  await db.prisma.lease.updateMany({ where: { name: LEASE, holder }, data: { expiresAt: new Date(0) } });
}

class Conflict extends Error {}

function windowStart(t: Date, level: number): number {
  const ms = level * 1000;
  return Math.floor(t.getTime() / ms) * ms;
}

interface Group<T> {
  teamId: string;
  serviceId: string;
  sampleTypes: string;
  start: number;
  items: T[];
}

function groupBy<T extends { teamId: string; serviceId: string; sampleTypes: string }>(
  items: T[],
  startOf: (t: T) => number,
): Group<T>[] {
  const groups = new Map<string, Group<T>>();
  for (const it of items) {
    const start = startOf(it);
    const k = `${it.teamId}\u0000${it.serviceId}\u0000${it.sampleTypes}\u0000${start}`;
    let g = groups.get(k);
    if (!g) {
      g = { teamId: it.teamId, serviceId: it.serviceId, sampleTypes: it.sampleTypes, start, items: [] };
      groups.set(k, g);
    }
    g.items.push(it);
  }
  return [...groups.values()];
}

function summaryColumns(s: WindowSummary) {
  return {
    sampleType: s.sampleType,
    sampleUnit: s.sampleUnit,
    totalValue: BigInt(Math.round(s.totalValue)),
    summarised: true,
  };
}

function summaryRows(
  s: WindowSummary,
  r: { teamId: string; serviceId: string; level: number; windowStart: Date },
): {
  teamId: string;
  serviceId: string;
  level: number;
  windowStart: Date;
  name: string;
  file: string;
  self: bigint;
  total: bigint;
}[] {
  return s.functions.map((f) => ({
    teamId: r.teamId,
    serviceId: r.serviceId,
    level: r.level,
    windowStart: r.windowStart,
    name: f.name,
    file: f.file,
    self: BigInt(Math.round(f.self)),
    total: BigInt(Math.round(f.total)),
  }));
}

const SUMMARY_COLUMNS = [
  "id",
  "rollupId",
  "teamId",
  "serviceId",
  "level",
  "windowStart",
  "name",
  "file",
  "self",
  "total",
];

/**
 * Inserts a rollup's summary rows with one multi-row INSERT: Prisma's createMany of ~100 rows cost several times
 * more CPU than everything else the compactor does per window (its query compiler and per-argument mapping).
 */
async function insertSummaryRows(
  db: Database,
  tx: Pick<Database["prisma"], "$executeRawUnsafe">,
  rollupId: string,
  rows: ReturnType<typeof summaryRows>,
): Promise<void> {
  if (rows.length === 0) return;
  const schema = db.kind === "postgres" ? resolveDatabase(db.url).schema : undefined;
  const table = schema ? `"${schema.replaceAll('"', '""')}"."RollupFunction"` : `"RollupFunction"`;
  const params: unknown[] = [];
  const tuples = rows.map((f, i) => {
    params.push(
      `${rollupId}.${i}`,
      rollupId,
      f.teamId,
      f.serviceId,
      f.level,
      f.windowStart,
      f.name,
      f.file,
      f.self,
      f.total,
    );
    const at = params.length - SUMMARY_COLUMNS.length;
    return `(${SUMMARY_COLUMNS.map((_, j) => (db.kind === "postgres" ? `$${at + j + 1}` : "?")).join(", ")})`;
  });
  await tx.$executeRawUnsafe(
    `INSERT INTO ${table} (${SUMMARY_COLUMNS.map((c) => `"${c}"`).join(", ")}) VALUES ${tuples.join(", ")}`,
    ...params,
  );
}

/**
 * Writes the function summary of rollups that have none (written before summaries existed), coarsest first, from
 * their blobs. The conditional update makes a concurrent second summariser a no-op.
 */
async function backfillSummaries(
  db: Database,
  max: number,
  renew: () => Promise<boolean>,
  result: CompactResult,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (max <= 0) return;
  const todo = await db.prisma.rollup.findMany({
    where: { summarised: false },
    select: { id: true, teamId: true, serviceId: true, level: true, windowStart: true, blobKey: true },
    orderBy: [{ level: "desc" }, { windowStart: "asc" }, { id: "asc" }],
    take: max,
  });
  for (const r of todo) {
    if (signal?.aborted || !(await renew())) return;
    try {
      const summary = summariseRollup(decodeRollup(await db.blobs.get(r.blobKey)), FUNCTION_SUMMARY_TOP);
      const done = await db.prisma.$transaction(async (tx) => {
        const { count } = await tx.rollup.updateMany({
          where: { id: r.id, summarised: false },
          data: summaryColumns(summary),
        });
        if (count !== 1) return false;
        await insertSummaryRows(db, tx, r.id, summaryRows(summary, r));
        return true;
      });
      if (done) result.backfilled++;
    } catch (err) {
      result.errors.push(
        `summary of the ${r.level}s rollup ${r.id} at ${r.windowStart.toISOString()}: ${(err as Error).message}`,
      );
    }
  }
}

/**
 * Merges the window's profiles one after another (the next body is read while one is merged), so memory holds
 * one decoded profile at a time, not the whole window; an abort stops between profiles (nothing is committed).
 */
async function mergeProfiles(
  db: Database,
  items: readonly { id: string; labels: unknown; blobKey: string; blobEncoding: string; format: string }[],
  signal: AbortSignal | undefined,
): Promise<ColumnMerger> {
  let merger: ColumnMerger | undefined;
  let next = loadProfile(db, items[0]!);
  for (let i = 0; i < items.length; i++) {
    const p = await next;
    if (i + 1 < items.length) next = loadProfile(db, items[i + 1]!);
    if (signal?.aborted) {
      await next.catch(() => {});
      throw new Error("stopped");
    }
    merger ??= new ColumnMerger(p.sampleTypes);
    merger.addProfile(p, withProfileLabels(asLabels(items[i]!.labels)));
  }
  return merger!;
}

/** Writes the rollup blob, then the row, its function summary and the assignment of its members in one transaction. */
async function commitRollup(
  db: Database,
  g: Group<unknown>,
  level: number,
  merger: ColumnMerger,
  members: { profileIds?: string[]; childIds?: string[] },
  counts: { profileCount: number; minStart: Date; maxEnd: Date },
): Promise<void> {
  const data = merger.build();
  const summary = summariseRollup(data, FUNCTION_SUMMARY_TOP);
  // The 1-hour and 1-day rollups are what long queries read by the dozen: stored uncompressed (see encodeRollup).
  const bytes = encodeRollup(data, { gzip: level < 3600 });
  const blob = await db.blobs.put(bytes);
  const windowStart = new Date(g.start);
  try {
    await db.prisma.$transaction(async (tx) => {
      const r = await tx.rollup.create({
        data: {
          teamId: g.teamId,
          serviceId: g.serviceId,
          sampleTypes: g.sampleTypes,
          level,
          windowStart,
          windowEnd: new Date(g.start + level * 1000),
          profileCount: counts.profileCount,
          minStart: counts.minStart,
          maxEnd: counts.maxEnd,
          blobKey: blob.key,
          blobSize: blob.size,
          ...summaryColumns(summary),
        },
        select: { id: true },
      });
      await insertSummaryRows(db, tx, r.id, summaryRows(summary, { ...g, level, windowStart }));
      if (members.profileIds) {
        const { count } = await tx.profile.updateMany({
          where: { id: { in: members.profileIds }, rollupId: null },
          data: { rollupId: r.id },
        });
        if (count !== members.profileIds.length) throw new Conflict("profiles were assigned meanwhile");
      }
      if (members.childIds) {
        const { count } = await tx.rollup.updateMany({
          where: { id: { in: members.childIds }, parentId: null },
          data: { parentId: r.id },
        });
        if (count !== members.childIds.length) throw new Conflict("rollups were assigned meanwhile");
      }
    });
  } catch (err) {
    if (blob.created) await releaseBlob(db, blob.key, bytes).catch(() => {});
    throw err;
  }
}

/** One compaction pass over every team and service. Returns what it did; never runs twice at once. */
export async function compact(db: Database, opts: CompactOptions = {}): Promise<CompactResult> {
  const now = opts.now ?? new Date();
  const grace = opts.graceMs ?? 15_000;
  const holder = opts.holder ?? PROCESS_HOLDER;
  const result: CompactResult = { ran: false, rollups: {}, profiles: 0, backfilled: 0, errors: [] };
  const leaseMs = opts.leaseMs ?? 300_000;
  if (!(await takeLease(db, holder, now, leaseMs))) return result;
  result.ran = true;
  const closed = now.getTime() - grace;
  // Renewed between windows, but at most every leaseMs/20: a write per window cost as much as a small window.
  let renewedAt = Number.NEGATIVE_INFINITY;
  const renew = async (): Promise<boolean> => {
    if (Date.now() - renewedAt < leaseMs / 20) return true;
    renewedAt = Date.now();
    return renewLease(db, holder, leaseMs);
  };
  try {
    // Level 1: profiles → 1-minute rollups, per closed minute.
    const base = ROLLUP_LEVELS[0];
    const rows = await db.prisma.profile.findMany({
      where: { rollupId: null, startTime: { lt: new Date(windowStart(new Date(closed), base)) } },
      select: {
        id: true,
        teamId: true,
        serviceId: true,
        sampleTypes: true,
        startTime: true,
        endTime: true,
        labels: true,
        blobKey: true,
        blobEncoding: true,
        format: true,
      },
      orderBy: [{ startTime: "asc" }, { id: "asc" }],
      take: opts.maxProfiles ?? 2000,
    });
    for (const g of groupBy(rows, (r) => windowStart(r.startTime, base))) {
      if (opts.signal?.aborted) return result;
      if (!(await renew())) return result; // taken over: stop, the other one continues
      try {
        const merger = await mergeProfiles(db, g.items, opts.signal);
        await commitRollup(
          db,
          g,
          base,
          merger,
          { profileIds: g.items.map((r) => r.id) },
          {
            profileCount: g.items.length,
            minStart: new Date(Math.min(...g.items.map((r) => r.startTime.getTime()))),
            maxEnd: new Date(Math.max(...g.items.map((r) => r.endTime.getTime()))),
          },
        );
        result.rollups[base] = (result.rollups[base] ?? 0) + 1;
        result.profiles += g.items.length;
      } catch (err) {
        result.errors.push(`${base}s window at ${new Date(g.start).toISOString()}: ${(err as Error).message}`);
      }
    }
    // Higher levels: whole rollups of the level below → one rollup per closed window.
    for (let li = 1; li < ROLLUP_LEVELS.length; li++) {
      const level = ROLLUP_LEVELS[li]!;
      const below = ROLLUP_LEVELS[li - 1]!;
      const children = await db.prisma.rollup.findMany({
        where: { level: below, parentId: null, windowStart: { lt: new Date(windowStart(new Date(closed), level)) } },
        orderBy: [{ windowStart: "asc" }, { createdAt: "asc" }, { id: "asc" }],
        take: 5000,
      });
      for (const g of groupBy(children, (r) => windowStart(r.windowStart, level))) {
        if (opts.signal?.aborted) return result;
        if (!(await renew())) return result;
        try {
          const parts = await Promise.all(g.items.map(async (r) => decodeRollup(await db.blobs.get(r.blobKey))));
          const merger = new ColumnMerger(parts[0]!.header.sampleTypes);
          for (const d of parts) merger.addRollup(d);
          await commitRollup(
            db,
            g,
            level,
            merger,
            { childIds: g.items.map((r) => r.id) },
            {
              profileCount: g.items.reduce((n, r) => n + r.profileCount, 0),
              minStart: new Date(Math.min(...g.items.map((r) => r.minStart.getTime()))),
              maxEnd: new Date(Math.max(...g.items.map((r) => r.maxEnd.getTime()))),
            },
          );
          result.rollups[level] = (result.rollups[level] ?? 0) + 1;
        } catch (err) {
          result.errors.push(`${level}s window at ${new Date(g.start).toISOString()}: ${(err as Error).message}`);
        }
      }
    }
    await backfillSummaries(db, opts.maxBackfill ?? 200, renew, result, opts.signal);
  } finally {
    await dropLease(db, holder).catch(() => {});
  }
  return result;
}

export interface CompactorHandle {
  /** Stops the timer, and a pass in progress after its current window; resolves when it has stopped. */
  stop(): Promise<void>;
  /** Runs a pass now (or waits for the running one) and returns its result. */
  runNow(): Promise<CompactResult>;
}

/**
 * Runs compact() every `intervalMs` (default 10 s) in the background of an ingest process; the timer does not
 * keep the process alive. Errors go to `onError` (default: console.error) and the next pass runs anyway.
 */
export function startCompactor(
  db: Database,
  opts: { intervalMs?: number; onError?: (err: unknown) => void; onPass?: (r: CompactResult) => void } & Omit<
    CompactOptions,
    "now"
  > = {},
): CompactorHandle {
  const interval = opts.intervalMs ?? 10_000;
  let stopped = false;
  let running: Promise<CompactResult> | null = null;
  let timer: NodeJS.Timeout | undefined;
  const abort = new AbortController();
  const onError = opts.onError ?? ((err: unknown) => console.error(`compactor: ${(err as Error).message ?? err}`));
  const pass = (): Promise<CompactResult> => {
    if (!running) {
      running = compact(db, { ...opts, signal: abort.signal })
        .then((r) => {
          for (const e of r.errors) onError(new Error(e));
          opts.onPass?.(r);
          return r;
        })
        .finally(() => {
          running = null;
        });
    }
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      pass().catch(onError).finally(schedule);
    }, interval);
    timer.unref();
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      abort.abort(); // a pass over a large backlog stops after its current window, not at its end
      await running?.catch(() => {});
    },
    runNow: pass,
  };
}

/**
 * Deletes blobs that no profile or rollup references and that were last written before `olderThan` (give
 * uploads in flight time to commit their row: an hour is plenty). Returns how many were checked and deleted.
 */
export async function sweepOrphanBlobs(db: Database, olderThan: Date): Promise<{ checked: number; deleted: number }> {
  let checked = 0;
  let deleted = 0;
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const used = new Set<string>();
    for (const r of await db.prisma.profile.findMany({ where: { blobKey: { in: batch } }, select: { blobKey: true } }))
      used.add(r.blobKey);
    for (const r of await db.prisma.rollup.findMany({ where: { blobKey: { in: batch } }, select: { blobKey: true } }))
      used.add(r.blobKey);
    for (const key of batch) {
      if (used.has(key)) continue;
      // Keep the bytes until the delete is known to be right: an upload of the same content may commit its
      // row between our check and our delete (releaseBlob puts them back then).
      const bytes = await db.blobs.get(key).catch(() => null);
      if (!bytes) continue;
      await releaseBlob(db, key, bytes);
      if (!(await db.blobs.has(key))) deleted++;
    }
    batch = [];
  };
  for await (const b of db.blobs.list()) {
    if (b.modifiedAt.getTime() >= olderThan.getTime()) continue;
    checked++;
    batch.push(b.key);
    if (batch.length >= 500) await flush();
  }
  await flush();
  return { checked, deleted };
}
