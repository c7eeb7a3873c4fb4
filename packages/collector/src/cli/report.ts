import type { RecordStats } from "../record/session.js";
import { formatDuration } from "./args.js";

const n = (x: number) => x.toLocaleString("en-US");
const plural = (k: number, one: string, many = `${one}s`) => `${n(k)} ${k === 1 ? one : many}`;

/** The live line shown on a TTY while recording. */
export function progressLine(elapsedMs: number, samples: number, lost: number): string {
  return `perforator: recording ${formatDuration(elapsedMs)}  samples ${n(samples)}  lost ${n(lost)}  (Ctrl-C to stop)`;
}

function stopText(s: RecordStats): string {
  switch (s.stopReason) {
    case "duration":
      return "duration reached";
    case "signal":
      return "interrupted";
    case "targets-exited":
      return "all target processes exited";
    case "command-exited": {
      const c = s.child;
      if (c?.signal) return `command exited on signal ${c.signal}`;
      return `command exited with code ${c?.code ?? "?"}`;
    }
  }
}

/** The final summary, one fact per line, for stderr. */
export function summaryLines(s: RecordStats, output: string): string[] {
  const lines: string[] = [];
  lines.push(
    `perforator: recorded ${formatDuration(s.durationMs)} at ${s.freqHz} Hz (${stopText(s)}): ${plural(s.samples, "sample")}, ${n(s.lost)} lost`,
  );
  const procs = [...s.processes].slice(0, 5).map(([pid, name]) => `${name || "?"}[${pid}]`);
  const more = s.processes.size > 5 ? `, +${s.processes.size - 5} more` : "";
  lines.push(
    `perforator: ${plural(s.processes.size, "process", "processes")}${procs.length ? ` (${procs.join(", ")}${more})` : ""}, ${plural(s.threads.size, "thread")}`,
  );
  const versions = [...new Set(s.pythons.values())].sort();
  if (versions.length > 0) lines.push(`perforator: Python ${versions.join(", ")} stacks included`);
  if (s.unsupportedPythons.size > 0) {
    lines.push(`perforator: unsupported Python ${[...s.unsupportedPythons].join(", ")}: native frames only`);
  }
  if (s.child && s.stopReason !== "command-exited") {
    const c = s.child;
    lines.push(
      `perforator: command (pid ${c.pid}) ${c.signal ? `ended by signal ${c.signal}` : `exited with code ${c.code ?? "?"}`}`,
    );
  }
  const drops = [...s.drops].filter(([, v]) => v > 0);
  if (drops.length > 0) {
    lines.push(`perforator: incomplete stacks: ${drops.map(([k, v]) => `${k} ${n(v)}`).join(", ")}`);
  }
  if (s.samples === 0) {
    lines.push(
      "perforator: warning: no samples were collected: the target was not running on a CPU (idle?); put it under load while recording",
    );
  }
  lines.push(`perforator: ${output}`);
  return lines;
}
