/**
 * What `perforator agent` adds to a recording (RecordOptions.intervals / .discover): targets found while it runs, and
 * one profile handed over per interval while the recording goes on. The flush loop asks when to wake up for them.
 */
import type { Profile } from "@perforator/profile";
import { processAlive } from "../proc/index.js";
import type { PythonFound } from "../python/detect.js";
import type { ProfileAccumulator } from "./accumulate.js";
import type { SamplerHandle, SessionResolver } from "./deps.js";
import type { PythonTargets } from "./python-targets.js";
import type { RecordOptions, RecordStats } from "./session.js";

export class Continuous<P extends PythonFound> {
  private readonly targets: Set<number>;
  private nextDiscovery: number;
  private nextHandOver: number;

  constructor(
    private readonly opts: Pick<RecordOptions, "intervals" | "discover" | "pids">,
    private readonly l: {
      sampler: SamplerHandle;
      python: PythonTargets<P>;
      accumulator: ProfileAccumulator<P>;
      resolver: SessionResolver<P>;
      stats: RecordStats;
      startedAt: number;
      meta: () => Record<string, string>;
    },
  ) {
    this.targets = new Set(opts.pids);
    this.nextDiscovery = opts.discover ? 0 : Number.POSITIVE_INFINITY;
    this.nextHandOver = opts.intervals ? l.startedAt + opts.intervals.everyMs : Number.POSITIVE_INFINITY;
  }

  /** When the flush loop has to wake up next (Infinity: never for these). */
  get wakeAt(): number {
    return Math.min(this.nextDiscovery, this.nextHandOver);
  }

  /** Runs discovery when due; returns whether an interval ends now (the caller flushes, then calls handOver). */
  async tick(): Promise<boolean> {
    const discover = this.opts.discover;
    if (discover && Date.now() >= this.nextDiscovery) {
      this.nextDiscovery = Date.now() + discover.everyMs;
      for (const pid of await discover.find()) {
        if (this.targets.has(pid) || !processAlive(pid)) continue;
        this.targets.add(pid);
        await this.l.python.detect(pid);
        await this.l.sampler.addPid(pid);
      }
    }
    return Date.now() >= this.nextHandOver;
  }

  /** Hands the interval that ends at `atMs` over, and drops what is kept of processes that are gone. */
  handOver(atMs: number): void {
    const intervals = this.opts.intervals;
    if (!intervals) return;
    const profile = this.l.accumulator.handOver(atMs, this.l.meta());
    this.nextHandOver = atMs + intervals.everyMs;
    this.l.stats.threads.clear();
    this.l.stats.processes.clear();
    for (const pid of this.l.python.forgetExited()) {
      this.targets.delete(pid);
      this.l.resolver.forget?.(pid);
    }
    intervals.onProfile(profile);
  }

  /** The last (shorter) interval, at the stop. */
  finish(profile: Profile): void {
    this.opts.intervals?.onProfile(profile);
  }
}
