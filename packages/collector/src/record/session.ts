/**
 * One `perforator record` session, step by step: check the request, start the sampler, launch the command, find
 * Python in the targets, flush and symbolize every interval into one profile until something stops it, then stop the
 * sampler and build the profile with its metadata. Each step is a function or class below or in this folder.
 */
import { hostname } from "node:os";
import type { Profile } from "@perforator/profile";
import { CliError, EXIT } from "../errors.js";
import { processAlive, processComm } from "../proc/index.js";
import type { PythonFound } from "../python/detect.js";
import { ProfileAccumulator, type StackTally } from "./accumulate.js";
import { Continuous } from "./continuous.js";
import type { SamplerHandle, SessionDeps } from "./deps.js";
import { runFlushLoop, STEADY_FLUSH_MS } from "./flush-loop.js";
import { LaunchedCommand } from "./launch.js";
import { checkPrivileges, NEED_PRIVILEGES_MESSAGE } from "./privileges.js";
import { PythonTargets } from "./python-targets.js";
import { StopControl, type StopReason, TargetWatch } from "./stop.js";

export interface RecordOptions {
  pids: number[];
  wholeSystem: boolean;
  freqHz: number;
  /** Stop after this many milliseconds; undefined = until aborted / targets exit. */
  durationMs?: number;
  /** Launch this command and profile it until it exits. */
  command?: string[];
  /** Aborting stops the recording (SIGINT / SIGTERM); what was collected is still returned. */
  signal?: AbortSignal;
  /**
   * How often stacks are pulled from the sampler, resolved and accumulated once the recording runs (see
   * flushIntervalAt). Default: 5000 ms for --pid targets, 1000 ms for whole-system and launched commands.
   */
  flushIntervalMs?: number;
  /** Called every second (and after every flush while flushing more often than that). */
  onProgress?: (p: Progress) => void;
  /** Warnings and notices for the user (one line each). */
  warn?: (message: string) => void;
  /** Skip the privilege check (for tests with a user-space sampler). */
  skipPrivilegeCheck?: boolean;
  collectorVersion?: string;
  /**
   * Continuous recording (`perforator agent`): every `everyMs` the samples since the previous hand-over become a
   * profile passed to `onProfile` and the recording goes on; at the stop the last interval is handed over too.
   */
  intervals?: { everyMs: number; onProfile: (profile: Profile) => void };
  /**
   * Targets found while recording (`perforator agent`): `find` runs at the start and every `everyMs`; the pids it
   * returns that are not targets yet are added. Such a recording keeps running when its targets exit.
   */
  discover?: { everyMs: number; find: () => number[] | Promise<number[]> };
}

export interface Progress {
  elapsedMs: number;
  samples: number;
  lost: number;
}

export interface RecordStats extends StackTally {
  lost: number;
  /** Incomplete or dropped stacks by reason (sampler counters), summed over the recording. */
  drops: Map<string, number>;
  durationMs: number;
  freqHz: number;
  /** pid → Python version for every interpreter the sampler walks. */
  pythons: Map<number, string>;
  /** Unsupported versions seen (one warning each). */
  unsupportedPythons: Set<string>;
  stopReason: StopReason;
  /** Process id of the sampler process (bench: CPU accounting). */
  samplerPid?: number;
  child?: { pid: number; code: number | null; signal: NodeJS.Signals | null };
}

export interface RecordResult {
  profile: Profile;
  stats: RecordStats;
}

/** Refuses a recording that cannot start: no target, no privileges, a `--pid` that does not exist. */
function checkRequest(opts: RecordOptions, command: string[] | undefined): void {
  if (!opts.wholeSystem && opts.pids.length === 0 && !command && !opts.discover) {
    throw new CliError("no profiling target defined: pass --pid PID, --whole-system, or -- COMMAND", EXIT.usage);
  }
  if (!opts.skipPrivilegeCheck && !checkPrivileges().ok) throw new CliError(NEED_PRIVILEGES_MESSAGE, EXIT.failure);
  for (const pid of opts.pids) {
    if (!processAlive(pid)) {
      throw new CliError(
        `no process with PID ${pid}: check the id with 'ps -p ${pid}' or 'pgrep -a NAME'`,
        EXIT.noTarget,
      );
    }
  }
}

/**
 * Starts the sampler with no targets: they are added only after their Python is configured (a pid sampled before
 * its interpreter is known would yield bare `_PyEval_EvalFrameDefault` stacks for the first few hundred ms).
 */
async function startSampler(deps: Pick<SessionDeps, "startSampler">, opts: RecordOptions): Promise<SamplerHandle> {
  try {
    return await deps.startSampler({ freqHz: opts.freqHz, pids: [], wholeSystem: opts.wholeSystem });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === "ENEEDSPRIV") throw new CliError(NEED_PRIVILEGES_MESSAGE, EXIT.failure);
    throw new CliError(`could not start the eBPF sampler: ${e.message ?? String(err)}`, EXIT.failure);
  }
}

/** What the profile says about how it was recorded (`Profile.meta`). */
function recordingMeta(opts: RecordOptions, stats: RecordStats, command: string[] | undefined): Record<string, string> {
  const meta: Record<string, string> = {
    collector: `perforator ${opts.collectorVersion ?? ""}`.trim(),
    hostname: hostname(),
    frequency_hz: String(stats.freqHz),
    lost_samples: String(stats.lost),
    sampler_drops: [...stats.drops].map(([k, v]) => `${k}=${v}`).join(","),
  };
  if (stats.pythons.size > 0) meta.python_versions = [...new Set(stats.pythons.values())].sort().join(",");
  if (opts.pids.length > 0) meta.pids = opts.pids.join(",");
  if (command) meta.command = command.join(" ");
  return meta;
}

/**
 * One `perforator record` session: checks, starts the sampler, detects Python interpreters, flushes
 * and symbolizes every interval into one profile, stops on duration / signal / target exit, and always
 * returns what was collected.
 */
export async function record<P extends PythonFound>(
  opts: RecordOptions,
  getDeps: SessionDeps<P> | (() => Promise<SessionDeps<P>>),
): Promise<RecordResult> {
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`perforator: warning: ${m}\n`));
  const command = opts.command && opts.command.length > 0 ? opts.command : undefined;
  checkRequest(opts, command);
  const deps = typeof getDeps === "function" ? await getDeps() : getDeps;
  const sampler = await startSampler(deps, opts);

  // Exits of --pid targets as they happen (the handler is set before any target is added).
  const stop = new StopControl({ signal: opts.signal, durationMs: opts.durationMs });
  const targets = new TargetWatch(opts.pids, !opts.wholeSystem && !command && !opts.discover, stop);
  const exitsReported = sampler.watchExits?.((pid) => targets.exited(pid)) === true;
  const startedAt = Date.now(); // the recording starts once the sampler is attached

  let launched: LaunchedCommand | undefined;
  if (command) {
    try {
      launched = await LaunchedCommand.start(command);
    } catch (err) {
      stop.dispose();
      await sampler.stop();
      throw new CliError(`could not run ${command[0]}: ${(err as Error).message}`, EXIT.noTarget);
    }
  }

  const resolver = deps.createStackResolver();
  const python = new PythonTargets(deps, sampler, (pid, found: P) => accumulator.addPython(pid, found), warn);
  const stats: RecordStats = {
    samples: 0,
    lost: 0,
    drops: new Map(),
    durationMs: 0,
    freqHz: opts.freqHz,
    processes: new Map(),
    threads: new Set(),
    pythons: python.versions,
    unsupportedPythons: python.unsupported,
    stopReason: "signal",
    unresolved: 0,
  };
  if (sampler.pid !== undefined) stats.samplerPid = sampler.pid;
  const accumulator = new ProfileAccumulator(resolver, opts.freqHz, startedAt, stats);

  if (launched) {
    stats.child = { pid: launched.pid, code: null, signal: null };
    launched.exited.then((exit) => {
      stats.child = exit;
      stop.stop("command-exited");
    });
    python.commandPid = launched.pid;
    await sampler.addPid(launched.pid);
  }
  for (const pid of opts.pids) {
    await python.detect(pid);
    await sampler.addPid(pid);
  }
  if (launched) await python.detect(launched.pid);

  // Whole-system and launched commands see short-lived processes come and go: keep flushing every second so each is
  // symbolized while it lives. A recording of given pids (long-running services) flushes less often once it runs.
  const steadyEvery = opts.flushIntervalMs ?? (opts.wholeSystem || command ? 1000 : STEADY_FLUSH_MS);
  const continuous =
    opts.intervals || opts.discover
      ? new Continuous(opts, {
          sampler,
          python,
          accumulator,
          resolver,
          stats,
          startedAt,
          meta: () => recordingMeta(opts, stats, command),
        })
      : undefined;
  let failure: unknown;
  try {
    await runFlushLoop(
      { sampler, stop, targets, exitsReported, python, accumulator, stats, startedAt, steadyEvery, continuous },
      opts,
    );
  } catch (err) {
    failure = err;
  } finally {
    stop.dispose();
    try {
      await sampler.stop();
    } catch (err) {
      warn(`stopping the sampler failed: ${(err as Error).message}`);
    }
    resolver.close?.();
  }
  if (failure !== undefined) {
    // Keep what was collected: the caller writes it and reports the failure.
    warn(`recording stopped early: ${(failure as Error).message ?? String(failure)}`);
  }
  await launched?.end();
  for (const [pid, name] of stats.processes) if (!name) stats.processes.set(pid, processComm(pid));

  stats.stopReason = stop.reason;
  const stoppedAt = stop.stoppedAt ?? Date.now();
  stats.durationMs = stoppedAt - startedAt;
  const profile = accumulator.build((stoppedAt - accumulator.intervalStart) * 1e6, recordingMeta(opts, stats, command));
  continuous?.finish(profile);
  return { profile, stats };
}
