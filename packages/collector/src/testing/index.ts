/**
 * Process helpers for end-to-end tests of the collector: run the built CLI (dist/cli.js) and real workloads
 * (test/workloads). Built and exported as `@perforator/collector/testing`, so tests outside the package can use them:
 * apps/ingest runs the collector against the real ingest with them (src/collector-e2e.test.ts there). No test
 * framework here: the collector's own test helpers (src/cli/test-utils/e2e.ts) re-export these.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { requirePython } from "../python/interpreters.js";

/** The package directory (this file is src/testing/index.ts, or dist/testing/index.js once built). */
export const PKG = fileURLToPath(new URL("../../", import.meta.url));
export const CLI = join(PKG, "dist/cli.js");
export const WORKLOADS = join(PKG, "test/workloads");
/** The executable of the interpreter `spec` names ("3.12.1", "3.10", "debian-3.11"); a missing one fails the test with
 * one line saying how to install it. */
export const python = (spec: string) => requirePython(spec).executable;

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/cli.js ARGS` (optionally through a wrapper such as setpriv, and `cli`: another copy of cli.js) and
 * collects its output.
 */
export function runCli(
  args: string[],
  opts: {
    wrapper?: string[];
    cli?: string;
    cwd?: string;
    timeoutMs?: number;
    onStderr?: (text: string, child: ChildProcess) => void;
  } = {},
): Promise<CliRun> {
  const argv = [...(opts.wrapper ?? []), process.execPath, opts.cli ?? CLI, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd ?? tmp(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr, child);
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 90_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function tmp(): string {
  return mkdtempSync(join(tmpdir(), "perforator-e2e-"));
}

export interface Workload {
  proc: ChildProcess;
  pid: number;
  lines: string[];
  stop(): void;
}

/** Starts a workload and waits until it prints a line matching `ready`. */
export function startWorkload(cmd: string, args: string[], ready: RegExp = /^ready /): Promise<Workload> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
    const lines: string[] = [];
    let buf = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} did not become ready in 30 s; output: ${lines.join(" | ")}`));
    }, 30_000);
    proc.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        lines.push(line);
        if (ready.test(line)) {
          clearTimeout(timer);
          resolve({ proc, pid: proc.pid!, lines, stop: () => proc.kill("SIGKILL") });
        }
        nl = buf.indexOf("\n");
      }
    });
    proc.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} ${args.join(" ")} exited with ${code} before it was ready: ${lines.join(" | ")}`));
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}
