/** `next start` of the built app on a free loopback port, for browser tests and the bench. */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const NEXT_BIN = path.join(APP_DIR, "node_modules", "next", "dist", "bin", "next");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface WebServer {
  base: string;
  log: string[];
  stop(): Promise<void>;
}

/** Starts the `.next` build (run `pnpm --filter @perforator/web build` first) on the given data dir. */
export async function startWeb(env: Record<string, string>): Promise<WebServer> {
  if (!existsSync(path.join(APP_DIR, ".next", "BUILD_ID"))) {
    throw new Error("apps/web/.next is missing: run `pnpm --filter @perforator/web build` before this test");
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log: string[] = [];
  const child: ChildProcess = spawn(process.execPath, [NEXT_BIN, "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: APP_DIR,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1", PERFORATOR_WEB_URL: base, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (c: Buffer) => log.push(c.toString()));
  child.stderr!.on("data", (c: Buffer) => log.push(c.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`next start exited (${child.exitCode}):\n${log.join("")}`);
    try {
      if ((await fetch(`${base}/api/trpc/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`next start did not answer in 60 s:\n${log.join("")}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    base,
    log,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export interface IngestServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * The ingest service (`apps/ingest/dist/main.js`, build it first) on a free port: resolves with the URL it logs
 * once listening.
 */
export async function startIngest(env: Record<string, string>): Promise<IngestServer> {
  const main = path.resolve(APP_DIR, "..", "ingest", "dist", "main.js");
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`pnpm --filter @perforator/ingest build\` first`);
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: string[] = [];
  child.stderr!.on("data", (c: Buffer) => log.push(c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ingest did not start in 30 s:\n${log.join("")}`)), 30_000);
    child.stdout!.on("data", (c: Buffer) => {
      log.push(c.toString());
      const m = /listening on (http:\/\/[^\s"]+)/.exec(log.join(""));
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`ingest exited (${code}):\n${log.join("")}`));
    });
  });
  return {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
