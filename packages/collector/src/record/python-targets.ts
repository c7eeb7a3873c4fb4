/**
 * Python detection for a recording: the targets up front, each new process as it shows up (whole-system), and a
 * launched command again and again until its interpreter is loaded. A supported interpreter gets the sampler's
 * Python walker and the resolver's frame decoding; an unsupported version one warning.
 */

import { processAlive } from "../proc/index.js";
import type { PythonDetection, PythonFound } from "../python/detect.js";
import type { SamplerHandle, SessionDeps } from "./deps.js";

/** How often a launched command is looked at before it is taken to have no Python (every 20 ms: 4 s). */
const COMMAND_ATTEMPTS = 200;

export class PythonTargets<P extends PythonFound> {
  /** pid → attempts so far. */
  private readonly attempts = new Map<number, number>();
  private readonly done = new Set<number>();
  /** pid → Python version for every interpreter the sampler walks. */
  readonly versions = new Map<number, string>();
  /** Unsupported versions seen (one warning each). */
  readonly unsupported = new Set<string>();
  /** The launched command, looked at until its interpreter is found. */
  commandPid: number | undefined;

  constructor(
    private readonly deps: Pick<SessionDeps<P>, "detectPython">,
    private readonly sampler: SamplerHandle,
    /** Called once the sampler walks `pid`'s Python: the stacks resolved without it must be resolved again. */
    private readonly found: (pid: number, python: P) => void,
    private readonly warn: (message: string) => void,
  ) {}

  /** Forgets the processes that are gone (a long-running recording); returns their pids. */
  forgetExited(): number[] {
    const gone: number[] = [];
    for (const pid of this.attempts.keys()) {
      if (processAlive(pid)) continue;
      gone.push(pid);
      this.attempts.delete(pid);
      this.done.delete(pid);
      this.versions.delete(pid);
    }
    return gone;
  }

  /** Whether `pid` was looked at already. */
  seen(pid: number): boolean {
    return this.attempts.has(pid);
  }

  /** Whether the launched command's interpreter is still being looked for. */
  get commandPending(): boolean {
    return this.commandPid !== undefined && !this.done.has(this.commandPid);
  }

  async detect(pid: number): Promise<void> {
    if (this.done.has(pid)) return;
    const attempts = (this.attempts.get(pid) ?? 0) + 1;
    this.attempts.set(pid, attempts);
    let found: PythonDetection<P>;
    try {
      found = await this.deps.detectPython(pid);
    } catch (err) {
      this.done.add(pid);
      if (processAlive(pid)) this.warn(`could not inspect process ${pid} for Python: ${(err as Error).message}`);
      return;
    }
    if (found === null) {
      // A just-launched command may not have mapped libpython yet: look again for a few flushes.
      if (pid !== this.commandPid || attempts >= COMMAND_ATTEMPTS) this.done.add(pid);
      return;
    }
    this.done.add(pid);
    if ("unsupported" in found) {
      if (!this.unsupported.has(found.unsupported)) {
        this.unsupported.add(found.unsupported);
        const why = found.reason ? ` (${found.reason})` : "";
        this.warn(
          `Python ${found.unsupported} (pid ${pid}) is not supported${why}: its stacks are recorded as native frames only; Python 3.11, 3.12 and 3.13 get Python frames`,
        );
      }
      return;
    }
    const version = String(found.version);
    try {
      await this.sampler.addPython(pid, found.bpfConfig);
      this.found(pid, found);
      this.versions.set(pid, version);
      for (const w of found.warnings ?? []) this.warn(`Python ${version} (pid ${pid}): ${w}`);
    } catch (err) {
      this.warn(`could not enable Python stacks for pid ${pid} (Python ${version}): ${(err as Error).message}`);
    }
  }
}
