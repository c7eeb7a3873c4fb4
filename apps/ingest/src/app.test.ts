/** Health probes and Pyroscope's `POST /ingest` over real HTTP (buildApp + listen on 127.0.0.1:0), embedded store. */
import path from "node:path";
import { gzipSync } from "node:zlib";
import { createApiToken, createTeam, type Database, openDatabase } from "@perforator/db";
import { importProfile, totalValue } from "@perforator/profile";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "./app.js";
import { countBlobFiles, post, smallPprof, tempDir } from "./test-utils/harness.js";

const removers: (() => void)[] = [];
function dir(): string {
  const t = tempDir();
  removers.push(t.remove);
  return t.dir;
}
afterAll(() => {
  for (const r of removers) r();
});

const FOLDED = [
  "<module>;serve_forever;handle;UserIDSearchHandler.do_GET;search_user 970",
  "<module>;serve_forever;handle;UserIDSearchHandler.do_GET;json.dumps 20",
  "<module>;serve_forever;select 10",
  "",
].join("\n");

let db: Database;
let app: FastifyInstance;
let base: string;
let dataDir: string;
let auth: Record<string, string>;
let read: string;
beforeEach(async () => {
  dataDir = dir();
  db = openDatabase({ url: `file:${path.join(dataDir, "p.db")}`, dataDir });
  await db.migrate();
  const team = await createTeam(db, "shop");
  auth = {
    authorization: `Bearer ${(await createApiToken(db, { teamId: team.id, scope: "ingest", name: "sdk" })).token}`,
  };
  read = (await createApiToken(db, { teamId: team.id, scope: "read", name: "r" })).token;
  app = buildApp({ db });
  base = await app.listen({ host: "127.0.0.1", port: 0 });
});
afterEach(async () => {
  await app.close();
  await db.close();
});

async function listed(service: string) {
  const r = await fetch(`${base}/api/v1/profiles?service=${service}`, { headers: { authorization: `Bearer ${read}` } });
  return (
    (await r.json()) as {
      profiles: { id: string; from: string; until: string; labels: Record<string, string>; format: string }[];
    }
  ).profiles;
}

describe("health", () => {
  it("/healthz answers without touching the database", async () => {
    const broken = openDatabase({ url: "postgresql://x:y@127.0.0.1:1/none", dataDir: dir() });
    const a = buildApp({ db: broken });
    const r = await a.inject({ method: "GET", url: "/healthz" });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: "ok" });
    await a.close();
    await broken.close();
  });

  it("/readyz is 200 on a migrated database, 503 with the reason when down or not migrated", async () => {
    expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ status: "ready", db: { kind: "sqlite" } });
    const down = openDatabase({ url: "postgresql://x:y@127.0.0.1:1/none", dataDir: dir() });
    const a = buildApp({ db: down });
    const r = await a.inject({ method: "GET", url: "/readyz" });
    expect(r.statusCode).toBe(503);
    expect(r.json().reason).toMatch(/cannot reach the postgres database at postgresql:\/\/x:\*\*\*@127\.0\.0\.1:1/);
    await a.close();
    await down.close();
    const d = dir();
    const fresh = openDatabase({ url: `file:${path.join(d, "fresh.db")}`, dataDir: d });
    const b = buildApp({ db: fresh });
    const r2 = await b.inject({ method: "GET", url: "/readyz" });
    expect(r2.statusCode).toBe(503);
    expect(r2.json().reason).toMatch(/not migrated/);
    await b.close();
    await fresh.close();
  });

  it("an upload while the database is unreachable is 503 with Retry-After, not 500", async () => {
    const down = openDatabase({ url: "postgresql://x:y@127.0.0.1:1/none", dataDir: dir(), pingTimeoutMs: 500 });
    const a = buildApp({ db: down, verifyToken: async () => ({ tokenId: "t", teamId: "team", scope: "ingest" }) });
    const r = await a.inject({
      method: "POST",
      url: "/api/v1/profiles?service=x",
      payload: smallPprof(),
      headers: auth,
    });
    expect(r.statusCode, r.body).toBe(503);
    expect(r.headers["retry-after"]).toBe("1");
    expect(r.json().error).toMatch(/did not answer in time.*nothing was stored, retry/);
    await a.close();
    await down.close();
  });

  it("404 names the routes", async () => {
    const r = await fetch(`${base}/nope`);
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: string }).error).toMatch(/POST \/api\/v1\/profiles/);
  });
});

describe("POST /ingest (Pyroscope push API)", () => {
  it("stores a folded upload: service from the name, labels, time range", async () => {
    const r = await post(
      `${base}/ingest?name=shop.api.cpu%7Benv%3Dstaging%2Cregion%3Deu%7D&from=1764064800&until=1764064810&sampleRate=99&spyName=pyspy&format=folded`,
      FOLDED,
      { ...auth, "content-type": "text/plain" },
    );
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ stored: true, service: "shop.api" });
    const [p] = await listed("shop.api");
    expect(p).toMatchObject({
      id: r.json.id,
      format: "folded",
      labels: { env: "staging", region: "eu", spyName: "pyspy", sampleRate: "99", __type__: "cpu" },
      from: "2025-11-25T10:00:00.000Z",
      until: "2025-11-25T10:00:10.000Z",
    });
    const folded = await fetch(`${base}/api/v1/profiles/${p!.id}?format=folded&token=${read}`);
    expect(await folded.text()).toMatch(/search_user 970/);
  });

  it("stores a gzipped pprof, dated by the profile itself when from/until are absent", async () => {
    const body = smallPprof();
    const r = await post(`${base}/ingest?name=demo.app%7Benv%3Dtest%7D&format=pprof&spyName=nodespy`, body, {
      ...auth,
      "content-type": "application/octet-stream",
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    const [p] = await listed("demo.app");
    expect(p).toMatchObject({ from: "2026-11-25T12:00:00.000Z", until: "2026-11-25T12:00:10.000Z" });
    const back = await fetch(`${base}/api/v1/profiles/${p!.id}?token=${read}`);
    expect(totalValue(importProfile(new Uint8Array(await back.arrayBuffer())))).toBe(totalValue(importProfile(body)));
  });

  it("reads pprof from a multipart/form-data field named profile", async () => {
    const boundary = "----perforator-test-boundary";
    const payload = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="profile"; filename="profile.pprof"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      smallPprof(),
      Buffer.from(
        `\r\n--${boundary}\r\nContent-Disposition: form-data; name="sample_type_config"; filename="config.json"\r\n\r\n{"cpu":{"units":"nanoseconds"}}\r\n--${boundary}--\r\n`,
      ),
    ]);
    const r = await post(`${base}/ingest?name=go.app.cpu&format=pprof&from=1764064800&until=1764064810`, payload, {
      ...auth,
      "content-type": `multipart/form-data; boundary=${boundary}`,
    });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(r.json).toMatchObject({ service: "go.app" });
  });

  it("an empty profile (idle SDK) is answered 200 stored:false", async () => {
    const r = await post(`${base}/ingest?name=idle`, "\n", auth);
    expect(r.json).toMatchObject({ stored: false });
  });

  it("refuses bad input with 400/401/413 and a message, storing nothing", async () => {
    const p = (url: string, body: string | Buffer, headers: Record<string, string> = auth) =>
      post(`${base}${url}`, body, headers);
    const cases: [Promise<{ status: number; json: Record<string, unknown> }>, number, RegExp][] = [
      [p("/ingest?name=a", FOLDED, {}), 401, /missing API token/],
      [p("/ingest?name=a", FOLDED, { authorization: "Bearer nope" }), 401, /unknown or revoked/],
      [p("/ingest?name=a", FOLDED, { authorization: `Bearer ${read}` }), 403, /scope "ingest"/],
      [p("/ingest", FOLDED), 400, /missing query parameter "name"/],
      [p("/ingest?name=a%7Benv%7D", FOLDED), 400, /invalid label "env"/],
      [p("/ingest?name=a%7Benv%3Dx", FOLDED), 400, /not closed/],
      [p("/ingest?name=bad%20name", FOLDED), 400, /invalid application name/],
      [p("/ingest?name=a&format=jfr", FOLDED), 400, /unsupported format "jfr".*format=pprof/],
      [p("/ingest?name=a", "a;b;c twelve\n"), 400, /cannot read the profile/],
      [p("/ingest?name=a&format=pprof", Buffer.from("definitely not protobuf")), 400, /cannot read the profile/],
      [p("/ingest?name=a", smallPprof()), 400, /format=pprof/],
      [p("/ingest?name=a&from=1764064810&until=1764064800", FOLDED), 400, /"from".*is after "until"/],
      [p("/ingest?name=a&from=yesterday", FOLDED), 400, /invalid "from"=yesterday/],
      [p("/ingest?name=a&sampleRate=-5", FOLDED), 400, /invalid "sampleRate"/],
      [p("/ingest?name=a", ""), 400, /empty body/],
      [
        p(`/ingest?name=a%7B${Array.from({ length: 70 }, (_, i) => `k${i}%3Dv`).join("%2C")}%7D`, FOLDED),
        400,
        /at most 64/,
      ],
      [
        p(
          "/ingest?name=a&format=pprof",
          Buffer.from('--x\r\nContent-Disposition: form-data; name="prev_profile"\r\n\r\nv\r\n--x--\r\n'),
          {
            ...auth,
            "content-type": "multipart/form-data; boundary=x",
          },
        ),
        400,
        /no "profile" field \(fields: prev_profile\)/,
      ],
      [p("/ingest?name=bomb&format=pprof", gzipSync(Buffer.alloc(300 * 1024 * 1024))), 413, /more than 256 MiB/],
    ];
    for (const [res, status, re] of cases) {
      const r = await res;
      expect(r.status, String(re)).toBe(status);
      expect(String(r.json.error)).toMatch(re);
    }
    expect(await db.prisma.profile.count()).toBe(0);
    expect(countBlobFiles(dataDir)).toBe(0);
  });
});
