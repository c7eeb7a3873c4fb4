/** The flush loop of a recording: when to pull stacks from the sampler, and what to do with each batch. */
import type { PythonFound } from "../python/detect.js";
import type { ProfileAccumulator } from "./accumulate.js";
import type { Continuous } from "./continuous.js";
import type { SamplerHandle } from "./deps.js";
import type { PythonTargets } from "./python-targets.js";
import type { RecordOptions, RecordStats } from "./session.js";
import { type StopControl, sleep, type TargetWatch } from "./stop.js";

/** Flush interval of a `--pid` recording after its first 10 s (see flushIntervalAt). */
export const STEADY_FLUSH_MS = 5000;

/**
 * How long to wait between flushes `elapsedMs` into a recording: 200 ms for the first 3 s (a short-lived target is
 * symbolized before it exits), 1 s until 10 s, then `steadyMs` (never more than `steadyMs`).
 */
export function flushIntervalAt(elapsedMs: number, steadyMs: number): number {
  if (elapsedMs < 3000) return Math.min(200, steadyMs);
  if (elapsedMs < 10_000) return Math.min(1000, steadyMs);
  return steadyMs;
}

/** Adds the sampler's counters of one flush to the recording's. */
function countLosses(stats: RecordStats, lost: number, drops: Record<string, number>): void {
  stats.lost += lost;
  for (const [k, v] of Object.entries(drops)) if (v > 0) stats.drops.set(k, (stats.drops.get(k) ?? 0) + v);
}

export interface FlushLoop<P extends PythonFound> {
  sampler: SamplerHandle;
  stop: StopControl;
  targets: TargetWatch;
  /** Whether exits of targets are reported by the sampler (else /proc is polled every second). */
  exitsReported: boolean;
  python: PythonTargets<P>;
  accumulator: ProfileAccumulator<P>;
  stats: RecordStats;
  startedAt: number;
  /** The flush interval once the recording runs (see flushIntervalAt). */
  steadyEvery: number;
  /** The agent's discovery and interval hand-overs (continuous.ts). */
  continuous?: Continuous<P> | undefined;
}

/** Pulls the stacks of one interval from the sampler and counts them (new processes of a whole-system run: Python first). */
async function flushOnce<P extends PythonFound>(l: FlushLoop<P>, wholeSystem: boolean): Promise<void> {
  const r = await l.sampler.flush();
  countLosses(l.stats, r.lost, r.drops);
  if (wholeSystem) for (const raw of r.stacks) if (!l.python.seen(raw.pid)) await l.python.detect(raw.pid);
  l.accumulator.add(r);
}

/**
 * Flushes until the recording is stopped, then once more. Stacks are symbolized while their process is alive, so a
 * short-lived target must be flushed soon: every 200 ms (at most the steady interval) during the first 3 s, every
 * second until 10 s, then every steadyEvery. While a launched command's interpreter is not found yet, it is looked
 * for every 20 ms so Python stacks start right away.
 * Progress and target liveness have a 1 s interval of their own, and only when needed: every wake-up costs this
 * process 0.5-1 ms of CPU however little it does, which at one a second was a fifth of a steady --pid recording's
 * CPU. With a sampler that reports exits (pidfds) and no progress line, the process wakes only to flush.
 */
export async function runFlushLoop<P extends PythonFound>(
  l: FlushLoop<P>,
  opts: Pick<RecordOptions, "onProgress" | "wholeSystem">,
): Promise<void> {
  const { stop, targets, exitsReported, python, stats, startedAt, continuous } = l;
  const progress = () =>
    opts.onProgress?.({ elapsedMs: Date.now() - startedAt, samples: stats.samples, lost: stats.lost });
  if (targets.watching && exitsReported) targets.check(); // exited before the watch started
  let ticker: NodeJS.Timeout | undefined;
  if (opts.onProgress || (targets.watching && !exitsReported)) {
    ticker = setInterval(() => {
      progress();
      if (targets.watching && !exitsReported) targets.check();
    }, 1000);
  }
  try {
    await continuous?.tick();
    let lastFlush = Date.now();
    while (!stop.signal.aborted) {
      const pending = python.commandPending;
      const every = flushIntervalAt(Date.now() - startedAt, l.steadyEvery);
      const wait = Math.max(
        0,
        Math.min(lastFlush + every, continuous?.wakeAt ?? Number.POSITIVE_INFINITY) - Date.now(),
      );
      await sleep(pending ? Math.min(20, wait) : wait, stop.signal);
      if (pending) await python.detect(python.commandPid!);
      if (stop.signal.aborted) break;
      if (continuous && (await continuous.tick())) {
        lastFlush = Date.now();
        await flushOnce(l, opts.wholeSystem);
        continuous.handOver(lastFlush);
        continue;
      }
      if (Date.now() - lastFlush < every) continue;
      lastFlush = Date.now();
      await flushOnce(l, opts.wholeSystem);
      if (targets.watching && exitsReported) targets.check(); // a safety net for exits the sampler could not watch
      // Sub-second flushes (the first seconds) report progress as they go.
      if (every < 1000) progress();
    }
    stop.stoppedAt ??= Date.now();
    await flushOnce(l, opts.wholeSystem);
  } finally {
    clearInterval(ticker);
  }
}
