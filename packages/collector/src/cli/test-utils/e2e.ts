/** Helpers for the end-to-end tests: run the built CLI and real workloads (src/testing), read what it wrote. */
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type Frame, type Profile, parseProfile } from "@perforator/profile";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { PKG, WORKLOADS } from "../../testing/index.js";

export {
  CLI,
  type CliRun,
  freePort,
  PKG,
  python,
  runCli,
  startWorkload,
  tmp,
  WORKLOADS,
  type Workload,
} from "../../testing/index.js";

/**
 * Copies the built CLI and its runtime dependencies (package.json `dependencies`, recursively, symlinks followed) into a world-readable temp dir and returns the copied cli.js: another user can run it even when the
 * checkout itself is unreadable to them (a clone inside a 0700 directory). The caller removes `dir`.
 */
export function readableCliCopy(): { cli: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "perforator-cli-copy-"));
  chmodSync(dir, 0o755);
  copyPackage(PKG, join(dir, "collector"));
  return { cli: join(dir, "collector/dist/cli.js"), dir };
}

function copyPackage(from: string, to: string): void {
  const pkg = JSON.parse(readFileSync(join(from, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  // The whole package but its node_modules (`files` may hold globs; packages are small).
  cpSync(from, to, {
    recursive: true,
    dereference: true,
    filter: (src) => !src.slice(from.length).split("/").includes("node_modules"),
  });
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    copyPackage(resolvePackageDir(from, dep), join(to, "node_modules", dep));
  }
}

/** Where Node would find package `name` from `from` (node_modules of `from` or an ancestor), symlinks resolved. */
function resolvePackageDir(from: string, name: string): string {
  for (let d = from; ; d = dirname(d)) {
    const candidate = join(d, "node_modules", name);
    if (existsSync(join(candidate, "package.json"))) return realpathSync(candidate);
    if (dirname(d) === d) throw new Error(`cannot find package ${name} from ${from}`);
  }
}

/** Reads a `-f json` output with the profile package's own deserializer. */
export function readJsonProfile(path: string): Profile {
  return parseProfile(readFileSync(path, "utf8"));
}

export function stacks(
  p: Profile,
  valueIndex = 0,
): { frames: Frame[]; value: number; labels: Profile["samples"][number]["labels"] }[] {
  return p.samples.map((s) => ({
    frames: s.stack.map((i) => p.frames[i]!),
    value: s.values[valueIndex] ?? 0,
    labels: s.labels,
  }));
}

/** Sum of samples whose stack has a frame satisfying `pred` (inclusive time). */
export function inclusive(p: Profile, pred: (f: Frame) => boolean, within?: (f: Frame) => boolean): number {
  let t = 0;
  for (const s of stacks(p)) {
    if (within && !s.frames.some(within)) continue;
    if (s.frames.some(pred)) t += s.value;
  }
  return t;
}

export const py = (name: string) => (f: Frame) => f.kind === "python" && f.name === name;

/** Python frames of a stack only, root first, joined with ";" (the nesting a user reads in the flamegraph). */
export function pythonPath(frames: Frame[]): string {
  return frames
    .filter((f) => f.kind === "python")
    .map((f) => f.name)
    .join(";");
}

/** Sum of folded lines whose stack contains the given Python functions as consecutive frames. */
export function foldedCount(folded: string, names: string[]): number {
  const esc = (n: string) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`(^|;)${names.map((n) => `${esc(n)}( \\([^;]*\\))?`).join(";")}(;| \\d+$)`);
  let t = 0;
  for (const line of folded.split("\n")) {
    if (line && re.test(line)) t += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return t;
}

export function compileNative(dir: string): string {
  const out = join(dir, "native");
  execFileSync("gcc", ["-O0", "-fno-omit-frame-pointer", "-o", out, join(WORKLOADS, "native.c")]);
  return out;
}

/** One headless Chromium for a test file (started in beforeAll, closed in afterAll); call `browser()` inside tests. */
export function useChromium(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error("Chromium is not started: call useChromium() at the top of the test file");
    return browser;
  };
}
