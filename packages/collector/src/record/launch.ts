/** `perforator record -- COMMAND`: the command the recording starts, profiles, and ends if it outlives it. */
import { type ChildProcess, spawn } from "node:child_process";

export interface CommandExit {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class LaunchedCommand {
  readonly pid: number;
  /** Resolves with how the command exited. */
  readonly exited: Promise<CommandExit>;

  private constructor(private readonly child: ChildProcess) {
    this.pid = child.pid!;
    const pid = this.pid;
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => resolve({ pid, code, signal }));
    });
  }

  /** Starts `command` with this process's stdio; rejects when it cannot be run (not found, not executable). */
  static async start(command: readonly string[]): Promise<LaunchedCommand> {
    const child = spawn(command[0]!, command.slice(1), { stdio: "inherit" });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (err) => reject(err));
    });
    return new LaunchedCommand(child);
  }

  /**
   * Ends the command when the recording stopped before it exited (duration or Ctrl-C): it was started for this
   * recording. SIGTERM, then SIGKILL after 3 s; resolves once it exited.
   */
  async end(): Promise<void> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await this.exited;
      clearTimeout(killer);
    }
  }
}
