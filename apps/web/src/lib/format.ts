/** Human units for profile totals: nanoseconds as time, counts as plain numbers, bytes as sizes. */
export function formatTotal(value: bigint | number, unit: string): string {
  const v = Number(value);
  if (unit === "nanoseconds") {
    if (v >= 3.6e12) return `${(v / 3.6e12).toFixed(2)} h`;
    if (v >= 6e10) return `${(v / 6e10).toFixed(2)} min`;
    if (v >= 1e9) return `${(v / 1e9).toFixed(2)} s`;
    if (v >= 1e6) return `${(v / 1e6).toFixed(1)} ms`;
    return `${(v / 1e3).toFixed(1)} µs`;
  }
  if (unit === "bytes") {
    if (v >= 2 ** 30) return `${(v / 2 ** 30).toFixed(2)} GiB`;
    if (v >= 2 ** 20) return `${(v / 2 ** 20).toFixed(1)} MiB`;
    if (v >= 1024) return `${(v / 1024).toFixed(1)} KiB`;
    return `${v} B`;
  }
  return `${v.toLocaleString("en-US")} ${unit === "count" ? "" : unit}`.trim();
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = s / 60;
  if (m < 120) return `${m.toFixed(1)} min`;
  return `${(m / 60).toFixed(1)} h`;
}

export function formatDate(d: Date): string {
  return d
    .toISOString()
    .replace("T", " ")
    .replace(/:\d\d\.\d+Z$/, " UTC");
}
