/**
 * The real ingest service (apps/ingest, embedded store) for the collector's upload and agent tests: spawned from its
 * built dist/main.js on 127.0.0.1 with a temporary PERFORATOR_DATA_DIR, stopped and started again on the same port
 * (an outage), with its read API and admin CLI.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const INGEST_DIR = fileURLToPath(new URL("../../../../../apps/ingest/", import.meta.url));
const MAIN = join(INGEST_DIR, "dist/main.js");

/** Why the real-ingest tests cannot run here, or undefined when they can. */
export function ingestMissingReason(): string | undefined {
  if (!existsSync(MAIN)) {
    return `apps/ingest is not built (${MAIN} missing): run 'pnpm exec turbo run build --filter=@perforator/ingest'`;
  }
  const dist = join(INGEST_DIR, "dist");
  const hasRoute = readdirSync(dist, { recursive: true }).some(
    (f) => String(f).endsWith(".js") && readFileSync(join(dist, String(f)), "utf8").includes("/api/v1/profiles"),
  );
  if (!hasRoute) {
    return "apps/ingest has no POST /api/v1/profiles yet (issue 9, branch `ingest`, not merged into this branch)";
  }
  return undefined;
}

export interface RunningIngest {
  url: string;
  dataDir: string;
  /** The ingest token the first start wrote to <data dir>/ingest-token. */
  token: string;
  /** Stops the process (SIGTERM, it drains requests) and waits for it. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** `GET /api/v1/profiles?…` → the ids listed. */
  listIds(query: Record<string, string | string[]>, token?: string): Promise<string[]>;
  /** `GET /api/v1/profiles/ID?format=…` */
  download(id: string, format: "json" | "pprof" | "folded", token?: string): Promise<Response>;
  /** `pnpm --dir apps/ingest admin ARGS…` against this data directory: stdout. */
  admin(args: string[]): Promise<string>;
  output(): string;
}

export async function startIngest(): Promise<RunningIngest> {
  const dataDir = mkdtempSync(join(tmpdir(), "perforator-ingest-"));
  const env: NodeJS.ProcessEnv = { ...process.env, PERFORATOR_DATA_DIR: dataDir, HOST: "127.0.0.1", PORT: "0" };
  delete env.DATABASE_URL;
  let out = "";
  let proc: ChildProcess | undefined;
  let url = "";
  const launch = (port: string) =>
    new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, [MAIN], { env: { ...env, PORT: port }, stdio: ["ignore", "pipe", "pipe"] });
      proc = p;
      const timer = setTimeout(() => reject(new Error(`the ingest did not start in 60 s:\n${out}`)), 60_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/[^\s"]+)/.exec(out.slice(-4000));
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!.replace(/\/$/, ""));
        }
      };
      p.stdout!.on("data", onData);
      p.stderr!.on("data", onData);
      p.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the ingest exited with ${code} before listening:\n${out}`));
      });
    });
  url = await launch("0");
  const tokenFile = join(dataDir, "ingest-token");
  const token = readFileSync(tokenFile, "utf8").trim();
  const port = new URL(url).port;
  const auth = (t?: string) => ({ authorization: `Bearer ${t ?? token}` });
  return {
    url,
    dataDir,
    token,
    output: () => out,
    async stop() {
      const p = proc;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once("exit", r));
      p.kill("SIGTERM");
      const t = setTimeout(() => p.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
    },
    async start() {
      out = "";
      await launch(port);
    },
    async listIds(query, t) {
      const u = new URL(`${url}/api/v1/profiles?limit=1000`);
      for (const [k, v] of Object.entries(query)) for (const x of [v].flat()) u.searchParams.append(k, x);
      const res = await fetch(u, { headers: auth(t) });
      const text = await res.text();
      if (!res.ok) throw new Error(`GET ${u} answered ${res.status}: ${text}`);
      const body = JSON.parse(text) as { profiles: { id: string }[]; nextCursor?: string | null };
      if (body.nextCursor) throw new Error(`more than 1000 profiles listed for ${u}: the test expects fewer`);
      return body.profiles.map((r) => String(r.id));
    },
    download: (id, format, t) =>
      fetch(`${url}/api/v1/profiles/${encodeURIComponent(id)}?format=${format}`, { headers: auth(t) }),
    admin: (args) =>
      new Promise((resolve, reject) => {
        execFile(
          "pnpm",
          ["--silent", "--dir", INGEST_DIR, "admin", ...args],
          { env, timeout: 60_000 },
          (err, stdout, stderr) => {
            if (err) reject(new Error(`admin ${args.join(" ")} failed: ${err.message}\n${stderr}`));
            else resolve(stdout);
          },
        );
      }),
  };
}
