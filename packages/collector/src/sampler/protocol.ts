// Parser of the perforator-sampler stdout protocol (native/PROTOCOL.md) and formatter of its commands. Pure: no I/O.
import type { PyBpfConfig, RawPyFrame, RawStack } from "./types.js";

export type SamplerLine =
  | { kind: "ready"; cpus: number; freq: number; progId: number; exitWatch: boolean }
  | { kind: "ok"; command: string; arg: string }
  | { kind: "fail"; command: string; message: string }
  | { kind: "error"; errno: string; stage: string; message: string }
  | { kind: "stack"; stack: RawStack }
  | { kind: "drops"; lost: number; samples: number; drops: Record<string, number> }
  | { kind: "gone"; pid: number }
  | { kind: "exit"; pid: number }
  | { kind: "end"; count: number }
  | { kind: "bye" };

export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly line: string,
  ) {
    super(`${message} in sampler output line: ${line.length > 200 ? `${line.slice(0, 200)}...` : line}`);
    this.name = "ProtocolError";
  }
}

const HEX = /^[0-9a-f]+$/;
const DEC = /^[0-9]+$/;

function dec(s: string | undefined, line: string, what: string): number {
  if (s === undefined || !DEC.test(s)) throw new ProtocolError(`expected a decimal ${what}, got '${s ?? ""}'`, line);
  return Number(s);
}

function hex(s: string, line: string, what: string): bigint {
  if (!HEX.test(s)) throw new ProtocolError(`expected a hex ${what}, got '${s}'`, line);
  return BigInt(`0x${s}`);
}

/**
 * Decodes a hex-encoded comm (`-` = empty) as UTF-8, which is what thread names set by programs are in practice; bytes
 * that are not valid UTF-8 (e.g. a character cut by the kernel's 15-byte limit) become U+FFFD.
 */
export function decodeComm(s: string, line = s): string {
  if (s === "-") return "";
  if (s.length % 2 !== 0 || !HEX.test(s)) throw new ProtocolError(`bad hex-encoded name '${s}'`, line);
  return Buffer.from(s, "hex").toString("utf8");
}

function addrs(s: string | undefined, line: string): bigint[] {
  if (s === undefined) throw new ProtocolError("missing stack field", line);
  if (s === "-") return [];
  return s.split(",").map((a) => hex(a, line, "address"));
}

function pyFrames(s: string | undefined, line: string): RawPyFrame[] {
  if (s === undefined) throw new ProtocolError("missing python field", line);
  if (s === "-") return [];
  return s.split(",").map((f) => {
    const parts = f.split(":");
    if (parts.length !== 4) throw new ProtocolError(`bad python frame '${f}'`, line);
    const [code, instr, guard, flags] = parts as [string, string, string, string];
    if (!/^-?[0-9]+$/.test(instr)) throw new ProtocolError(`bad instruction offset '${instr}'`, line);
    return {
      codeAddr: hex(code, line, "code address"),
      instrOffset: Number(instr),
      guard: dec(guard, line, "guard"),
      flags: dec(flags, line, "flags"),
    };
  });
}

function keyValues(fields: string[], line: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of fields) {
    const eq = f.indexOf("=");
    if (eq <= 0) throw new ProtocolError(`expected key=value, got '${f}'`, line);
    out[f.slice(0, eq)] = dec(f.slice(eq + 1), line, f.slice(0, eq));
  }
  return out;
}

/**
 * For an `s` line: its count and a key made of every other field (equal for equal stacks in any flush), without
 * parsing the stacks, so a stack seen before is counted without decoding it again. null for other lines.
 */
export function stackLineKey(line: string): { key: string; count: number } | null {
  if (line.charCodeAt(0) !== 0x73 /* s */ || line.charCodeAt(1) !== 0x20) return null;
  const a = line.indexOf(" ", 2); // after pid
  const b = a < 0 ? -1 : line.indexOf(" ", a + 1); // after tid
  const c = b < 0 ? -1 : line.indexOf(" ", b + 1); // after count
  if (c < 0) return null;
  let count = 0;
  for (let i = b + 1; i < c; i++) {
    const d = line.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    count = count * 10 + d;
  }
  if (c === b + 1) return null;
  return { key: line.slice(2, b) + line.slice(c), count };
}

/**
 * Decoded stack fields by their text, shared between stack lines: stacks that differ only in some fields (e.g. the
 * sampled native IP) reuse the decoded arrays of the others. Returned arrays are shared: never modify them.
 */
export class StackFieldCache {
  private readonly native = new Map<string, bigint[]>();
  private readonly python = new Map<string, RawPyFrame[]>();
  constructor(private readonly maxEntries = 1 << 15) {}
  addrs(s: string | undefined, line: string): bigint[] {
    return this.decode(this.native, s, line, addrs);
  }
  pyFrames(s: string | undefined, line: string): RawPyFrame[] {
    return this.decode(this.python, s, line, pyFrames);
  }
  /** `parse(s, line)`, memoised by the field's text; "-" (empty) is not worth caching. */
  private decode<T>(
    cache: Map<string, T>,
    s: string | undefined,
    line: string,
    parse: (s: string | undefined, line: string) => T,
  ): T {
    if (s === undefined || s === "-") return parse(s, line);
    let v = cache.get(s);
    if (v === undefined) {
      v = parse(s, line);
      if (cache.size >= this.maxEntries) cache.clear();
      cache.set(s, v);
    }
    return v;
  }
}

/**
 * Parses one stdout line of the sampler. Throws ProtocolError on anything not in native/PROTOCOL.md. With `fields`,
 * stack fields already decoded for an earlier line are reused (the same array objects).
 */
export function parseLine(line: string, fields?: StackFieldCache): SamplerLine {
  const f = line.split(" ");
  switch (f[0]) {
    case "s": {
      if (f.length !== 10) throw new ProtocolError(`expected 10 fields in a stack line, got ${f.length}`, line);
      return {
        kind: "stack",
        stack: {
          pid: dec(f[1], line, "pid"),
          tid: dec(f[2], line, "tid"),
          count: dec(f[3], line, "count"),
          pyStatus: dec(f[4], line, "pyStatus"),
          threadName: decodeComm(f[5]!, line),
          processName: decodeComm(f[6]!, line),
          kernel: fields ? fields.addrs(f[7], line) : addrs(f[7], line),
          user: fields ? fields.addrs(f[8], line) : addrs(f[8], line),
          python: fields ? fields.pyFrames(f[9], line) : pyFrames(f[9], line),
        },
      };
    }
    case "drops": {
      const kv = keyValues(f.slice(1), line);
      const { lost = 0, samples = 0, ...drops } = kv;
      return { kind: "drops", lost, samples, drops };
    }
    case "gone":
      return { kind: "gone", pid: dec(f[1], line, "pid") };
    case "exit":
      return { kind: "exit", pid: dec(f[1], line, "pid") };
    case "end":
      return { kind: "end", count: dec(f[1], line, "count") };
    case "ready": {
      const kv = keyValues(f.slice(1), line);
      return {
        kind: "ready",
        cpus: kv.cpus ?? 0,
        freq: kv.freq ?? 0,
        progId: kv.prog ?? 0,
        exitWatch: kv.exitwatch === 1,
      };
    }
    case "ok":
      return { kind: "ok", command: f[1] ?? "", arg: f.slice(2).join(" ") };
    case "fail":
      return { kind: "fail", command: f[1] ?? "", message: f.slice(2).join(" ") };
    case "error":
      return { kind: "error", errno: f[1] ?? "EOTHER", stage: f[2] ?? "", message: f.slice(3).join(" ") };
    case "bye":
      return { kind: "bye" };
    default:
      throw new ProtocolError(`unknown record '${f[0]}'`, line);
  }
}

const PY_KEYS: (keyof PyBpfConfig)[] = [
  "versionHex",
  "tssKey",
  "tsdStaticOffset",
  "tsdDynamicOffset",
  "tstateCurrentFrame",
  "cframeCurrentFrame",
  "frameCode",
  "framePrevious",
  "frameInstr",
  "frameOwner",
  "frameIsEntry",
  "codeAdaptive",
  "codeVersion",
  "codeFirstLineNo",
  "noneAddr",
  "ownerCStack",
];

/** The `py <pid> key=value ...` command for a Python config. Throws if a field is missing or not an integer. */
export function formatPyCommand(pid: number, cfg: PyBpfConfig): string {
  const parts = [`py ${pid}`];
  for (const k of PY_KEYS) {
    const v = cfg[k];
    if (typeof v === "bigint") {
      if (v < 0n) throw new RangeError(`PyBpfConfig.${k} must not be negative, got ${v}`);
      parts.push(`${k}=0x${v.toString(16)}`);
    } else if (typeof v === "number" && Number.isInteger(v)) {
      parts.push(`${k}=${v}`);
    } else {
      throw new TypeError(`PyBpfConfig.${k} must be an integer, got ${String(v)}`);
    }
  }
  return parts.join(" ");
}
