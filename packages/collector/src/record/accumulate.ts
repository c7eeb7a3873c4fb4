/**
 * Turning the sampler's raw stacks into one profile: each new stack resolved once (sample-cache.ts), counts added up
 * across flushes, a stack whose process cannot be read any more kept with its raw addresses.
 */
import { type Frame, type Profile, ProfileBuilder, WELL_KNOWN_LABELS } from "@perforator/profile";
import type { PythonFound } from "../python/detect.js";
import type { RawStack } from "../sampler/types.js";
import type { SamplerFlush, SessionResolver } from "./deps.js";
import { rawStackKey, SampleCache } from "./sample-cache.js";

/** What the accumulated stacks say about the recording (RecordStats has these fields). */
export interface StackTally {
  samples: number;
  /** Stacks that could not be symbolized at all (process gone before its first flush). */
  unresolved: number;
  /** pid → process name, for every process sampled. */
  processes: Map<number, string>;
  /** "pid/tid" of every thread sampled. */
  threads: Set<string>;
}

const hex = (a: bigint) => `0x${a.toString(16)}`;

/** When the resolver cannot read a process any more (it exited), keep the sample with raw addresses. */
function fallbackFrames(raw: RawStack): Frame[] {
  const frames: Frame[] = [];
  for (let i = raw.user.length - 1; i >= 0; i--) {
    frames.push({ name: hex(raw.user[i]!), file: "", line: 0, kind: "native", module: "" });
  }
  for (let i = raw.kernel.length - 1; i >= 0; i--) {
    frames.push({ name: hex(raw.kernel[i]!), file: "", line: 0, kind: "kernel", module: "[kernel]" });
  }
  if (frames.length === 0)
    frames.push({ name: raw.processName || "[unknown]", file: "", line: 0, kind: "other", module: "" });
  return frames;
}

export class ProfileAccumulator<P extends PythonFound> {
  private builder: ProfileBuilder;
  /** Start of what the builder holds (ms since the epoch): the recording's start, or the last hand-over. */
  intervalStart: number;
  private readonly cache: SampleCache;
  private readonly periodNs: number;
  private readonly valuesOf = (count: number) => [count, count * this.periodNs];
  private readonly resolveOrFallback = (raw: RawStack): Frame[] => {
    const frames = this.resolver.resolve(raw);
    return frames.length > 0 ? frames : fallbackFrames(raw);
  };

  /** Samples `samples/count` and `cpu/nanoseconds` (count × 1e9 / freqHz) from `startedAt` (ms since the epoch). */
  constructor(
    private readonly resolver: SessionResolver<P>,
    freqHz: number,
    startedAt: number,
    readonly tally: StackTally,
  ) {
    this.periodNs = 1e9 / freqHz;
    this.intervalStart = startedAt;
    this.builder = this.newBuilder(startedAt);
    this.cache = new SampleCache(this.builder, resolver, this.valuesOf);
  }

  private newBuilder(atMs: number): ProfileBuilder {
    return new ProfileBuilder(
      [
        { type: "samples", unit: "count" },
        { type: "cpu", unit: "nanoseconds" },
      ],
      {
        defaultSampleType: 1,
        period: this.periodNs,
        periodType: { type: "cpu", unit: "nanoseconds" },
        timeNanos: atMs * 1e6,
      },
    );
  }

  /**
   * Continuous recording: the profile of what was counted since the last hand-over (or the start), up to `atMs`; the
   * counting goes on into a new profile. Stacks seen in this interval stay resolved (SampleCache.rotate).
   */
  handOver(atMs: number, meta: Record<string, string>): Profile {
    const next = this.newBuilder(atMs);
    this.cache.rotate(next);
    const built = this.builder.build();
    this.builder = next;
    const profile = { ...built, durationNanos: (atMs - this.intervalStart) * 1e6, meta: { ...built.meta, ...meta } };
    this.intervalStart = atMs;
    return profile;
  }

  /** The sampler walks `pid`'s Python now: the resolver decodes its frames, and stacks resolved without them go. */
  addPython(pid: number, python: P): void {
    this.resolver.addPython?.(pid, python);
    this.cache.invalidate(pid);
  }

  /** Counts the stacks of one flush. */
  add(flush: Pick<SamplerFlush, "stacks" | "keys">): void {
    const { stacks, keys } = flush;
    const tally = this.tally;
    for (let i = 0; i < stacks.length; i++) {
      const raw = stacks[i]!;
      tally.samples += raw.count;
      try {
        if (!this.cache.add(raw, keys?.[i] ?? rawStackKey(raw), this.resolveOrFallback)) continue;
      } catch {
        // The process could not be read (it exited before its first flush): keep the samples as raw
        // addresses, uncached, so a later flush can still count them as unresolved.
        tally.unresolved += raw.count;
        this.builder.addFrames(fallbackFrames(raw), this.valuesOf(raw.count), {
          [WELL_KNOWN_LABELS.pid]: String(raw.pid),
          [WELL_KNOWN_LABELS.tid]: String(raw.tid),
          [WELL_KNOWN_LABELS.threadName]: raw.threadName,
          [WELL_KNOWN_LABELS.processName]: raw.processName,
        });
      }
      if (!tally.processes.has(raw.pid)) tally.processes.set(raw.pid, raw.processName);
      tally.threads.add(`${raw.pid}/${raw.tid}`);
    }
    this.cache.endFlush();
  }

  /** The profile of everything counted, with `durationNanos` and `meta` added to what the builder records. */
  build(durationNanos: number, meta: Record<string, string>): Profile {
    this.cache.finish();
    const built = this.builder.build();
    return { ...built, durationNanos, meta: { ...built.meta, ...meta } };
  }
}
