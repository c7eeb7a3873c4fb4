/**
 * Pyroscope's legacy push API (`POST /ingest`): query parameters and the `name` grammar
 * `app.name.cpu{key=value,key2=value2}`.
 */

import { BadRequest } from "./limits.js";

export { BadRequest };

/** Suffixes Pyroscope clients append to the app name to say which profile type the upload is. */
const TYPE_SUFFIXES = [
  "cpu",
  "wall",
  "itimer",
  "alloc_objects",
  "alloc_space",
  "inuse_objects",
  "inuse_space",
  "goroutines",
  "mutex_count",
  "mutex_duration",
  "block_count",
  "block_duration",
  "lock_count",
  "lock_duration",
];

export interface AppName {
  /** The service name without the profile-type suffix (`shop.api`). */
  service: string;
  /** The profile type from the suffix (`cpu`), if any. */
  type: string | undefined;
  labels: Record<string, string>;
}

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]*$/;
const LABEL_KEY_RE = /^[A-Za-z_][A-Za-z0-9_.]*$/;

export function parseAppName(raw: string | undefined): AppName {
  if (raw === undefined || raw.trim() === "") {
    throw new BadRequest('missing query parameter "name": the application name, e.g. name=shop.api.cpu{env=staging}');
  }
  const s = raw.trim();
  const brace = s.indexOf("{");
  const base = brace < 0 ? s : s.slice(0, brace);
  if (!NAME_RE.test(base)) {
    throw new BadRequest(
      `invalid application name "${base}" in name=${s}: use letters, digits and . _ - : / (e.g. shop.api.cpu{env=staging})`,
    );
  }
  const labels: Record<string, string> = {};
  if (brace >= 0) {
    if (!s.endsWith("}")) throw new BadRequest(`labels in name=${s} are not closed with "}"`);
    const inner = s.slice(brace + 1, -1).trim();
    if (inner !== "") {
      for (const pair of inner.split(",")) {
        const eq = pair.indexOf("=");
        const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
        const value = eq < 0 ? "" : pair.slice(eq + 1).trim();
        if (eq < 0 || !LABEL_KEY_RE.test(key) || value === "" || value.includes("{") || value.includes("}")) {
          throw new BadRequest(
            `invalid label "${pair.trim()}" in name=${s}: labels are key=value pairs, e.g. {env=staging,region=eu}`,
          );
        }
        labels[key] = value;
      }
    }
  }
  const dot = base.lastIndexOf(".");
  const suffix = dot > 0 ? base.slice(dot + 1) : "";
  if (TYPE_SUFFIXES.includes(suffix)) return { service: base.slice(0, dot), type: suffix, labels };
  return { service: base, type: undefined, labels };
}

/**
 * Pyroscope times: unix seconds (also milliseconds or nanoseconds, told apart by magnitude), or
 * `now`, `now-10s`, `now-5m`, `now-1h`.
 */
export function parseTime(raw: string | undefined, name: string, now: Date): Date | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const s = raw.trim();
  const rel = /^now(?:-(\d+)(ms|s|m|h|d))?$/.exec(s);
  if (rel) {
    if (!rel[1]) return now;
    const mult = { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[rel[2] as "ms" | "s" | "m" | "h" | "d"];
    return new Date(now.getTime() - Number(rel[1]) * mult);
  }
  if (/^\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    const ms = n >= 1e17 ? n / 1e6 : n >= 1e14 ? n / 1e3 : n >= 1e11 ? n : n * 1000;
    return new Date(Math.round(ms));
  }
  throw new BadRequest(`invalid "${name}"=${s}: use unix seconds (e.g. ${Math.floor(now.getTime() / 1000)}) or now-1m`);
}

export type IngestFormat = "folded" | "pprof";

export function parseFormat(raw: string | undefined): IngestFormat {
  const f = (raw ?? "").trim().toLowerCase();
  if (f === "" || f === "folded" || f === "lines" || f === "collapsed") return "folded";
  if (f === "pprof") return "pprof";
  throw new BadRequest(
    `unsupported format "${raw}": this server accepts format=folded (one "a;b;c count" line per stack) and format=pprof`,
  );
}

export function parsePositive(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new BadRequest(`invalid "${name}"=${raw}: expected a positive number`);
  return n;
}
