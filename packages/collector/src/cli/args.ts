/**
 * Parsing and validation of the `perforator` command-line values. Every failure is a
 * `UsageError` that names the flag, says what was wrong and what is accepted; the CLI
 * turns it into exit code 64 (EX_USAGE) with the usage hint.
 */
import { UsageError } from "../errors.js";
import { OUTPUT_FORMATS, type OutputFormat } from "../output/encode.js";
import type { ListenAddress } from "../output/serve.js";

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `500ms`, `30s`, `1m`, `1h`, `1.5s`, `1m30s`; a bare number is seconds. Returns milliseconds.
 */
export function parseDuration(value: string, flag = "--duration"): number {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    const ms = Number(text) * 1000;
    if (ms > 0) return ms;
  } else if (/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) {
    let total = 0;
    for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    if (total > 0) return Math.round(total);
  }
  throw new UsageError(
    `invalid value for ${flag}: "${value}" is not a positive duration; use e.g. 500ms, 30s, 1m, 1h or 1m30s`,
  );
}

export const FREQ_MIN = 1;
export const FREQ_MAX = 10_000;

export function parseFreq(value: string, flag = "--freq"): number {
  const text = value.trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < FREQ_MIN || n > FREQ_MAX) {
    throw new UsageError(
      `invalid value for ${flag}: "${value}" is not a sampling frequency; use an integer in Hz from ${FREQ_MIN} to ${FREQ_MAX} (default 99)`,
    );
  }
  return n;
}

/** One `--pid` occurrence: `123` or `123,456`. Appends to `previous` (the flag is repeatable). */
export function parsePids(value: string, previous: number[] = []): number[] {
  const out = previous.slice();
  for (const part of value.split(",")) {
    const text = part.trim();
    const n = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1 || n > 4_194_304) {
      throw new UsageError(
        `invalid value for --pid: "${part}" is not a process id; pass positive integers, e.g. --pid 123 or --pid 123,456`,
      );
    }
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** `:9006`, `9006`, `localhost:9006`, `0.0.0.0:9006`, `[::1]:9006`. Port 0 picks a free port. */
export function parseListenAddress(value: string, flag = "--serve"): ListenAddress {
  const text = value.trim();
  let host: string;
  let portText: string;
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2]!;
  } else if (/^\d+$/.test(text)) {
    host = "";
    portText = text;
  } else {
    const idx = text.lastIndexOf(":");
    if (idx < 0 || text.indexOf(":") !== idx) {
      throw new UsageError(
        `invalid value for ${flag}: "${value}" is not an address; use [HOST]:PORT, e.g. :9006 or 127.0.0.1:9006`,
      );
    }
    host = text.slice(0, idx);
    portText = text.slice(idx + 1);
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    throw new UsageError(
      `invalid value for ${flag}: port "${portText}" in "${value}" is not a TCP port; use 0..65535, e.g. :9006`,
    );
  }
  return { host, port };
}

const FORMAT_ALIASES: Record<string, OutputFormat> = {
  html: "html",
  flamegraph: "html",
  pprof: "pprof",
  folded: "folded",
  collapsed: "folded",
  json: "json",
};

export function parseFormat(value: string, flag = "--format"): OutputFormat {
  const f = FORMAT_ALIASES[value.trim().toLowerCase()];
  if (!f) {
    throw new UsageError(
      `invalid value for ${flag}: "${value}" is not a format; use one of ${OUTPUT_FORMATS.join(", ")}`,
    );
  }
  return f;
}

/** Default file name when neither -o nor -S is given. */
export function defaultOutputName(format: OutputFormat): string {
  switch (format) {
    case "html":
      return "perforator.html";
    case "pprof":
      return "perforator.pb.gz";
    case "folded":
      return "perforator.folded";
    case "json":
      return "perforator.json";
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return `${m}m${String(rest).padStart(2, "0")}s`;
}
