/** Command-line values shared by `record --upload`, `upload` and `agent`: where to upload, as what, with which labels. */
import { join } from "node:path";
import { type Profile, WELL_KNOWN_LABELS } from "@perforator/profile";
import { UsageError } from "../errors.js";
import type { UploadTarget } from "./client.js";

/** One `--label k=v` occurrence, added to `previous` (the flag is repeatable). */
export function parseLabel(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf("=");
  const key = eq > 0 ? value.slice(0, eq).trim() : "";
  if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
    throw new UsageError(
      `invalid value for --label: "${value}" is not KEY=VALUE; use e.g. --label env=prod (keys: letters, digits, _ . -)`,
    );
  }
  return { ...previous, [key]: value.slice(eq + 1) };
}

/** `--url`/`--token` or PERFORATOR_URL/PERFORATOR_TOKEN; a usage error saying which is missing. */
export function resolveTarget(
  flags: { url?: string; token?: string },
  env: NodeJS.ProcessEnv = process.env,
  flagOfUpload = "--upload",
): UploadTarget {
  const url = (flags.url ?? env.PERFORATOR_URL ?? "").trim();
  const token = (flags.token ?? env.PERFORATOR_TOKEN ?? "").trim();
  if (!url) {
    throw new UsageError(`${flagOfUpload} needs the ingest URL: pass --url http://HOST:4040 or set PERFORATOR_URL`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`invalid value for --url: "${url}" is not a URL; use e.g. http://ingest.example:4040`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(
      `invalid value for --url: "${url}" is not an http(s) URL; use e.g. http://ingest.example:4040`,
    );
  }
  if (!token) {
    throw new UsageError(
      `${flagOfUpload} needs an ingest token: pass --token TOKEN or set PERFORATOR_TOKEN (the ingest writes its first token to <data dir>/ingest-token)`,
    );
  }
  return { url, token };
}

/** `--spool-dir`, else $PERFORATOR_DATA_DIR/spool, else /var/lib/perforator/spool. */
export function defaultSpoolDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PERFORATOR_DATA_DIR ? join(env.PERFORATOR_DATA_DIR, "spool") : "/var/lib/perforator/spool";
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1048576,
  mb: 1048576,
  g: 1073741824,
  gb: 1073741824,
};

/** `100MB`, `512K`, `1g`, `1048576`. */
export function parseSize(value: string, flag = "--spool-max"): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) * unit < 1) {
    throw new UsageError(`invalid value for ${flag}: "${value}" is not a size; use e.g. 100MB, 512KB or 1GB`);
  }
  return Math.round(Number(m[1]) * unit);
}

/** A service name from a process or file name: characters other than letters, digits, `.`, `_`, `-` become `_`. */
export function serviceFromName(name: string): string {
  const s = name
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^[._-]+/, "")
    .slice(0, 100);
  return s || "unknown";
}

/** The process name most samples of `p` carry (label process_name), or undefined. */
export function dominantProcessName(p: Profile): string | undefined {
  const byName = new Map<string, number>();
  for (const s of p.samples) {
    const n = s.labels[WELL_KNOWN_LABELS.processName];
    if (n) byName.set(n, (byName.get(n) ?? 0) + (s.values[p.defaultSampleType] ?? 0));
  }
  let best: string | undefined;
  let bestV = -1;
  for (const [n, v] of byName) {
    if (v > bestV) {
      best = n;
      bestV = v;
    }
  }
  return best;
}

/** Unix seconds `from`/`until` of a profile, when it has a start time. */
export function profileWindow(p: Profile): { from?: number; until?: number } {
  if (!p.timeNanos) return {};
  const from = Math.floor(p.timeNanos / 1e9);
  return { from, until: Math.max(from, Math.ceil((p.timeNanos + (p.durationNanos || 0)) / 1e9)) };
}
