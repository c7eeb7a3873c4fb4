/** Parsing of /proc/PID/maps. */
import { readFileSync } from "node:fs";
import { rangeContaining } from "../sorted.js";

export interface Mapping {
  start: bigint;
  end: bigint;
  perms: string;
  /** File offset of `start`. */
  offset: bigint;
  dev: string;
  inode: number;
  /** Path as the kernel shows it, without the " (deleted)" suffix; "" for anonymous memory. */
  path: string;
  deleted: boolean;
  /** `[vdso]`, `[vsyscall]`, `[heap]`, `[stack]`, `[anon:…]` and other bracketed pseudo-paths. */
  pseudo: boolean;
  executable: boolean;
}

const LINE = /^([0-9a-f]+)-([0-9a-f]+)\s+(\S{4})\s+([0-9a-f]+)\s+(\S+)\s+(\d+)\s*(.*)$/;

/** Parses the text of /proc/PID/maps. Lines it does not understand are skipped. */
export function parseMaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  for (const line of text.split("\n")) {
    const m = LINE.exec(line);
    if (!m) continue;
    let path = m[7] ?? "";
    let deleted = false;
    if (path.endsWith(" (deleted)")) {
      deleted = true;
      path = path.slice(0, -" (deleted)".length);
    }
    out.push({
      start: BigInt(`0x${m[1]}`),
      end: BigInt(`0x${m[2]}`),
      perms: m[3]!,
      offset: BigInt(`0x${m[4]}`),
      dev: m[5]!,
      inode: Number(m[6]),
      path,
      deleted,
      pseudo: path.startsWith("["),
      executable: m[3]![2] === "x",
    });
  }
  out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return out;
}

/** The text of /proc/PID/maps; throws (ENOENT/ESRCH) when the process is gone. */
export function readMapsText(pid: number): string {
  return readFileSync(`/proc/${pid}/maps`, "utf8");
}

/** Reads and parses /proc/PID/maps; throws (ENOENT/ESRCH) when the process is gone. */
export function readMaps(pid: number): Mapping[] {
  return parseMaps(readMapsText(pid));
}

/** The mapping containing `addr` (binary search over sorted mappings), or undefined. */
export function findMapping(maps: Mapping[], addr: bigint): Mapping | undefined {
  return rangeContaining(maps, addr);
}

/** Short module name for display: the file name of the path, or the pseudo-path itself. */
export function moduleName(m: Pick<Mapping, "path" | "pseudo">): string {
  if (m.path === "") return "[anon]";
  if (m.pseudo) return m.path;
  const i = m.path.lastIndexOf("/");
  return i >= 0 ? m.path.slice(i + 1) : m.path;
}

/**
 * Paths under which this process's file can be opened from the profiler, best first: the process's own
 * root (containers, chroots), the map_files link (works for deleted files, needs root), the plain path.
 */
export function candidatePaths(pid: number, m: Mapping): string[] {
  const range = `${m.start.toString(16)}-${m.end.toString(16)}`;
  const out: string[] = [];
  if (m.deleted) out.push(`/proc/${pid}/map_files/${range}`);
  out.push(`/proc/${pid}/root${m.path}`);
  if (!m.deleted) out.push(`/proc/${pid}/map_files/${range}`);
  out.push(m.path);
  return out;
}
