/**
 * Which processes `perforator agent` profiles: given pids (followed when they restart under a new pid), processes
 * whose command line matches a regular expression, and every CPython process on the host. Each `find()` reads /proc:
 * the directory listing, plus the command line and executable of pids not seen before (known pids cost nothing).
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { processAlive, processComm, processExe, processIdentity, processParent } from "../proc/index.js";

export interface ProcInfo {
  pid: number;
  /** /proc/PID/comm: the process name (15 bytes at most). */
  comm: string;
  /** Arguments joined by spaces. */
  cmdline: string;
  /** /proc/PID/exe target ("" for kernel threads or when unreadable). */
  exe: string;
  /** Start time and executable (processIdentity): with the pid, identifies a process. */
  identity: string;
  ppid: number;
}

/** Reads what discovery needs of a process; undefined when it is gone (or a kernel thread without a command line). */
export function procInfo(pid: number): ProcInfo | undefined {
  if (!processAlive(pid)) return undefined;
  const identity = processIdentity(pid);
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0+$/, "").replace(/\0/g, " ");
  } catch {
    return undefined;
  }
  if (!cmdline || identity === undefined) return undefined;
  return { pid, comm: processComm(pid), cmdline, exe: processExe(pid), identity, ppid: processParent(pid) ?? 0 };
}

export function listPids(): number[] {
  const out: number[] = [];
  for (const n of readdirSync("/proc")) {
    if (n.charCodeAt(0) >= 48 && n.charCodeAt(0) <= 57) out.push(Number(n));
  }
  return out;
}

/** Whether a process runs CPython: its executable is `python…`, or it maps a `libpython3…` library. */
export function isPython(info: ProcInfo): boolean {
  if (/^python\d*(\.\d+)?[a-z]?$/.test(basename(info.exe.replace(/ \(deleted\)$/, "")))) return true;
  try {
    return readFileSync(`/proc/${info.pid}/maps`, "utf8").includes("/libpython3");
  } catch {
    return false;
  }
}

export interface TargetSpec {
  pids: number[];
  processRegex?: RegExp;
  python: boolean;
}

export interface TargetEvents {
  log: (message: string) => void;
  /** Processes never to pick, nor their children (the agent itself, whose child is the sampler). */
  exclude: () => Iterable<number>;
}

/** Finds the targets of `spec`; one instance lives as long as the agent. */
export class TargetFinder {
  /** Given targets, by identity (executable + command line), with the pid they run under now (0 while gone). */
  private readonly followed: { exe: string; cmdline: string; comm: string; pid: number; identity: string }[] = [];
  /** pid → identity and whether it matched, for processes already classified (dropped when the pid goes away). */
  private readonly seen = new Map<number, { identity: string; match: boolean }>();

  constructor(
    private readonly spec: TargetSpec,
    private readonly events: TargetEvents,
  ) {
    for (const pid of spec.pids) {
      const info = procInfo(pid);
      if (!info) throw new Error(`no process with PID ${pid}: check the id with 'ps -p ${pid}' or 'pgrep -a NAME'`);
      this.followed.push({ exe: info.exe, cmdline: info.cmdline, comm: info.comm, pid, identity: info.identity });
    }
  }

  find(): number[] {
    const out = new Set<number>();
    const exclude = new Set(this.events.exclude());
    // Given pids: the same process while it lives; once it is gone, the process that runs the same command.
    const lost = this.followed.filter((f) => {
      if (f.pid === 0) return true;
      const info = procInfo(f.pid);
      if (info && info.identity === f.identity) {
        out.add(f.pid);
        return false;
      }
      this.events.log(`target ${f.comm} (pid ${f.pid}) exited; following its command line: ${f.cmdline}`);
      f.pid = 0;
      return true;
    });
    const scan = lost.length > 0 || this.spec.processRegex !== undefined || this.spec.python;
    if (!scan) return [...out];
    const alive = new Set<number>();
    for (const pid of listPids()) {
      if (exclude.has(pid)) continue;
      alive.add(pid);
      let known = this.seen.get(pid);
      if (!known || lost.some((f) => f.pid === 0)) {
        const info = procInfo(pid);
        if (!info || exclude.has(info.ppid)) continue;
        for (const f of lost) {
          if (f.pid === 0 && info.cmdline === f.cmdline && info.exe === f.exe) {
            f.pid = pid;
            f.identity = info.identity;
            this.events.log(`target ${f.comm} restarted as pid ${pid}: profiling it`);
            out.add(pid);
          }
        }
        if (!known || known.identity !== info.identity) {
          const match =
            (this.spec.processRegex !== undefined &&
              (this.spec.processRegex.test(info.cmdline) || this.spec.processRegex.test(info.comm))) ||
            (this.spec.python && isPython(info));
          known = { identity: info.identity, match };
          this.seen.set(pid, known);
        }
      }
      if (known.match) out.add(pid);
    }
    for (const pid of this.seen.keys()) if (!alive.has(pid)) this.seen.delete(pid);
    return [...out];
  }
}
