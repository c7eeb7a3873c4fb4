/**
 * `perforator agent`: one continuous recording (the same session as `perforator record`, with target discovery and a
 * hand-over every interval), one profile per service per interval into the spool, and the spool delivered to the
 * ingest in order (src/upload). SIGINT/SIGTERM: the current interval is handed over, what the spool holds is
 * delivered for a few seconds, and the agent exits; anything left is delivered by the next start.
 */
import { hostname } from "node:os";
import { filterByLabel, type Profile, WELL_KNOWN_LABELS } from "@perforator/profile";
import { CliError, EXIT } from "../cli/args.js";
import type { SessionDeps } from "../record/deps.js";
import { encodePprof } from "../record/output.js";
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

interface ServiceGroup {
  pids: string[];
  names: Set<string>;
}

/** Which pids of an interval's profile belong to which service. */
function servicesOf(profile: Profile, fixed: string | undefined): Map<string, ServiceGroup> {
  const nameOf = new Map<string, string>();
  for (const s of profile.samples) {
    const pid = s.labels[WELL_KNOWN_LABELS.pid];
    if (pid !== undefined && !nameOf.has(pid)) nameOf.set(pid, s.labels[WELL_KNOWN_LABELS.processName] ?? "");
  }
  const out = new Map<string, ServiceGroup>();
  for (const [pid, name] of [...nameOf].sort((a, b) => Number(a[0]) - Number(b[0]))) {
    const service = fixed ?? serviceFromName(name);
    let g = out.get(service);
    if (!g) {
      g = { pids: [], names: new Set() };
      out.set(service, g);
    }
    g.pids.push(pid);
    if (name) g.names.add(name);
  }
  return out;
}

export async function runAgent(
  opts: AgentOptions,
  getDeps: SessionDeps | (() => Promise<SessionDeps>),
): Promise<number> {
  const { log } = opts;
  const spool = new Spool(opts.spoolDir, { maxBytes: opts.spoolMaxBytes, log });
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
    const groups = servicesOf(profile, opts.service);
    const parts: string[] = [];
    for (const [service, g] of groups) {
      const p = groups.size === 1 ? profile : filterByLabel(profile, WELL_KNOWN_LABELS.pid, g.pids);
      const body = encodePprof(p);
      try {
        spool.add(
          {
            service,
            labels: {
              ...opts.labels,
              host,
              service,
              pid: g.pids.join(","),
              process_name: [...g.names].join(","),
            },
            ...window,
            contentType: PPROF_CONTENT_TYPE,
          },
          body,
        );
      } catch (err) {
        log(`could not write the ${service} profile to ${spool.dir}: ${(err as Error).message}; it is lost`);
        continue;
      }
      parts.push(
        `${service} (pid ${g.pids.join(",")}, ${p.samples.reduce((a, s) => a + (s.values[0] ?? 0), 0)} samples)`,
      );
    }
    const secs = Math.round(profile.durationNanos / 1e9);
    log(
      parts.length > 0
        ? `interval ${intervals} (${secs} s): spooled ${parts.length} profile(s): ${parts.join(", ")}; ${spool.count} waiting for delivery`
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
    `profiling ${what} at ${opts.freqHz} Hz, one profile per service every ${opts.intervalMs / 1000} s, uploading to ${opts.target.url} (spool ${spool.dir})`,
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
