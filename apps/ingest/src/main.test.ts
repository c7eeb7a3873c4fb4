import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist/main.js");

interface Server {
  child: ChildProcess;
  url: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  logs: string[];
}

let dataDir = "";
let server: Server | undefined;
afterEach(() => {
  if (server?.child.exitCode === null) server.child.kill("SIGKILL");
  server = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts dist/main.js on a free loopback port with its own data dir; resolves once it listens. */
async function start(): Promise<Server> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`pnpm --filter @perforator/ingest build\` first`);
  dataDir = mkdtempSync(path.join(tmpdir(), "perforator-ingest-main-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: "0",
    HOST: "127.0.0.1",
    PERFORATOR_DATA_DIR: dataDir,
    LOG_LEVEL: "info",
  };
  delete env.DATABASE_URL;
  const child = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
  const logs: string[] = [];
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ingest did not start in 15 s:\n${logs.join("\n")}`)), 15_000);
    let buf = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logs.push(line);
        const m = /"url":"(http:\/\/[^"]+)"/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
        nl = buf.indexOf("\n");
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => logs.push(chunk.toString()));
    void exit.then((e) => reject(new Error(`ingest exited early (${e.code ?? e.signal}):\n${logs.join("\n")}`)));
  });
  return { child, url, exit, logs };
}

describe("dist/main.js", () => {
  it("serves /healthz and /readyz, then exits 0 on SIGTERM", async () => {
    server = await start();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", db: { kind: "sqlite" } });
    expect(existsSync(path.join(dataDir, "perforator.db"))).toBe(true);
    server.child.kill("SIGTERM");
    expect(await server.exit).toEqual({ code: 0, signal: null });
  });

  it("finishes an upload that is in flight when SIGTERM arrives", async () => {
    server = await start();
    const { url, child, exit } = server;
    const body = Buffer.from("main;handle;search_user 97\nmain;handle;render 3\n");
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${url}/ingest?name=slow.client.cpu&from=now-10s&until=now`,
        { method: "POST", headers: { "content-type": "text/plain", "content-length": body.length } },
        (res) => {
          let text = "";
          res.on("data", (c: Buffer) => {
            text += c.toString();
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on("error", reject);
      // Half the body now, SIGTERM, the rest a moment later.
      req.write(body.subarray(0, 10));
      setTimeout(() => {
        child.kill("SIGTERM");
        setTimeout(() => req.end(body.subarray(10)), 300);
      }, 200);
    });
    const r = await response;
    expect(r.status, r.body).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ stored: true, service: "slow.client", totalValue: "100" });
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(server.logs.join("\n")).toMatch(/SIGTERM: shutting down/);
  });

  it("refuses a bad PORT with a message and exit code 1", async () => {
    const child = spawn(process.execPath, [MAIN], {
      env: { ...process.env, PORT: "http" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code).toBe(1);
    expect(err).toMatch(/PORT="http" is not a TCP port/);
  });
});
