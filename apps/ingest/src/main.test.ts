/**
 * The real service (dist/main.js) and admin CLI (dist/admin.js) as processes: first-start bootstrap,
 * admin commands and exit codes, SIGTERM drain, and an acknowledged upload surviving kill -9.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { request } from "node:http";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  admin,
  createToken,
  MAIN,
  post,
  type Service,
  serviceEnv,
  smallPprof,
  startService,
  stopService,
  tempDir,
} from "./test-utils/harness.js";

let server: Service | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await stopService(server);
  server = undefined;
  for (const c of cleanups.splice(0)) c();
});

function dataDir(): string {
  const t = tempDir("perforator-ingest-main-");
  cleanups.push(t.remove);
  return t.dir;
}

describe("dist/main.js", () => {
  it("first start: creates team default and an ingest token file (0600), says where; uploads with it work", async () => {
    const dir = dataDir();
    server = await startService(serviceEnv(dir));
    const tokenFile = path.join(dir, "ingest-token");
    expect(server.logs.join("\n")).toContain(tokenFile);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const token = readFileSync(tokenFile, "utf8").trim();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(await ready.json()).toMatchObject({ status: "ready", db: { kind: "sqlite" } });
    const r = await post(`${server.url}/api/v1/profiles?service=first`, smallPprof(), {
      authorization: `Bearer ${token}`,
    });
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(r.json.url).toBe(`http://127.0.0.1:3000/p/${r.json.id}`);

    // A second start keeps the token (no new team, no new file).
    server.child.kill("SIGTERM");
    expect(await server.exit).toEqual({ code: 0, signal: null });
    server = await startService(serviceEnv(dir, { PERFORATOR_WEB_URL: "https://perf.example.com/" }));
    expect(server.logs.join("\n")).not.toContain("first start");
    expect(readFileSync(tokenFile, "utf8").trim()).toBe(token);
    const again = await post(`${server.url}/api/v1/profiles?service=first`, smallPprof(1), {
      authorization: `Bearer ${token}`,
    });
    expect(again.json.url).toBe(`https://perf.example.com/p/${again.json.id}`);
  });

  it("admin CLI: teams and tokens, the token as the last line, clear errors and exit codes", async () => {
    const env = serviceEnv(dataDir(), {});
    const created = await admin(["team", "create", "payments"], env);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/created team payments/);
    const dup = await admin(["team", "create", "payments"], env);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists/);
    const noTeam = await admin(["token", "create", "--team", "nope", "--scope", "read"], env);
    expect(noTeam.code).toBe(1);
    expect(noTeam.stderr).toMatch(/no team named "nope" \(teams: default, payments\)/);
    const badScope = await admin(["token", "create", "--team", "payments", "--scope", "admin"], env);
    expect(badScope.code).toBe(2);
    expect(badScope.stderr).toMatch(/--scope ingest or --scope read/);
    expect((await admin(["frobnicate"], env)).code).toBe(2);

    const ingest = await createToken(env, "payments", "ingest");
    const read = await createToken(env, "payments", "read");
    expect(ingest).not.toBe(read);
    const list = await admin(["token", "list", "--team", "payments"], env);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain(ingest);
    const ids = [...list.stdout.matchAll(/^(\S+)\s+payments\s+(ingest|read)/gm)].map((m) => [m[1], m[2]]);
    expect(ids.map((x) => x[1]).sort()).toEqual(["ingest", "read"]);

    server = await startService(env);
    const up = () =>
      post(`${server!.url}/api/v1/profiles?service=cli`, smallPprof(), { authorization: `Bearer ${ingest}` });
    expect((await up()).status).toBe(201);
    expect(
      (await post(`${server.url}/api/v1/profiles?service=cli`, smallPprof(), { authorization: `Bearer ${read}` }))
        .status,
    ).toBe(403);
    const ingestId = ids.find((x) => x[1] === "ingest")![0]!;
    const revoked = await admin(["token", "revoke", ingestId], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 2100)); // verified tokens are cached for 2 s per process
    expect((await up()).status).toBe(401);
    expect((await admin(["token", "revoke", ingestId], env)).stderr).toMatch(/already revoked/);
    expect((await admin(["token", "revoke", "nope"], env)).code).toBe(1);
  });

  it("finishes an upload that is in flight when SIGTERM arrives", async () => {
    const dir = dataDir();
    server = await startService(serviceEnv(dir));
    const token = readFileSync(path.join(dir, "ingest-token"), "utf8").trim();
    const { url, child, exit } = server;
    const body = smallPprof();
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${url}/api/v1/profiles?service=slow.client`,
        {
          method: "POST",
          headers: { "content-length": body.length, authorization: `Bearer ${token}` },
        },
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
    expect(r.status, r.body).toBe(201);
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(server.logs.join("\n")).toMatch(/SIGTERM: shutting down/);
  });

  it("every acknowledged upload survives kill -9 the next instant", async () => {
    const dir = dataDir();
    server = await startService(serviceEnv(dir, { PERFORATOR_COMPACTOR: "off" }));
    const token = readFileSync(path.join(dir, "ingest-token"), "utf8").trim();
    const auth = { authorization: `Bearer ${token}` };
    const acked: string[] = [];
    const { url } = server;
    let killed = false;
    // Four clients upload in a loop; the service is killed while requests are in flight.
    const clients = Array.from({ length: 4 }, async (_, c) => {
      for (let i = 0; !killed; i++) {
        try {
          const r = await post(
            `${url}/api/v1/profiles?service=durable&label=client:${c}`,
            smallPprof(c * 1000 + i),
            auth,
          );
          if (r.status === 201) acked.push(r.json.id as string);
        } catch {
          return; // connection reset by the kill
        }
      }
    });
    // Kill once some uploads are acknowledged (however slow the machine), with others in flight.
    for (const t0 = Date.now(); acked.length < 10 && Date.now() - t0 < 30_000; ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const before = acked.length;
    server.child.kill("SIGKILL");
    killed = true;
    expect(await server.exit).toEqual({ code: null, signal: "SIGKILL" });
    await Promise.all(clients);
    expect(before).toBeGreaterThanOrEqual(10);

    server = await startService(serviceEnv(dir, { PERFORATOR_COMPACTOR: "off" }));
    for (const id of acked) {
      const r = await fetch(`${server.url}/api/v1/profiles/${id}?format=folded`, { headers: auth });
      expect(r.status, id).toBe(200);
      expect(await r.text()).toMatch(/search_user/);
    }
  });

  it("PERFORATOR_WORKERS=2 serves from two processes on one port and drains both on SIGTERM", async () => {
    const dir = dataDir();
    server = await startService(serviceEnv(dir, { PERFORATOR_WORKERS: "2" }));
    const auth = { authorization: `Bearer ${readFileSync(path.join(dir, "ingest-token"), "utf8").trim()}` };
    const ids = await Promise.all(
      Array.from({ length: 8 }, (_, i) => post(`${server!.url}/api/v1/profiles?service=cluster`, smallPprof(i), auth)),
    );
    expect(ids.map((r) => r.status)).toEqual(Array(8).fill(201));
    const pids = new Set(server.logs.filter((l) => /listening on/.test(l)).map((l) => JSON.parse(l).pid));
    expect(pids.size).toBeGreaterThanOrEqual(2);
    server.child.kill("SIGTERM");
    expect(await server.exit).toEqual({ code: 0, signal: null });
  });

  it("refuses a bad PORT or rate limit with a message and exit code 1", async () => {
    for (const [env, msg] of [
      [{ PORT: "http" }, /PORT="http" is not a TCP port/],
      [{ PERFORATOR_RATE_LIMIT: "lots" }, /PERFORATOR_RATE_LIMIT="lots" is not valid/],
    ] as const) {
      const child = spawn(process.execPath, [MAIN], {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let err = "";
      child.stderr.on("data", (c: Buffer) => {
        err += c.toString();
      });
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      expect(code).toBe(1);
      expect(err).toMatch(msg);
    }
    expect(existsSync(MAIN)).toBe(true);
  });
});
