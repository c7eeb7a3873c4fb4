/** What /proc says about one process: whether it runs, its name, its executable, its start time. */
import { readFileSync, readlinkSync } from "node:fs";

/**
 * The fields of /proc/PID/stat after the command name (which may hold spaces and parentheses): [0] is the state
 * (field 3), [19] the start time in clock ticks since boot (field 22). undefined when the process is gone.
 */
function statFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** Whether /proc/PID exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  const state = statFields(pid)?.[0];
  return state !== undefined && state !== "Z" && state !== "X";
}

/** The process's command name (/proc/PID/comm), or "" when it is gone. */
export function processComm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/**
 * The path of the process's executable as the kernel shows it (with a " (deleted)" suffix when the file was
 * replaced), or "" for kernel threads, processes that are gone or without permission.
 */
export function processExe(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return "";
  }
}

/** The parent's pid (/proc/PID/stat field 4), or undefined when the process is gone. */
export function processParent(pid: number): number | undefined {
  const ppid = statFields(pid)?.[1];
  return ppid === undefined ? undefined : Number(ppid);
}

/**
 * Start time (clock ticks since boot) and executable of a live process, or undefined when it cannot be read: equal
 * while the pid names the same program, different after pid reuse or exec.
 */
export function processIdentity(pid: number): string | undefined {
  const fields = statFields(pid);
  if (fields === undefined) return undefined;
  // Without the executable (kernel threads, no permission) the start time alone still catches pid reuse.
  return `${fields[19] ?? ""}:${processExe(pid)}`;
}
