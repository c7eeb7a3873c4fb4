/**
 * `perforator agent`: one continuous recording (the same session as `perforator record`, with target discovery and a
 * hand-over every interval), one profile per target process per interval into the spool, and the spool delivered to the
 * ingest in order (src/upload). SIGINT/SIGTERM: the current interval is handed over, what the spool holds is
 * delivered for a few seconds, and the agent exits; anything left is delivered by the next start.
 */
import { hostname } from "node:os";
import { groupByLabel, type Profile, WELL_KNOWN_LABELS } from "@perforator/profile";
import { CliError, EXIT } from "../errors.js";
import { encodePprof } from "../output/index.js";
import type { SessionDeps } from "../record/deps.js";
import { record } from "../record/session.js";
import type { UploadTarget } from "../upload/client.js";
import { PPROF_CONTENT_TYPE } from "../upload/commands.js";
import { Delivery } from "../upload/delivery.js";
import { profileWindow, serviceFromName } from "../upload/options.js";
import { Spool } from "../upload/spool.js";
import { TargetFinder, type TargetSpec } from "./targets.js";

export interface AgentOptions {
  target: UploadTarget;
  targets: TargetSpec;
  wholeSystem: boolean;
  /** One service name for every target; default: each process's name. */
  service?: string;
  labels: Record<string, string>;
  intervalMs: number;
  freqHz: number;
  /** Record one interval, deliver, exit. */
  once: boolean;
  spoolDir: string;
  spoolMaxBytes: number;
  signal: AbortSignal;
  log: (message: string) => void;
  /** Links of delivered profiles with --once. */
  stdout: NodeJS.WritableStream;
  collectorVersion: string;
  /** How often /proc is scanned for new targets (default 2 s). */
  discoveryEveryMs?: number;
  /** How long to go on delivering after a stop (default 5 s; 30 s with --once). */
  flushWithinMs?: number;
  backoffCapMs?: number;
}

export async function runAgent(
  opts: AgentOptions,
  getDeps: SessionDeps | (() => Promise<SessionDeps>),
): Promise<number> {
  const { log } = opts;
  let spool: Spool;
  try {
    spool = new Spool(opts.spoolDir, { maxBytes: opts.spoolMaxBytes, log });
  } catch (err) {
    throw new CliError((err as Error).message, EXIT.failure);
  }
  if (spool.count > 0) {
    log(`${spool.count} profile(s) from an earlier run are in ${spool.dir}: delivering them first, in order`);
  }
  const delivery = new Delivery(spool, opts.target, {
    log,
    // Waiting longer than an interval (or a minute) between attempts would only delay the next profiles.
    backoffCapMs: opts.backoffCapMs ?? Math.min(60_000, Math.max(5000, opts.intervalMs)),
    onDelivered: (e, o) => {
      log(`delivered ${e.meta.service} ${new Date(e.meta.createdAt).toISOString()}: ${o.url || o.id}`);
      if (opts.once) opts.stdout.write(`${o.url || o.id}\n`);
    },
  });
  delivery.start();

  let finder: TargetFinder | undefined;
  if (!opts.wholeSystem) {
    try {
      finder = new TargetFinder(opts.targets, { log, exclude: () => [process.pid] });
    } catch (err) {
      await delivery.stop(0);
      throw new CliError((err as Error).message, EXIT.noTarget);
    }
  }
  const host = hostname();
  let intervals = 0;
  const handOver = (profile: Profile) => {
    intervals++;
    const window = profileWindow(profile);
    const parts: string[] = [];
    // One profile per process (its pid and name stay exact, queryable labels); the read side merges by service.
    for (const [pid, p] of groupByLabel(profile, WELL_KNOWN_LABELS.pid)) {
      if (!pid) continue;
      const name = p.samples[0]?.labels[WELL_KNOWN_LABELS.processName] ?? "";
      const service = opts.service ?? serviceFromName(name);
      try {
        spool.add(
          {
            service,
            labels: { ...opts.labels, host, service, pid, process_name: name },
            ...window,
            contentType: PPROF_CONTENT_TYPE,
          },
          encodePprof(p),
        );
      } catch (err) {
        log(
          `could not write the ${service} profile of pid ${pid} to ${spool.dir}: ${(err as Error).message}; it is lost`,
        );
        continue;
      }
      parts.push(`${service} (pid ${pid}, ${p.samples.reduce((a, s) => a + (s.values[0] ?? 0), 0)} samples)`);
    }
    const secs = Math.round(profile.durationNanos / 1e9);
    log(
      parts.length > 0
        ? `interval ${intervals} (${secs} s): spooled ${parts.length} profile(s): ${parts.slice(0, 10).join(", ")}${parts.length > 10 ? `, and ${parts.length - 10} more` : ""}; ${spool.count} waiting for delivery`
        : `interval ${intervals} (${secs} s): no samples from any target`,
    );
    delivery.kick();
  };

  const warn = (m: string) => log(`warning: ${m}`);
  let stoppedBySignal = false;
  opts.signal.addEventListener("abort", () => {
    stoppedBySignal = true;
  });
  const what = opts.wholeSystem
    ? "every process"
    : [
        opts.targets.pids.length > 0 ? `pid ${opts.targets.pids.join(",")}` : "",
        opts.targets.processRegex ? `processes matching /${opts.targets.processRegex.source}/` : "",
        opts.targets.python ? "every CPython process" : "",
      ]
        .filter(Boolean)
        .join(", ");
  log(
    `profiling ${what} at ${opts.freqHz} Hz, one profile per process every ${opts.intervalMs / 1000} s, uploading to ${opts.target.url} (spool ${spool.dir})`,
  );
  try {
    const result = await record(
      {
        pids: [],
        wholeSystem: opts.wholeSystem,
        freqHz: opts.freqHz,
        signal: opts.signal,
        collectorVersion: opts.collectorVersion,
        warn,
        ...(opts.once
          ? { durationMs: opts.intervalMs }
          : { intervals: { everyMs: opts.intervalMs, onProfile: handOver } }),
        ...(finder ? { discover: { everyMs: opts.discoveryEveryMs ?? 2000, find: () => finder.find() } } : {}),
      },
      getDeps,
    );
    if (opts.once) handOver(result.profile);
  } catch (err) {
    await delivery.stop(0);
    throw err;
  }
  const within = opts.flushWithinMs ?? (opts.once ? 30_000 : 5000);
  await delivery.stop(within);
  const left = spool.count;
  if (left > 0) log(`${left} profile(s) not delivered yet: kept in ${spool.dir} for the next start`);
  if (delivery.authRefused) return EXIT.failure;
  if (!opts.once && !stoppedBySignal) {
    log(
      "the recording stopped unexpectedly (see the warning above); exiting so the service manager restarts the agent",
    );
    return EXIT.failure;
  }
  return opts.once && left > 0 ? EXIT.failure : EXIT.ok;
}
