import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { type Frame, type Profile, ProfileBuilder, WELL_KNOWN_LABELS } from "@perforator/profile";
import { CliError, EXIT } from "../cli/args.js";
import type { RawStack, SamplerHandle, SessionDeps, StackResolverHandle } from "./deps.js";
import { checkPrivileges, NEED_PRIVILEGES_MESSAGE } from "./privileges.js";
import { rawStackKey, SampleCache } from "./sample-cache.js";

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

export type StopReason = "duration" | "signal" | "targets-exited" | "command-exited";

export interface RecordStats {
  samples: number;
  lost: number;
  /** Incomplete or dropped stacks by reason (sampler counters), summed over the recording. */
  drops: Map<string, number>;
  durationMs: number;
  freqHz: number;
  processes: Map<number, string>;
  threads: Set<string>;
  /** pid → Python version for every interpreter the sampler walks. */
  pythons: Map<number, string>;
  /** Unsupported versions seen (one warning each). */
  unsupportedPythons: Set<string>;
  stopReason: StopReason;
  /** Process id of the sampler process (bench: CPU accounting). */
  samplerPid?: number;
  child?: { pid: number; code: number | null; signal: NodeJS.Signals | null };
  /** Stacks that could not be symbolized at all (process gone before its first flush). */
  unresolved: number;
}

export interface RecordResult {
  profile: Profile;
  stats: RecordStats;
}

const hex = (a: bigint) => `0x${a.toString(16)}`;

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

/** Whether /proc/PID exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

function processComm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

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

function sleep(ms: number, signal: AbortSignal): Promise<void> {
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

/**
 * One `perforator record` session: checks, starts the sampler, detects Python interpreters, flushes
 * and symbolizes every interval into one profile, stops on duration / signal / target exit, and always
 * returns what was collected.
 */
export async function record(
  opts: RecordOptions,
  getDeps: SessionDeps | (() => Promise<SessionDeps>),
): Promise<RecordResult> {
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`perforator: warning: ${m}\n`));
  const command = opts.command && opts.command.length > 0 ? opts.command : undefined;
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

  const deps = typeof getDeps === "function" ? await getDeps() : getDeps;
  const freqHz = opts.freqHz;
  const periodNs = 1e9 / freqHz;
  // Whole-system and launched commands see short-lived processes come and go: keep flushing every second so each is
  // symbolized while it lives. A recording of given pids (long-running services) flushes less often once it runs.
  const steadyEvery =
    opts.flushIntervalMs ?? (opts.wholeSystem || (opts.command && opts.command.length > 0) ? 1000 : STEADY_FLUSH_MS);
  const stats: RecordStats = {
    samples: 0,
    lost: 0,
    drops: new Map(),
    durationMs: 0,
    freqHz,
    processes: new Map(),
    threads: new Set(),
    pythons: new Map(),
    unsupportedPythons: new Set(),
    stopReason: "signal",
    unresolved: 0,
  };

  let sampler: SamplerHandle;
  try {
    // Targets are added only after their Python is configured (below): a pid sampled before its interpreter is
    // known would yield bare `_PyEval_EvalFrameDefault` stacks for the first few hundred milliseconds.
    sampler = await deps.startSampler({ freqHz, pids: [], wholeSystem: opts.wholeSystem });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === "ENEEDSPRIV") throw new CliError(NEED_PRIVILEGES_MESSAGE, EXIT.failure);
    throw new CliError(`could not start the eBPF sampler: ${e.message ?? String(err)}`, EXIT.failure);
  }

  if (sampler.pid !== undefined) stats.samplerPid = sampler.pid;
  // Exits of --pid targets as they happen (the handler is set below, before any target is added).
  let onTargetExit = (_pid: number) => {};
  const exitsReported = sampler.watchExits?.((pid) => onTargetExit(pid)) === true;
  const startedAt = Date.now(); // the recording starts once the sampler is attached
  const stop = new AbortController();
  /** When the recording was asked to stop (the duration reported; the last flush comes after it). */
  let stoppedAt: number | undefined;
  const stopWith = (reason: StopReason) => {
    if (!stop.signal.aborted) {
      stats.stopReason = reason;
      stoppedAt = Date.now();
      stop.abort();
    }
  };
  const onAbort = () => stopWith("signal");
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  if (opts.signal?.aborted) stopWith("signal");
  const timer = opts.durationMs !== undefined ? setTimeout(() => stopWith("duration"), opts.durationMs) : undefined;

  const resolver: StackResolverHandle = deps.createStackResolver();
  const newBuilder = (atMs: number) =>
    new ProfileBuilder(
      [
        { type: "samples", unit: "count" },
        { type: "cpu", unit: "nanoseconds" },
      ],
      {
        defaultSampleType: 1,
        period: periodNs,
        periodType: { type: "cpu", unit: "nanoseconds" },
        timeNanos: atMs * 1e6,
      },
    );
  let builder = newBuilder(startedAt);
  let intervalStart = startedAt;

  // Stacks seen before cost a lookup and an addition; new ones are symbolized once (src/record/sample-cache.ts).
  const valuesOf = (count: number) => [count, count * periodNs];
  const cache = new SampleCache(builder, resolver, valuesOf);

  // Python detection: targets up front, new pids as they show up (whole-system, launched command).
  const pyChecked = new Map<number, number>(); // pid → attempts so far
  const pyDone = new Set<number>();
  const detect = async (pid: number) => {
    if (pyDone.has(pid)) return;
    const attempts = (pyChecked.get(pid) ?? 0) + 1;
    pyChecked.set(pid, attempts);
    let found: Awaited<ReturnType<SessionDeps["detectPython"]>>;
    try {
      found = await deps.detectPython(pid);
    } catch (err) {
      pyDone.add(pid);
      if (processAlive(pid)) warn(`could not inspect process ${pid} for Python: ${(err as Error).message}`);
      return;
    }
    if (found === null) {
      // A just-launched command may not have mapped libpython yet: look again for a few flushes.
      if (pid !== childPid || attempts >= 200) pyDone.add(pid);
      return;
    }
    pyDone.add(pid);
    if ("unsupported" in found) {
      if (!stats.unsupportedPythons.has(found.unsupported)) {
        stats.unsupportedPythons.add(found.unsupported);
        const why = found.reason ? ` (${found.reason})` : "";
        warn(
          `Python ${found.unsupported} (pid ${pid}) is not supported${why}: its stacks are recorded as native frames only; Python 3.11, 3.12 and 3.13 get Python frames`,
        );
      }
      return;
    }
    const version = String(found.version);
    try {
      await sampler.addPython(pid, found.bpfConfig);
      resolver.addPython?.(pid, found);
      cache.invalidate(pid); // stacks resolved without Python frames so far

      stats.pythons.set(pid, version);
      for (const w of found.warnings ?? []) warn(`Python ${version} (pid ${pid}): ${w}`);
    } catch (err) {
      warn(`could not enable Python stacks for pid ${pid} (Python ${version}): ${(err as Error).message}`);
    }
  };

  let child: ChildProcess | undefined;
  let childPid: number | undefined;
  const targets = new Set(opts.pids);
  onTargetExit = (pid) => {
    if (!targets.has(pid) || child || opts.wholeSystem || processAlive(pid)) return;
    targets.delete(pid);
    if (targets.size === 0 && !opts.discover) stopWith("targets-exited");
  };
  let childExited: Promise<void> | undefined;
  if (command) {
    child = spawn(command[0]!, command.slice(1), { stdio: "inherit" });
    const c = child;
    const spawned = new Promise<void>((resolve, reject) => {
      c.once("spawn", () => resolve());
      c.once("error", (err) => reject(err));
    });
    try {
      await spawned;
    } catch (err) {
      clearTimeout(timer);
      await sampler.stop();
      throw new CliError(`could not run ${command[0]}: ${(err as Error).message}`, EXIT.noTarget);
    }
    childPid = c.pid!;
    stats.child = { pid: childPid, code: null, signal: null };
    childExited = new Promise<void>((resolve) => {
      c.once("exit", (code, sig) => {
        stats.child = { pid: childPid!, code, signal: sig };
        resolve();
      });
    });
    childExited.then(() => stopWith("command-exited"));
    await sampler.addPid(childPid);
  }

  for (const pid of opts.pids) {
    await detect(pid);
    await sampler.addPid(pid);
  }
  if (childPid !== undefined) await detect(childPid);

  const resolveOrFallback = (raw: RawStack): Frame[] => {
    const frames = resolver.resolve(raw);
    return frames.length > 0 ? frames : fallbackFrames(raw);
  };
  const ingest = async (stacks: RawStack[], keys: readonly string[] | undefined) => {
    for (let i = 0; i < stacks.length; i++) {
      const raw = stacks[i]!;
      if (opts.wholeSystem && !pyChecked.has(raw.pid)) await detect(raw.pid);
      stats.samples += raw.count;
      try {
        if (!cache.add(raw, keys?.[i] ?? rawStackKey(raw), resolveOrFallback)) continue;
      } catch {
        // The process could not be read (it exited before its first flush): keep the samples as raw
        // addresses, uncached, so a later flush can still count them as unresolved.
        stats.unresolved += raw.count;
        builder.addFrames(fallbackFrames(raw), valuesOf(raw.count), {
          [WELL_KNOWN_LABELS.pid]: String(raw.pid),
          [WELL_KNOWN_LABELS.tid]: String(raw.tid),
          [WELL_KNOWN_LABELS.threadName]: raw.threadName,
          [WELL_KNOWN_LABELS.processName]: raw.processName,
        });
      }
      if (!stats.processes.has(raw.pid)) stats.processes.set(raw.pid, raw.processName);
      stats.threads.add(`${raw.pid}/${raw.tid}`);
    }
    cache.endFlush();
  };

  const flushOnce = async () => {
    const r = await sampler.flush();
    stats.lost += r.lost;
    if (typeof r.drops === "number") stats.drops.set("dropped", (stats.drops.get("dropped") ?? 0) + r.drops);
    else for (const [k, v] of Object.entries(r.drops)) if (v > 0) stats.drops.set(k, (stats.drops.get(k) ?? 0) + v);
    await ingest(r.stacks, r.keys);
  };

  const meta = (): Record<string, string> => {
    const m: Record<string, string> = {
      collector: `perforator ${opts.collectorVersion ?? ""}`.trim(),
      hostname: hostname(),
      frequency_hz: String(freqHz),
      lost_samples: String(stats.lost),
      sampler_drops: [...stats.drops].map(([k, v]) => `${k}=${v}`).join(","),
    };
    if (stats.pythons.size > 0) m.python_versions = [...new Set(stats.pythons.values())].sort().join(",");
    if (opts.pids.length > 0) m.pids = opts.pids.join(",");
    if (command) m.command = command.join(" ");
    return m;
  };
  // Continuous recording: discovery of new targets, and one profile per interval (see RecordOptions).
  const discover = opts.discover;
  let nextDiscovery = discover ? 0 : Number.POSITIVE_INFINITY;
  const runDiscovery = async () => {
    if (!discover || Date.now() < nextDiscovery) return;
    nextDiscovery = Date.now() + discover.everyMs;
    for (const pid of await discover.find()) {
      if (targets.has(pid) || !processAlive(pid)) continue;
      targets.add(pid);
      await detect(pid);
      await sampler.addPid(pid);
    }
  };
  const intervals = opts.intervals;
  let nextHandOver = intervals ? startedAt + intervals.everyMs : Number.POSITIVE_INFINITY;
  const handOver = (atMs: number): Profile => {
    const next = newBuilder(atMs);
    cache.rotate(next);
    const built = builder.build();
    builder = next;
    const profile: Profile = {
      ...built,
      durationNanos: (atMs - intervalStart) * 1e6,
      meta: { ...built.meta, ...meta() },
    };
    intervalStart = atMs;
    // What a long-running recording keeps per process is dropped once the process is gone.
    stats.threads.clear();
    stats.processes.clear();
    for (const pid of pyChecked.keys()) {
      if (processAlive(pid)) continue;
      pyChecked.delete(pid);
      pyDone.delete(pid);
      targets.delete(pid);
      stats.pythons.delete(pid);
      resolver.forget?.(pid);
    }
    return profile;
  };

  let failure: unknown;
  let ticker: NodeJS.Timeout | undefined;
  try {
    // Stacks are symbolized while their process is alive, so a short-lived target must be flushed soon:
    // every 200 ms (at most the steady interval) during the first 3 s, every second until 10 s, then every
    // steadyEvery. While a launched command's interpreter is not found yet, look for it every 20 ms so Python stacks
    // start right away.
    // Progress and target liveness have a 1 s interval of their own, and only when needed: every wake-up costs this
    // process 0.5-1 ms of CPU however little it does, which at one a second was a fifth of a steady --pid recording's
    // CPU. With a sampler that reports exits (pidfds) and no progress line, the process wakes only to flush.
    const watchTargets = !opts.wholeSystem && targets.size > 0 && !child && !discover;
    await runDiscovery();
    const checkTargets = () => {
      for (const pid of targets) if (!processAlive(pid)) targets.delete(pid);
      if (targets.size === 0) stopWith("targets-exited");
    };
    if (watchTargets && exitsReported) checkTargets(); // exited before the watch started
    if (opts.onProgress || (watchTargets && !exitsReported)) {
      ticker = setInterval(() => {
        opts.onProgress?.({ elapsedMs: Date.now() - startedAt, samples: stats.samples, lost: stats.lost });
        if (watchTargets && !exitsReported) checkTargets();
      }, 1000);
    }
    let lastFlush = Date.now();
    while (!stop.signal.aborted) {
      const pending = childPid !== undefined && !pyDone.has(childPid);
      const every = flushIntervalAt(Date.now() - startedAt, steadyEvery);
      const wait = Math.max(0, Math.min(lastFlush + every, nextDiscovery, nextHandOver) - Date.now());
      await sleep(pending ? Math.min(20, wait) : wait, stop.signal);
      if (pending) await detect(childPid!);
      if (stop.signal.aborted) break;
      await runDiscovery();
      if (intervals && Date.now() >= nextHandOver) {
        lastFlush = Date.now();
        await flushOnce();
        intervals.onProfile(handOver(lastFlush));
        nextHandOver = intervalStart + intervals.everyMs;
        continue;
      }
      if (Date.now() - lastFlush < every) continue;
      lastFlush = Date.now();
      await flushOnce();
      if (watchTargets && exitsReported) checkTargets(); // a safety net for exits the sampler could not watch
      // Sub-second flushes (the first seconds) report progress as they go.
      if (every < 1000) {
        opts.onProgress?.({ elapsedMs: Date.now() - startedAt, samples: stats.samples, lost: stats.lost });
      }
    }
    stoppedAt ??= Date.now();
    await flushOnce();
  } catch (err) {
    failure = err;
  } finally {
    clearTimeout(timer);
    clearInterval(ticker);
    opts.signal?.removeEventListener("abort", onAbort);
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
  if (child && childExited && child.exitCode === null && child.signalCode === null) {
    // Stopped by duration or Ctrl-C while the launched command still runs: it was started for this
    // recording, so end it (SIGTERM, then SIGKILL after 3 s) and report how it exited.
    child.kill("SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await childExited;
    clearTimeout(killer);
  }
  for (const [pid, name] of stats.processes) if (!name) stats.processes.set(pid, processComm(pid));

  stats.durationMs = (stoppedAt ?? Date.now()) - startedAt;
  cache.finish();
  const built = builder.build();
  const durationMs = (stoppedAt ?? Date.now()) - intervalStart;
  const profile: Profile = { ...built, durationNanos: durationMs * 1e6, meta: { ...built.meta, ...meta() } };
  intervals?.onProfile(profile);
  return { profile, stats };
}
