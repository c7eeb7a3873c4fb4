import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { type Database, defaultTeamId, listProfiles, listServices, openDatabase } from "@perforator/db";
import { importProfile, ProfileBuilder, toPprof, totalValue } from "@perforator/profile";
import type { FastifyInstance } from "fastify";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "./app.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "perforator-ingest-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const FOLDED = [
  "<module>;serve_forever;handle;UserIDSearchHandler.do_GET;search_user 970",
  "<module>;serve_forever;handle;UserIDSearchHandler.do_GET;json.dumps 20",
  "<module>;serve_forever;select 10",
  "",
].join("\n");

/** A pprof (gzipped) profile as the collector or a Pyroscope SDK would send it. */
function pprofBody(): Uint8Array {
  const b = new ProfileBuilder([{ type: "cpu", unit: "nanoseconds" }], {
    timeNanos: Date.parse("2026-11-25T12:00:00Z") * 1e6,
    durationNanos: 10e9,
    period: 1e9 / 99,
  });
  const f = (name: string) => ({ name, file: "/srv/app.py", line: 1, kind: "python" as const, module: "" });
  b.addFrames([f("main"), f("search_user")], [9e9]);
  b.addFrames([f("main"), f("render")], [1e9]);
  return toPprof(b.build());
}

let db: Database;
let app: FastifyInstance;
beforeEach(async () => {
  const dir = tempDir();
  db = openDatabase({ url: `file:${path.join(dir, "p.db")}`, dataDir: dir });
  await db.migrate();
  app = buildApp({ db });
});
afterEach(async () => {
  await app.close();
  await db.close();
});

describe("health", () => {
  it("/healthz answers without touching the database", async () => {
    const broken = openDatabase({ url: "postgresql://x:y@127.0.0.1:1/none", dataDir: tempDir() });
    const a = buildApp({ db: broken });
    const r = await a.inject({ method: "GET", url: "/healthz" });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: "ok" });
    await a.close();
    await broken.close();
  });

  it("/readyz is 200 on a migrated database", async () => {
    const r = await app.inject({ method: "GET", url: "/readyz" });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: "ready", db: { kind: "sqlite" } });
  });

  it("/readyz is 503 with the reason when the database is down or not migrated", async () => {
    const down = openDatabase({ url: "postgresql://x:y@127.0.0.1:1/none", dataDir: tempDir() });
    const a = buildApp({ db: down });
    const r = await a.inject({ method: "GET", url: "/readyz" });
    expect(r.statusCode).toBe(503);
    expect(r.json().reason).toMatch(/cannot reach the postgres database at postgresql:\/\/x:\*\*\*@127\.0\.0\.1:1/);
    await a.close();
    await down.close();

    const dir = tempDir();
    const fresh = openDatabase({ url: `file:${path.join(dir, "fresh.db")}`, dataDir: dir });
    const b = buildApp({ db: fresh });
    const r2 = await b.inject({ method: "GET", url: "/readyz" });
    expect(r2.statusCode).toBe(503);
    expect(r2.json().reason).toMatch(/not migrated/);
    await b.close();
    await fresh.close();
  });
});

describe("POST /ingest (Pyroscope push API)", () => {
  it("stores a folded upload: service from the name, labels, time range, body in the blob store", async () => {
    const r = await app.inject({
      method: "POST",
      url: "/ingest?name=shop.api.cpu%7Benv%3Dstaging%2Cregion%3Deu%7D&from=1764064800&until=1764064810&sampleRate=99&spyName=pyspy&format=folded",
      headers: { "content-type": "text/plain" },
      payload: FOLDED,
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ stored: true, service: "shop.api", sampleType: "cpu", totalValue: "1000" });

    const teamId = await defaultTeamId(db);
    const [p] = (await listProfiles(db, { teamId, service: "shop.api" })).profiles;
    expect(p).toMatchObject({
      sampleType: "cpu",
      sampleUnit: "samples",
      totalValue: 1000n,
      sampleCount: 3,
      format: "folded",
      labels: { env: "staging", region: "eu", spyName: "pyspy", sampleRate: "99", __type__: "cpu" },
    });
    expect(p!.startTime.toISOString()).toBe("2025-11-25T10:00:00.000Z");
    expect(p!.endTime.toISOString()).toBe("2025-11-25T10:00:10.000Z");
    expect(new TextDecoder().decode(await db.blobs.get(p!.blobKey))).toBe(FOLDED);
    expect((await listServices(db, teamId)).map((s) => s.name)).toEqual(["shop.api"]);
  });

  it("stores a gzipped pprof body as sent, dated by the profile itself when from/until are absent", async () => {
    const body = pprofBody();
    const r = await app.inject({
      method: "POST",
      url: "/ingest?name=demo.app%7Benv%3Dtest%7D&format=pprof&spyName=nodespy",
      headers: { "content-type": "application/octet-stream", authorization: "Bearer ignored" },
      payload: Buffer.from(body),
    });
    expect(r.statusCode, r.body).toBe(200);
    const [p] = (await listProfiles(db, { teamId: await defaultTeamId(db), service: "demo.app" })).profiles;
    expect(p).toMatchObject({ sampleType: "cpu", sampleUnit: "nanoseconds", totalValue: 10_000_000_000n });
    expect(p!.startTime.toISOString()).toBe("2026-11-25T12:00:00.000Z");
    expect(p!.endTime.toISOString()).toBe("2026-11-25T12:00:10.000Z");
    // The stored blob is the upload, byte for byte, and still reads as the same profile.
    const stored = await db.blobs.get(p!.blobKey);
    expect(Buffer.from(stored).equals(Buffer.from(body))).toBe(true);
    expect(totalValue(importProfile(stored, "x.pb.gz"))).toBe(10e9);
  });

  it("reads pprof from a multipart/form-data field named profile", async () => {
    const boundary = "----perforator-test-boundary";
    const payload = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="profile"; filename="profile.pprof"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      Buffer.from(pprofBody()),
      Buffer.from(
        `\r\n--${boundary}\r\nContent-Disposition: form-data; name="sample_type_config"; filename="config.json"\r\n\r\n{"cpu":{"units":"nanoseconds"}}\r\n--${boundary}--\r\n`,
      ),
    ]);
    const r = await app.inject({
      method: "POST",
      url: "/ingest?name=go.app.cpu&format=pprof&from=1764064800&until=1764064810",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      payload,
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ service: "go.app", totalValue: "10000000000" });
  });

  it("rejects bad input with 400 and a message saying what to fix", async () => {
    const post = (url: string, payload: string | Buffer, contentType = "text/plain") =>
      app.inject({ method: "POST", url, headers: { "content-type": contentType }, payload });
    const cases: [Promise<{ statusCode: number; json(): { error: string } }>, RegExp][] = [
      [post("/ingest", FOLDED), /missing query parameter "name"/],
      [post("/ingest?name=a%7Benv%7D", FOLDED), /invalid label "env"/],
      [post("/ingest?name=a%7Benv%3Dx", FOLDED), /not closed/],
      [post("/ingest?name=bad%20name", FOLDED), /invalid application name/],
      [post("/ingest?name=a&format=jfr", FOLDED), /unsupported format "jfr".*format=pprof/],
      [post("/ingest?name=a", "a;b;c twelve\n"), /cannot read the folded profile/],
      [
        post("/ingest?name=a&format=pprof", Buffer.from("definitely not protobuf"), "application/octet-stream"),
        /cannot read the pprof profile/,
      ],
      [post("/ingest?name=a", Buffer.from(pprofBody()), "application/octet-stream"), /format=pprof/],
      [post("/ingest?name=a&from=1764064810&until=1764064800", FOLDED), /"from".*is after "until"/],
      [post("/ingest?name=a&from=yesterday", FOLDED), /invalid "from"=yesterday/],
      [post("/ingest?name=a&sampleRate=-5", FOLDED), /invalid "sampleRate"/],
      [post("/ingest?name=a", ""), /empty body/],
      [
        post(
          "/ingest?name=a&format=pprof",
          Buffer.from('--x\r\nContent-Disposition: form-data; name="prev_profile"\r\n\r\nv\r\n--x--\r\n'),
          "multipart/form-data; boundary=x",
        ),
        /no "profile" field \(fields: prev_profile\)/,
      ],
    ];
    for (const [res, re] of cases) {
      const r = await res;
      expect(r.statusCode).toBe(400);
      expect(r.json().error).toMatch(re);
    }
    expect(await db.prisma.profile.count()).toBe(0);
  });

  it("answers 413 above 4 MiB", async () => {
    const line = "main;work 1\n";
    const payload = line.repeat(Math.ceil((4 * 1024 * 1024 + 1) / line.length));
    const r = await app.inject({
      method: "POST",
      url: "/ingest?name=big",
      headers: { "content-type": "text/plain" },
      payload,
    });
    expect(r.statusCode).toBe(413);
    expect(r.json().error).toMatch(/larger than 4 MiB/);
    // Just under the limit is accepted.
    const ok = await app.inject({
      method: "POST",
      url: "/ingest?name=big",
      headers: { "content-type": "text/plain" },
      payload: line.repeat(Math.floor((4 * 1024 * 1024) / line.length)),
    });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it("answers 413 to a small gzip body that would inflate past 64 MiB", async () => {
    const bomb = gzipSync(Buffer.alloc(65 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(4 * 1024 * 1024);
    const r = await app.inject({
      method: "POST",
      url: "/ingest?name=bomb&format=pprof",
      headers: { "content-type": "application/octet-stream" },
      payload: bomb,
    });
    expect(r.statusCode).toBe(413);
    expect(r.json().error).toMatch(/inflates to 65 MiB, more than the 64 MiB limit/);
  });

  it("serves real HTTP on a loopback port", async () => {
    const address = await app.listen({ host: "127.0.0.1", port: 0 });
    const r = await fetch(`${address}/ingest?name=http.app&from=now-10s&until=now`, { method: "POST", body: FOLDED });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ stored: true, service: "http.app" });
    expect((await fetch(`${address}/nope`)).status).toBe(404);
  });
});
