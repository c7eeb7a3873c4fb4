/**
 * This ingest (dist/main.js, embedded store) as the collector's end-to-end tests (src/collector-e2e.test.ts) use it:
 * on 127.0.0.1 with a temporary PERFORATOR_DATA_DIR, stopped and started again on the same port (an outage), with its
 * read API and admin CLI.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { admin, type Service, serviceEnv, startService, tempDir } from "./harness.js";

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
  /** The admin CLI (dist/admin.js) against this data directory: its stdout; throws when it fails. */
  admin(args: string[]): Promise<string>;
}

export async function startIngest(): Promise<RunningIngest> {
  const { dir: dataDir } = tempDir();
  let service: Service = await startService(serviceEnv(dataDir));
  const url = service.url.replace(/\/$/, "");
  const port = new URL(url).port;
  const token = readFileSync(path.join(dataDir, "ingest-token"), "utf8").trim();
  const auth = (t?: string) => ({ authorization: `Bearer ${t ?? token}` });
  return {
    url,
    dataDir,
    token,
    async stop() {
      const { child, exit } = service;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(t);
    },
    async start() {
      service = await startService(serviceEnv(dataDir, { PORT: port }));
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
    async admin(args) {
      const r = await admin(args, serviceEnv(dataDir));
      if (r.code !== 0) throw new Error(`admin ${args.join(" ")} failed (exit ${r.code}):\n${r.stderr}`);
      return r.stdout;
    },
  };
}
