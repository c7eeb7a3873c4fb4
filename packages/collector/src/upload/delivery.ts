/**
 * Delivers the spool to the ingest in order: the oldest profile first, the next only once it is acknowledged. An
 * unreachable ingest, a 5xx or a 429 keeps the profile spooled and waits (exponential backoff with jitter, at least
 * what Retry-After asks); another 4xx moves it to rejected/ with the reason logged; a refused token (401/403) also
 * stops all uploads until the agent is restarted with a valid one, so a revoked token is not hammered forever.
 */
import { backoffMs, type UploadOutcome, type UploadTarget, uploadOnce } from "./client.js";
import type { Spool, SpoolEntry } from "./spool.js";

export interface DeliveryOptions {
  log: (message: string) => void;
  /** Called for each acknowledged profile. */
  onDelivered?: (entry: SpoolEntry, outcome: Extract<UploadOutcome, { kind: "ok" }>) => void;
  /** Backoff base and cap (ms); defaults 1 s and 60 s. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  timeoutMs?: number;
  random?: () => number;
}

export class Delivery {
  private wake: (() => void) | null = null;
  private stopping = false;
  private deadline = Number.POSITIVE_INFINITY;
  private attempt = 0;
  private failingSince: number | undefined;
  private loop: Promise<void> | undefined;
  /** Set when the ingest refused the token: nothing more is uploaded by this process. */
  authRefused: string | undefined;
  delivered = 0;
  rejected = 0;

  constructor(
    private readonly spool: Spool,
    private readonly target: UploadTarget,
    private readonly opts: DeliveryOptions,
  ) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** A new profile is in the spool. */
  kick(): void {
    if (this.attempt === 0) this.wakeUp();
  }

  /**
   * Delivers what the spool holds for at most `withinMs` (stopping at the first failure), then stops. What is left
   * stays spooled for the next start.
   */
  async stop(withinMs: number): Promise<void> {
    this.stopping = true;
    this.deadline = Date.now() + withinMs;
    this.wakeUp();
    await this.loop;
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    while (true) {
      const name = this.spool.oldest();
      if (this.stopping && (name === undefined || Date.now() >= this.deadline || this.authRefused)) return;
      if (name === undefined || this.authRefused) {
        await this.sleep(2 ** 31 - 1);
        continue;
      }
      const entry = this.spool.read(name);
      if (!entry) continue;
      const remaining = this.deadline - Date.now();
      const outcome = await uploadOnce(
        this.target,
        {
          service: entry.meta.service,
          labels: entry.meta.labels,
          ...(entry.meta.from !== undefined ? { from: entry.meta.from } : {}),
          ...(entry.meta.until !== undefined ? { until: entry.meta.until } : {}),
          body: entry.body,
          contentType: entry.meta.contentType,
          idempotencyKey: entry.meta.key,
        },
        { timeoutMs: Math.max(1000, Math.min(this.opts.timeoutMs ?? 30_000, remaining)) },
      );
      if (outcome.kind === "ok") {
        this.spool.remove(name);
        this.delivered++;
        if (this.failingSince !== undefined) {
          this.opts.log(
            `ingest ${this.target.url} answers again after ${Math.round((Date.now() - this.failingSince) / 1000)} s; delivering ${this.spool.count + 1} spooled profile(s) in order`,
          );
          this.failingSince = undefined;
        }
        this.attempt = 0;
        this.opts.onDelivered?.(entry, outcome);
        continue;
      }
      if (outcome.kind === "reject") {
        this.spool.reject(name, outcome.reason);
        this.rejected++;
        this.attempt = 0;
        if (outcome.auth) {
          this.authRefused = outcome.reason;
          this.opts.log(
            `upload refused: ${outcome.reason}: the token is missing, revoked or not an ingest token; uploads stopped (no retries). ` +
              `Profile ${entry.meta.service} ${name} moved to ${this.spool.rejectedDir}; new profiles keep going to ${this.spool.dir} (bounded). ` +
              "Restart the agent with a valid ingest token (--token or PERFORATOR_TOKEN) to deliver them.",
          );
        } else {
          this.opts.log(
            `upload of ${entry.meta.service} profile refused: ${outcome.reason}; not retried, moved to ${this.spool.rejectedDir}/${name}`,
          );
        }
        continue;
      }
      // retry
      if (this.stopping) return;
      this.failingSince ??= Date.now();
      const wait = Math.max(
        outcome.retryAfterMs ?? 0,
        backoffMs(this.attempt, {
          ...(this.opts.backoffBaseMs !== undefined ? { baseMs: this.opts.backoffBaseMs } : {}),
          ...(this.opts.backoffCapMs !== undefined ? { capMs: this.opts.backoffCapMs } : {}),
          ...(this.opts.random ? { random: this.opts.random } : {}),
        }),
      );
      this.attempt++;
      this.opts.log(
        `upload failed (${outcome.reason}); ${this.spool.count} profile(s) spooled in ${this.spool.dir}, next attempt in ${(wait / 1000).toFixed(1)} s`,
      );
      await this.sleep(wait);
    }
  }
}

/**
 * One profile, a few attempts (for `record --upload` and `perforator upload`): retries an unreachable ingest, 5xx and
 * 429 `attempts` times in all with backoff (honouring Retry-After up to `maxWaitMs`), then gives up.
 */
export async function uploadWithRetries(
  target: UploadTarget,
  req: Parameters<typeof uploadOnce>[1],
  opts: { attempts?: number; maxWaitMs?: number; log?: (m: string) => void; timeoutMs?: number } = {},
): Promise<UploadOutcome> {
  const attempts = opts.attempts ?? 3;
  let outcome: UploadOutcome = { kind: "retry", reason: "not attempted" };
  for (let i = 0; i < attempts; i++) {
    outcome = await uploadOnce(target, req, opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {});
    if (outcome.kind !== "retry" || i === attempts - 1) return outcome;
    const wait = Math.min(opts.maxWaitMs ?? 10_000, Math.max(outcome.retryAfterMs ?? 0, backoffMs(i)));
    opts.log?.(`upload failed (${outcome.reason}); trying again in ${(wait / 1000).toFixed(1)} s`);
    await new Promise((r) => setTimeout(r, wait));
  }
  return outcome;
}
