/**
 * Time specs as they appear in URLs: `now`, `now-15m`, `now-7d` (relative, re-evaluated on every load, like
 * Grafana's) or an absolute epoch in milliseconds. Shared by the browser and the server.
 */
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export const PRESETS = [
  { label: "15 min", from: "now-15m" },
  { label: "1 hour", from: "now-1h" },
  { label: "6 hours", from: "now-6h" },
  { label: "24 hours", from: "now-24h" },
  { label: "7 days", from: "now-7d" },
  { label: "30 days", from: "now-30d" },
] as const;

export const DEFAULT_FROM = "now-24h";
export const DEFAULT_UNTIL = "now";

/** Epoch ms of a spec, or null when it is not one. */
export function resolveTime(spec: string, now: number = Date.now()): number | null {
  const s = spec.trim();
  if (s === "now") return now;
  const rel = /^now-(\d+)([smhdw])$/.exec(s);
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  if (/^\d{9,15}$/.test(s)) return Number(s);
  return null;
}

export interface Range {
  from: number;
  until: number;
}

/** Both ends resolved; throws a message a user can act on. */
export function resolveRange(from: string, until: string, now: number = Date.now()): Range {
  const f = resolveTime(from, now);
  const u = resolveTime(until, now);
  if (f === null) throw new Error(`bad start time "${from}": use now, now-15m, now-6h, now-7d or epoch milliseconds`);
  if (u === null) throw new Error(`bad end time "${until}": use now, now-1h or epoch milliseconds`);
  if (f >= u) throw new Error("the start of the range must be before its end");
  return { from: f, until: u };
}

/** `2026-11-29 14:03` in the viewer's local time (absolute inputs and labels). */
export function formatLocal(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Value for <input type="datetime-local">. */
export function toLocalInput(ms: number): string {
  return formatLocal(ms).replace(" ", "T");
}

export function describeRange(from: string, until: string): string {
  const preset = PRESETS.find((p) => p.from === from);
  if (preset && until === "now") return `Last ${preset.label}`;
  const r = (() => {
    try {
      return resolveRange(from, until);
    } catch {
      return null;
    }
  })();
  return r ? `${formatLocal(r.from)} → ${formatLocal(r.until)}` : `${from} → ${until}`;
}
