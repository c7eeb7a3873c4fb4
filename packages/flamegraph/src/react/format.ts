/** Human-readable value in the profile's unit. */
export function formatValue(v: number, unit: string): string {
  if (unit === "nanoseconds") {
    if (v >= 1e9) return `${(v / 1e9).toFixed(2)} s`;
    if (v >= 1e6) return `${(v / 1e6).toFixed(2)} ms`;
    if (v >= 1e3) return `${(v / 1e3).toFixed(1)} µs`;
    return `${Math.round(v)} ns`;
  }
  if (unit === "bytes") {
    if (v >= 1 << 30) return `${(v / (1 << 30)).toFixed(2)} GiB`;
    if (v >= 1 << 20) return `${(v / (1 << 20)).toFixed(2)} MiB`;
    if (v >= 1 << 10) return `${(v / (1 << 10)).toFixed(1)} KiB`;
    return `${v} B`;
  }
  const n = Math.round(v).toLocaleString("en-US");
  return `${n} ${Math.round(v) === 1 ? "sample" : "samples"}`;
}

/** Signed percentage-point change, e.g. "+12.30 pp". */
export function formatDelta(d: number): string {
  const p = d * 100;
  const s = p > 0 ? "+" : p < 0 ? "−" : "±";
  return `${s}${Math.abs(p).toFixed(2)} pp`;
}
