/**
 * The compactor: merges closed time windows of each service into rollups (1 minute from profiles, 10 minutes
 * from 1-minute rollups, 1 hour from 10-minute rollups), so renderMerged reads a few rollups instead of
 * parsing every profile. Any number of ingest replicas keep writing profiles; the compactor is the only
 * writer of rollups. It runs under a lease (one compactor at a time, a crashed one's lease expires), and
 * every rollup is committed with a conditional update (profiles / children still unassigned), so even two
 * compactors at once could not put one profile into two rollups of a level. See docs/platform-store.md.
 */

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Database } from "./database.js";
import { asLabels, isUniqueViolation, loadProfile, releaseBlob } from "./profiles.js";
import { ColumnMerger, decodeRollup, encodeRollup, withProfileLabels } from "./rollup.js";

/** Rollup window lengths in seconds, smallest first; each level is built from whole rollups of the one below. */
export const ROLLUP_LEVELS = [60, 600, 3600] as const;

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

/** Writes the rollup blob, then the row and the assignment of its members in one transaction. */
async function commitRollup(
  db: Database,
  g: Group<unknown>,
  level: number,
  merger: ColumnMerger,
  members: { profileIds?: string[]; childIds?: string[] },
  counts: { profileCount: number; minStart: Date; maxEnd: Date },
): Promise<void> {
  // The 1-hour rollups are what a day query reads, ~24 at a time: stored uncompressed (see encodeRollup).
  const bytes = encodeRollup(merger.build(), { gzip: level < 3600 });
  const blob = await db.blobs.put(bytes);
  try {
    await db.prisma.$transaction(async (tx) => {
      const r = await tx.rollup.create({
        data: {
          teamId: g.teamId,
          serviceId: g.serviceId,
          sampleTypes: g.sampleTypes,
          level,
          windowStart: new Date(g.start),
          windowEnd: new Date(g.start + level * 1000),
          profileCount: counts.profileCount,
          minStart: counts.minStart,
          maxEnd: counts.maxEnd,
          blobKey: blob.key,
          blobSize: blob.size,
        },
        select: { id: true },
      });
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
  const result: CompactResult = { ran: false, rollups: {}, profiles: 0, errors: [] };
  const leaseMs = opts.leaseMs ?? 300_000;
  if (!(await takeLease(db, holder, now, leaseMs))) return result;
  result.ran = true;
  const closed = now.getTime() - grace;
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
      if (!(await renewLease(db, holder, leaseMs))) return result; // taken over: stop, the other one continues
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
        if (!(await renewLease(db, holder, leaseMs))) return result;
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
