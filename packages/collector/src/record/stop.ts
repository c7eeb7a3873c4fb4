/** When a recording stops, and why: the duration, a signal (Ctrl-C), the targets exiting, the command exiting. */
import { processAlive } from "../proc/index.js";

export type StopReason = "duration" | "signal" | "targets-exited" | "command-exited";

export class StopControl {
  /** Aborted once the recording was asked to stop (the last flush comes after it). */
  readonly signal: AbortSignal;
  /** Why it stopped; "signal" until something else says otherwise. */
  reason: StopReason = "signal";
  /** When it was asked to stop (Date.now()). */
  stoppedAt: number | undefined;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => this.stop("signal");

  constructor(private readonly opts: { signal?: AbortSignal | undefined; durationMs?: number | undefined }) {
    this.signal = this.controller.signal;
    opts.signal?.addEventListener("abort", this.onAbort, { once: true });
    if (opts.signal?.aborted) this.stop("signal");
    this.timer = opts.durationMs !== undefined ? setTimeout(() => this.stop("duration"), opts.durationMs) : undefined;
  }

  /** Stops the recording for `reason`, unless it was stopped already. */
  stop(reason: StopReason): void {
    if (this.signal.aborted) return;
    this.reason = reason;
    this.stoppedAt = Date.now();
    this.controller.abort();
  }

  /** No more stops: the duration timer and the caller's signal are let go. */
  dispose(): void {
    clearTimeout(this.timer);
    this.opts.signal?.removeEventListener("abort", this.onAbort);
  }
}

/**
 * The `--pid` targets of a recording that ends when all of them have exited: told of exits by the sampler (pidfds),
 * or polling /proc when the sampler cannot tell. Inactive for whole-system recordings and launched commands.
 */
export class TargetWatch {
  private readonly targets: Set<number>;

  constructor(
    pids: readonly number[],
    readonly active: boolean,
    private readonly stop: StopControl,
  ) {
    this.targets = new Set(pids);
  }

  /** Whether there is anything to watch. */
  get watching(): boolean {
    return this.active && this.targets.size > 0;
  }

  /** The sampler saw `pid` exit. */
  exited(pid: number): void {
    if (!this.active || !this.targets.has(pid) || processAlive(pid)) return;
    this.targets.delete(pid);
    if (this.targets.size === 0) this.stop.stop("targets-exited");
  }

  /** Looks at /proc for every target still running. */
  check(): void {
    for (const pid of this.targets) if (!processAlive(pid)) this.targets.delete(pid);
    if (this.targets.size === 0) this.stop.stop("targets-exited");
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
