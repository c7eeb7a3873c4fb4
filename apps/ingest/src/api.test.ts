/**
 * The HTTP API over real HTTP (buildApp + listen on 127.0.0.1:0) on the embedded store and, when
 * DATABASE_URL_TEST is set, on PostgreSQL: every status, idempotent retries, scopes, team isolation,
 * read API formats, metrics. Every refused upload is checked to leave no row and no blob behind.
 */
import { gzipSync } from "node:zlib";
import { createApiToken, createTeam, type Database, getTeamByName, openDatabase, revokeApiToken } from "@perforator/db";
import { importProfile, parseFolded, serializeProfile, totalValue } from "@perforator/profile";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "./app.js";
import { MAX_LABEL_BYTES } from "./limits.js";
import {
  countBlobFiles,
  PG_SKIP_REASON,
  PG_URL,
  pgSchema,
  post,
  realisticPprof,
  smallPprof,
  tempDir,
} from "./test-utils/harness.js";

const FOLDED = "main;serve;handle;search_user 970\nmain;serve;handle;json.dumps 20\nmain;serve;select 10\n";

interface Ctx {
  db: Database;
  app: FastifyInstance;
  base: string;
  dataDir: string;
  ingest: string;
  read: string;
  otherIngest: string;
  cleanup: () => Promise<void>;
}

async function setup(
  kind: "sqlite" | "postgres",
  opts: Parameters<typeof buildApp>[0] extends infer O ? Partial<O> : never = {},
): Promise<Ctx> {
  const tmp = tempDir();
  const schema = kind === "postgres" ? await pgSchema() : undefined;
  const db = openDatabase({ url: schema?.url ?? `file:${tmp.dir}/p.db`, dataDir: tmp.dir });
  await db.migrate();
  const team = await createTeam(db, "payments");
  const other = await createTeam(db, "search");
  const ingest = (await createApiToken(db, { teamId: team.id, scope: "ingest", name: "ci" })).token;
  const read = (await createApiToken(db, { teamId: team.id, scope: "read", name: "grafana" })).token;
  const otherIngest = (await createApiToken(db, { teamId: other.id, scope: "ingest", name: "x" })).token;
  const app = buildApp({ db, webUrl: "http://web.example:3000", ...opts });
  const base = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    db,
    app,
    base,
    dataDir: tmp.dir,
    ingest,
    read,
    otherIngest,
    cleanup: async () => {
      await app.close();
      await db.close();
      await schema?.drop();
      tmp.remove();
    },
  };
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

async function counts(c: Ctx) {
  return { rows: await c.db.prisma.profile.count(), blobs: countBlobFiles(c.dataDir) };
}

const backends: ("sqlite" | "postgres")[] = PG_URL ? ["sqlite", "postgres"] : ["sqlite"];
if (!PG_URL) describe.skip(`PostgreSQL (${PG_SKIP_REASON})`, () => it("skipped", () => {}));

describe.each(backends)("HTTP API on %s", (kind) => {
  let c: Ctx;
  beforeEach(async () => {
    c = await setup(kind);
  });
  afterEach(async () => {
    await c.cleanup();
  });

  it("stores a gzipped pprof upload: 201 {id, url}, then lists and downloads it in every format", async () => {
    const body = realisticPprof(1);
    const r = await post(
      `${c.base}/api/v1/profiles?service=shop.api&label=env:prod&label=region:eu`,
      body,
      bearer(c.ingest),
    );
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    const id = r.json.id as string;
    expect(r.json.url).toBe(`http://web.example:3000/p/${id}`);

    const list = await fetch(`${c.base}/api/v1/profiles?service=shop.api&label=env:prod`, { headers: bearer(c.read) });
    expect(list.status).toBe(200);
    const page = (await list.json()) as { profiles: { id: string; service: string; labels: Record<string, string> }[] };
    expect(page.profiles.map((p) => p.id)).toEqual([id]);
    expect(page.profiles[0]).toMatchObject({ service: "shop.api", labels: { env: "prod", region: "eu" } });
    const none = await fetch(`${c.base}/api/v1/profiles?service=shop.api&label=env:dev`, { headers: bearer(c.read) });
    expect(((await none.json()) as { profiles: unknown[] }).profiles).toEqual([]);
    const sel = await fetch(`${c.base}/api/v1/profiles?query=${encodeURIComponent('{env=~"pr.*",region!="us"}')}`, {
      headers: bearer(c.read),
    });
    expect(((await sel.json()) as { profiles: { id: string }[] }).profiles.map((p) => p.id)).toEqual([id]);
    const badCursor = await fetch(`${c.base}/api/v1/profiles?cursor=nope`, { headers: bearer(c.read) });
    expect(badCursor.status).toBe(400);

    const original = importProfile(body);
    const pprof = await fetch(`${c.base}/api/v1/profiles/${id}`, { headers: bearer(c.read) });
    expect(pprof.status).toBe(200);
    const bytes = new Uint8Array(await pprof.arrayBuffer());
    expect(bytes[0]).toBe(0x1f); // gzip
    const back = importProfile(bytes);
    expect(totalValue(back)).toBe(totalValue(original));
    expect(back.samples.length).toBe(original.samples.length);

    const folded = await fetch(`${c.base}/api/v1/profiles/${id}?format=folded`, { headers: bearer(c.ingest) });
    expect(folded.headers.get("content-type")).toMatch(/text\/plain/);
    expect(totalValue(parseFolded(await folded.text()))).toBe(totalValue(original));
    const json = await fetch(`${c.base}/api/v1/profiles/${id}?format=json`, { headers: bearer(c.read) });
    expect(totalValue(importProfile(Buffer.from(await json.text())))).toBe(totalValue(original));
  });

  it("accepts raw pprof, folded, Chrome .cpuprofile and perforator JSON", async () => {
    const raw = gzipSync(FOLDED); // a gzipped folded body is folded too
    const cpuprofile = JSON.stringify({
      nodes: [
        {
          id: 1,
          callFrame: { functionName: "(root)", url: "", lineNumber: -1, columnNumber: -1, scriptId: "0" },
          children: [2],
        },
        {
          id: 2,
          callFrame: { functionName: "work", url: "file:///a.js", lineNumber: 1, columnNumber: 1, scriptId: "1" },
        },
      ],
      startTime: 0,
      endTime: 3000,
      samples: [2, 2, 2],
      timeDeltas: [1000, 1000, 1000],
    });
    const json = serializeProfile(parseFolded(FOLDED));
    const rawPprof = Buffer.from((await import("node:zlib")).gunzipSync(smallPprof()));
    const expected = { pprof: rawPprof, folded: FOLDED, "folded-gz": raw, cpuprofile, json };
    for (const [name, body] of Object.entries(expected)) {
      const r = await post(`${c.base}/api/v1/profiles?service=formats`, body, bearer(c.ingest));
      expect(r.status, `${name}: ${JSON.stringify(r.json)}`).toBe(201);
    }
    expect((await counts(c)).rows).toBe(5);
  });

  it("a retry with the same Idempotency-Key returns the first id and stores nothing new", async () => {
    const body = smallPprof(7);
    const h = { ...bearer(c.ingest), "idempotency-key": "upload-7f3a" };
    const first = await post(`${c.base}/api/v1/profiles?service=retry`, body, h);
    expect(first.status).toBe(201);
    const before = await counts(c);
    const again = await post(`${c.base}/api/v1/profiles?service=retry`, body, h);
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(first.json.id);
    expect(await counts(c)).toEqual(before);
    // The key is per team: another team's upload with the same key is its own profile.
    const other = await post(`${c.base}/api/v1/profiles?service=retry`, body, {
      ...bearer(c.otherIngest),
      "idempotency-key": "upload-7f3a",
    });
    expect(other.status).toBe(201);
    expect(other.json.id).not.toBe(first.json.id);
  });

  it("refuses bad input with the right status and a message, storing nothing", async () => {
    const url = (q = "service=bad") => `${c.base}/api/v1/profiles?${q}`;
    const manyLabels = Array.from({ length: 65 }, (_, i) => `label=k${i}:v`).join("&");
    const bomb = gzipSync(Buffer.alloc(300 * 1024 * 1024), { level: 9 }); // ~300 KB that inflate to 300 MiB
    // A trailer that lies: claims 10 bytes inflated.
    const liar = Buffer.from(bomb);
    liar.writeUInt32LE(10, liar.length - 4);
    const cases: [string, string, Uint8Array | string, Record<string, string>, number, RegExp][] = [
      ["no token", url(), smallPprof(), {}, 401, /missing API token/],
      ["unknown token", url(), smallPprof(), bearer("pft_nope"), 401, /unknown or revoked/],
      ["read token uploading", url(), smallPprof(), bearer(c.read), 403, /scope "ingest"/],
      [
        "body over 16 MiB",
        url(),
        Buffer.alloc(16 * 1024 * 1024 + 1, 0x41),
        bearer(c.ingest),
        413,
        /larger than 16 MiB/,
      ],
      ["gzip bomb", url(), bomb, bearer(c.ingest), 413, /more than 256 MiB/],
      ["gzip bomb with a lying trailer", url(), liar, bearer(c.ingest), 413, /more than 256 MiB/],
      ["truncated gzip", url(), smallPprof().subarray(0, 40), bearer(c.ingest), 400, /gzip/],
      [
        "malformed pprof",
        url(),
        Buffer.from([0x0a, 0xff, 0xff, 0x01, 0x02, 0x00, 0x01]),
        bearer(c.ingest),
        400,
        /pprof/,
      ],
      ["malformed folded", url(), "main;work notanumber\n", bearer(c.ingest), 400, /folded/],
      ["malformed JSON", url(), '{"format":"perforator-profile", "frames": ', bearer(c.ingest), 400, /JSON/],
      ["empty body", url(), "", bearer(c.ingest), 400, /empty body/],
      ["65 labels", url(`service=x&${manyLabels}`), smallPprof(), bearer(c.ingest), 400, /at most 64/],
      [
        "label over 1 KiB",
        url(`service=x&label=k:${"v".repeat(MAX_LABEL_BYTES)}`),
        smallPprof(),
        bearer(c.ingest),
        400,
        /at most 1024 bytes/,
      ],
      ["bad label", url("service=x&label=novalue"), smallPprof(), bearer(c.ingest), 400, /name:value/],
      ["bad service", url("service=shop%20api"), smallPprof(), bearer(c.ingest), 400, /invalid service name/],
      ["no service", url(""), smallPprof(), bearer(c.ingest), 400, /missing query parameter "service"/],
      ["bad time", url("service=x&from=yesterday"), smallPprof(), bearer(c.ingest), 400, /"from"/],
    ];
    for (const [name, u, body, headers, status, message] of cases) {
      const r = await post(u, body, headers);
      expect(r.status, `${name}: ${JSON.stringify(r.json)}`).toBe(status);
      expect(String(r.json.error), name).toMatch(message);
      expect(await counts(c), name).toEqual({ rows: 0, blobs: 0 });
    }
    const metrics = await (await fetch(`${c.base}/metrics`)).text();
    expect(metrics).toMatch(/perforator_ingest_rejects_total\{reason="inflated_too_large"\} 2/);
    expect(metrics).toMatch(/perforator_ingest_rejects_total\{reason="wrong_scope"\} 1/);
  });

  it("a revoked token gets 401", async () => {
    const team = (await getTeamByName(c.db, "payments"))!;
    const { token, record } = await createApiToken(c.db, { teamId: team.id, scope: "ingest", name: "old" });
    expect((await post(`${c.base}/api/v1/profiles?service=a`, smallPprof(), bearer(token))).status).toBe(201);
    await revokeApiToken(c.db, team.id, record.id);
    await new Promise((r) => setTimeout(r, 2100)); // verified tokens are cached for 2 s per process
    const r = await post(`${c.base}/api/v1/profiles?service=a`, smallPprof(1), bearer(token));
    expect(r.status).toBe(401);
    expect((await fetch(`${c.base}/api/v1/profiles`, { headers: bearer(token) })).status).toBe(401);
  });

  it("keeps teams apart: another team's id is 404 and its profiles are not listed or merged", async () => {
    const mine = await post(`${c.base}/api/v1/profiles?service=shared.name`, smallPprof(1), bearer(c.ingest));
    const theirs = await post(
      `${c.base}/api/v1/profiles?service=shared.name`,
      realisticPprof(2, 50),
      bearer(c.otherIngest),
    );
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    const r = await fetch(`${c.base}/api/v1/profiles/${theirs.json.id}`, { headers: bearer(c.read) });
    expect(r.status).toBe(404);
    expect(await r.text()).not.toMatch(/function_/);
    const list = (await (await fetch(`${c.base}/api/v1/profiles`, { headers: bearer(c.read) })).json()) as {
      profiles: { id: string }[];
    };
    expect(list.profiles.map((p) => p.id)).toEqual([mine.json.id]);
    const merged = await fetch(
      `${c.base}/api/v1/render?service=shared.name&from=1700000000&until=1900000000&format=folded`,
      { headers: bearer(c.read) },
    );
    expect(merged.status).toBe(200);
    const text = await merged.text();
    expect(text).toMatch(/search_user/);
    expect(text).not.toMatch(/function_/);
  });

  it("renders a merge of a service's profiles in a range, filtered by labels and selectors", async () => {
    for (const [i, env] of [
      [1, "prod"],
      [2, "prod"],
      [3, "dev"],
    ] as const) {
      const r = await post(`${c.base}/api/v1/profiles?service=web&label=env:${env}`, smallPprof(i), bearer(c.ingest));
      expect(r.status).toBe(201);
    }
    const q = "service=web&from=1795000000&until=1796000000"; // smallPprof() is dated 2026-11-25
    const all = importProfile(
      new Uint8Array(await (await fetch(`${c.base}/api/v1/render?${q}`, { headers: bearer(c.read) })).arrayBuffer()),
    );
    const one = totalValue(importProfile(smallPprof(0)));
    expect(totalValue(all)).toBeCloseTo(3 * one + 6, -3);
    const prod = await fetch(`${c.base}/api/v1/render?${q}&label=env:prod&format=json`, { headers: bearer(c.read) });
    expect(totalValue(importProfile(Buffer.from(await prod.text())))).toBeCloseTo(2 * one + 3, -3);
    const sel = await fetch(`${c.base}/api/v1/render?${q}&query=${encodeURIComponent('{env=~"de.*"}')}&format=json`, {
      headers: bearer(c.read),
    });
    expect(sel.status).toBe(200);
    expect(totalValue(importProfile(Buffer.from(await sel.text())))).toBeCloseTo(one + 3, -3);
    const bad = await fetch(`${c.base}/api/v1/render?${q}&query=${encodeURIComponent("{env=")}`, {
      headers: bearer(c.read),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/invalid query/);
  });

  it("reads with the token as ?token= (GET only) or as HTTP basic auth, as go tool pprof sends it", async () => {
    const up = await post(`${c.base}/api/v1/profiles?service=tool`, smallPprof(), bearer(c.ingest));
    const id = up.json.id as string;
    expect((await fetch(`${c.base}/api/v1/profiles/${id}?token=${c.read}`)).status).toBe(200);
    const basic = Buffer.from(`pprof:${c.read}`).toString("base64");
    expect(
      (await fetch(`${c.base}/api/v1/profiles/${id}`, { headers: { authorization: `Basic ${basic}` } })).status,
    ).toBe(200);
    const userOnly = Buffer.from(`${c.read}:`).toString("base64");
    expect(
      (await fetch(`${c.base}/api/v1/profiles/${id}`, { headers: { authorization: `Basic ${userOnly}` } })).status,
    ).toBe(200);
    // Not for uploads: a token in a URL ends up in proxies' logs.
    const r = await post(`${c.base}/api/v1/profiles?service=tool&token=${c.ingest}`, smallPprof(1));
    expect(r.status).toBe(401);
    expect((await fetch(`${c.base}/api/v1/profiles/${id}?format=svg`, { headers: bearer(c.read) })).status).toBe(400);
  });

  it("serves Prometheus metrics: uploads by format and status, bytes, latency, store size", async () => {
    const body = smallPprof();
    await post(`${c.base}/api/v1/profiles?service=m`, body, bearer(c.ingest));
    await post(`${c.base}/api/v1/profiles?service=m`, FOLDED, bearer(c.ingest));
    await post(`${c.base}/api/v1/profiles?service=m`, "x y z\n", bearer(c.ingest));
    const r = await fetch(`${c.base}/metrics`);
    expect(r.headers.get("content-type")).toMatch(/text\/plain/);
    const text = await r.text();
    expect(text).toMatch(/perforator_ingest_uploads_total\{format="pprof",status="201"\} 1/);
    expect(text).toMatch(/perforator_ingest_uploads_total\{format="folded",status="201"\} 1/);
    expect(text).toMatch(/perforator_ingest_uploads_total\{format="folded",status="400"\} 1/);
    expect(text).toMatch(new RegExp(`perforator_ingest_upload_bytes_total\\{format="pprof"\\} ${body.length}`));
    expect(text).toMatch(
      /perforator_ingest_request_duration_seconds_count\{route="\/api\/v1\/profiles",method="POST",status="201"\} 2/,
    );
    expect(text).toMatch(/perforator_store_profiles 2/);
    expect(text).toMatch(/perforator_store_bytes [1-9]/);
  });
});

describe("rate limit", () => {
  it("answers 429 with Retry-After once a token exceeds its budget; other tokens are unaffected", async () => {
    const c = await setup("sqlite", { rateLimit: { max: 3, windowMs: 60_000 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push((await post(`${c.base}/api/v1/profiles?service=rl`, smallPprof(i), bearer(c.ingest))).status);
      }
      expect(statuses).toEqual([201, 201, 201, 429]);
      const r = await post(`${c.base}/api/v1/profiles?service=rl`, smallPprof(9), bearer(c.ingest));
      expect(r.status).toBe(429);
      expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(String(r.json.error)).toMatch(/rate limit/);
      expect((await counts(c)).rows).toBe(3);
      expect((await post(`${c.base}/api/v1/profiles?service=rl`, smallPprof(), bearer(c.otherIngest))).status).toBe(
        201,
      );
    } finally {
      await c.cleanup();
    }
  });
});
