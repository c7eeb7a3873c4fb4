// Test-only helpers: start target processes and assemble a PyBpfConfig from the collector's offsets table
// (src/python/offsets.ts) and what nm and /proc/PID/mem tell. The real discovery lives in src/python (detect.ts).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requirePython } from "../../python/interpreters.js";
import { bpfConfigOf, GLIBC_TSD_DYNAMIC, GLIBC_TSD_STATIC, offsetsFor, type PyOffsets } from "../../python/offsets.js";
import type { PyBpfConfig } from "../types.js";

/** pyenv builds (shared libpython) and Debian's /usr/bin/python3.11 (3.11.2, interpreter in a non-PIE executable). */
export type PyVersion = "3.11.7" | "3.12.1" | "3.13.0" | "debian-3.11";

export function is311(v: PyVersion): boolean {
  return v === "3.11.7" || v === "debian-3.11";
}

/** The offsets table the collector uses (src/python/offsets.ts); Debian's 3.11.2 has 3.11.7's layout. */
function offsets(v: PyVersion): PyOffsets {
  return offsetsFor(3, is311(v) ? 11 : Number(v.split(".")[1]))!;
}

/** The interpreter's executable (a missing one fails the test with the command that installs it). */
export function pythonBin(v: PyVersion): string {
  return requirePython(v, { shared: v !== "debian-3.11" }).executable;
}

/** The ELF file holding _PyRuntime. */
function libpython(v: PyVersion): string {
  return requirePython(v, { shared: v !== "debian-3.11" }).runtimeFile;
}

export function readMem(pid: number, addr: bigint, len: number): Buffer {
  const fd = openSync(`/proc/${pid}/mem`, "r");
  try {
    const buf = Buffer.alloc(len);
    const n = readSync(fd, buf, 0, len, addr);
    if (n !== len) throw new Error(`short read of ${len} bytes at 0x${addr.toString(16)} in ${pid}`);
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** Load bias of `file` in `pid`: 0 for a non-PIE executable, else the start of its mapping at file offset 0. */
export function loadBase(pid: number, file: string): bigint {
  if (readFileSync(file).readUInt16LE(16) === 2) return 0n; // e_type == ET_EXEC
  for (const line of readFileSync(`/proc/${pid}/maps`, "utf8").split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f[5] === file && f[2] === "00000000") return BigInt(`0x${f[0]!.split("-")[0]}`);
  }
  throw new Error(`${file} is not mapped in ${pid}`);
}

function dynSymbol(file: string, name: string): bigint {
  const out = execFileSync("nm", ["-D", "--defined-only", file], { encoding: "utf8" });
  for (const line of out.split("\n")) {
    const f = line.split(" ");
    if (f[2] === name) return BigInt(`0x${f[0]}`);
  }
  throw new Error(`${name} not found in ${file}`);
}

export function pyConfig(v: PyVersion, pid: number): PyBpfConfig {
  const o = offsets(v);
  const lib = libpython(v);
  const base = loadBase(pid, lib);
  const runtime = base + dynSymbol(lib, "_PyRuntime");
  const tssKey = readMem(pid, runtime + BigInt(o.runtime.autoTSSkey + 4), 4).readUInt32LE(0);
  const versionHex = readMem(pid, base + dynSymbol(lib, "Py_Version"), 4).readUInt32LE(0);
  return bpfConfigOf(o, {
    versionHex,
    tssKey,
    tsdStaticOffset: GLIBC_TSD_STATIC,
    tsdDynamicOffset: GLIBC_TSD_DYNAMIC,
    noneAddr: v === "3.13.0" ? base + dynSymbol(lib, "_Py_NoneStruct") : 0n,
  });
}

/** co_name of a code object in the target (ASCII names only). */
export function codeName(v: PyVersion, pid: number, code: bigint): string {
  const o = offsets(v);
  const str = readMem(pid, code + BigInt(o.code.name), 8).readBigUInt64LE(0);
  const len = Number(readMem(pid, str + 0x10n, 8).readBigInt64LE(0));
  return readMem(pid, str + BigInt(o.unicode.asciiData), len).toString("latin1");
}

/** co_firstlineno of a code object. */
export function codeFirstLine(v: PyVersion, pid: number, code: bigint): number {
  return readMem(pid, code + BigInt(offsets(v).code.firstLineNo), 4).readInt32LE(0);
}

export interface Target {
  proc: ChildProcess;
  pid: number;
  /** What it printed up to and including `ready`. */
  output: string;
  kill(): void;
}

/** Starts `cmd args` and resolves once it printed `ready` on stdout. */
export function startTarget(cmd: string, args: string[]): Promise<Target> {
  const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
  const kill = () => {
    if (proc.exitCode === null) proc.kill("SIGKILL");
  };
  return new Promise((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready")) resolve({ proc, pid: proc.pid!, output: out, kill });
    });
    proc.on("error", reject);
    proc.on("exit", (code) => reject(new Error(`${cmd} exited with ${code} before it was ready`)));
  });
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "perforator-sampler-test-"));
}

export function writeFile(dir: string, name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
