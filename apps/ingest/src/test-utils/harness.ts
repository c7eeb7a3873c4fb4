/** Test helpers: spawn the real service and admin CLI, PostgreSQL schemas, profile fixtures, store counts. */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ProfileBuilder, toPprof } from "@perforator/profile";
import pg from "pg";

const DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist");
export const MAIN = path.join(DIST, "main.js");
export const ADMIN = path.join(DIST, "admin.js");

export const PG_URL = process.env.DATABASE_URL_TEST?.trim() || undefined;
export const PG_SKIP_REASON = "set DATABASE_URL_TEST=postgresql://… to run the PostgreSQL tests";

export function tempDir(prefix = "perforator-ingest-"): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A schema of our own in the test database, dropped by `drop()`. */
export async function pgSchema(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!PG_URL) throw new Error(PG_SKIP_REASON);
  const schema = `ingest_${randomBytes(5).toString("hex")}`;
  const url = new URL(PG_URL);
  url.searchParams.set("schema", schema);
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface Service {
  child: ChildProcess;
  url: string;
  logs: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function serviceEnv(dataDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: "0",
    HOST: "127.0.0.1",
    PERFORATOR_DATA_DIR: dataDir,
    LOG_LEVEL: "info",
    ...extra,
  };
  if (!extra.DATABASE_URL) delete env.DATABASE_URL;
  if (!extra.PERFORATOR_BLOB_URL) delete env.PERFORATOR_BLOB_URL;
  return env;
}

/** Starts dist/main.js; resolves with its URL once it listens. */
export async function startService(env: NodeJS.ProcessEnv): Promise<Service> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm --filter @perforator/ingest build\` first`);
  const child = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
  const logs: string[] = [];
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ingest did not start in 30 s:\n${logs.join("\n")}`)), 30_000);
    let buf = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logs.push(line);
        const m = /"url":"(http:\/\/[^"]+)"/.exec(line);
        if (m && /listening/.test(line)) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
        nl = buf.indexOf("\n");
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => logs.push(chunk.toString()));
    void exit.then((e) => {
      clearTimeout(timer);
      reject(new Error(`ingest exited early (${e.code ?? e.signal}):\n${logs.join("\n")}`));
    });
  });
  return { child, url, logs, exit };
}

export async function stopService(s: Service | undefined): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill("SIGKILL");
  await s.exit;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function admin(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ADMIN, ...args], { env }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === "number" ? code : 1, stdout, stderr });
    });
  });
}

/** `admin token create`; returns the token (the last line of stdout). */
export async function createToken(env: NodeJS.ProcessEnv, team: string, scope: "ingest" | "read"): Promise<string> {
  const r = await admin(["token", "create", "--team", team, "--scope", scope], env);
  if (r.code !== 0) throw new Error(`admin token create failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim().split("\n").at(-1)!;
}

/** Files under the blob directory of an embedded store (0 when it does not exist). */
export function countBlobFiles(dataDir: string): number {
  const root = path.join(dataDir, "blobs");
  if (!existsSync(root)) return 0;
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (!e.startsWith(".")) n++;
    }
  };
  walk(root);
  return n;
}

export { realisticPprof, realisticProfile } from "../fixtures.js";

/** A small two-stack gzipped pprof. */
export function smallPprof(seed = 0): Buffer {
  const b = new ProfileBuilder([{ type: "cpu", unit: "nanoseconds" }], {
    timeNanos: Date.parse("2026-11-25T12:00:00Z") * 1e6 + seed,
    durationNanos: 10e9,
    period: 1e9 / 99,
  });
  const f = (name: string) => ({ name, file: "/srv/app.py", line: 1, kind: "python" as const, module: "" });
  b.addFrames([f("main"), f("search_user")], [9e9 + seed]);
  b.addFrames([f("main"), f("render")], [1e9]);
  return Buffer.from(toPprof(b.build()));
}

export async function post(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const r = await fetch(url, { method: "POST", body, headers });
  const text = await r.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: r.status, json, headers: r.headers };
}

/** A real S3 API server (s3rver) on a free loopback port with bucket `profiles`; `blobUrl` for PERFORATOR_BLOB_URL. */
export async function startS3(): Promise<{ blobUrl: string; close: () => Promise<void> }> {
  const { default: S3rver } = await import("s3rver");
  const dir = tempDir("perforator-s3-");
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    directory: dir.dir,
    silent: true,
    configureBuckets: [{ name: "profiles" }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    blobUrl: `s3://profiles/ingest-test?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1&accessKeyId=S3RVER&secretAccessKey=S3RVER`,
    close: async () => {
      await server.close();
      dir.remove();
    },
  };
}
