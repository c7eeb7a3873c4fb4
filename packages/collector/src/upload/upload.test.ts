import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { backoffMs, parseRetryAfter, uploadOnce, uploadUrl } from "./client.js";
import { Delivery } from "./delivery.js";
import { decodeSpoolFile, Spool } from "./spool.js";
import { type FakeIngest, startFakeIngest } from "./test-utils/fake-ingest.js";

const dir = () => mkdtempSync(join(tmpdir(), "perforator-spool-"));
const body = (n: number, fill = 1) => new Uint8Array(n).fill(fill);
const req = (key?: string) => ({
  service: "api",
  labels: { env: "test" },
  from: 1_700_000_000,
  until: 1_700_000_060,
  body: body(10),
  contentType: "application/octet-stream",
  ...(key ? { idempotencyKey: key } : {}),
});

let ingest: FakeIngest | undefined;
afterEach(async () => {
  await ingest?.close();
  ingest = undefined;
});

async function waitFor(cond: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("upload client", () => {
  it("builds the documented URL", () => {
    expect(
      uploadUrl("http://h:4040/base/", { service: "a b", labels: { env: "prod", x: "1:2" }, from: 10.7, until: 20.2 }),
    ).toBe("http://h:4040/base/api/v1/profiles?service=a+b&label=env%3Aprod&label=x%3A1%3A2&from=10&until=21");
  });

  it("parses Retry-After as seconds or a date", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it("backs off exponentially with jitter under a cap", () => {
    expect(backoffMs(0, { random: () => 0 })).toBe(500);
    expect(backoffMs(3, { random: () => 1 })).toBe(8000);
    expect(backoffMs(20, { random: () => 1, capMs: 60_000 })).toBe(60_000);
    const spread = new Set(Array.from({ length: 20 }, () => backoffMs(4)));
    expect(spread.size).toBeGreaterThan(10);
  });

  it("answers ok with id and url; sends the token, key, labels and window", async () => {
    ingest = await startFakeIngest();
    const out = await uploadOnce({ url: ingest.url, token: "ingest-token" }, req("k1"));
    expect(out).toEqual({ kind: "ok", id: "p1", url: "http://web.test/p/p1", status: 201 });
    expect(ingest.stored[0]).toMatchObject({
      service: "api",
      labels: ["env:test"],
      from: "1700000000",
      until: "1700000060",
      key: "k1",
    });
  });

  it("classifies failures: 401 reject (auth), 400 reject, 429/503 retry with Retry-After, refused connection retry", async () => {
    ingest = await startFakeIngest();
    const t = { url: ingest.url, token: "ingest-token" };
    expect(await uploadOnce({ ...t, token: "wrong" }, req())).toMatchObject({
      kind: "reject",
      status: 401,
      auth: true,
      reason: "401 Unauthorized: token revoked or unknown",
    });
    ingest.faults.push({ status: 400, body: "malformed pprof: truncated varint" });
    expect(await uploadOnce(t, req())).toMatchObject({
      kind: "reject",
      status: 400,
      auth: false,
      reason: expect.stringContaining("malformed pprof"),
    });
    ingest.faults.push({ status: 429, retryAfter: "7" });
    expect(await uploadOnce(t, req())).toMatchObject({ kind: "retry", status: 429, retryAfterMs: 7000 });
    ingest.faults.push({ status: 503 });
    expect(await uploadOnce(t, req())).toMatchObject({ kind: "retry", status: 503 });
    ingest.faults.push("drop");
    expect(await uploadOnce(t, req())).toMatchObject({ kind: "retry" });
    const port = await new Promise<number>((r) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => r(p));
      });
    });
    expect(await uploadOnce({ url: `http://127.0.0.1:${port}`, token: "x" }, req())).toMatchObject({
      kind: "retry",
      reason: expect.stringMatching(/cannot reach .*ECONNREFUSED/),
    });
  });
});

describe("spool", () => {
  it("keeps profiles in order across a reopen, with their key and metadata", () => {
    const d = dir();
    const logs: string[] = [];
    const s = new Spool(d, { maxBytes: 1 << 20, log: (m) => logs.push(m) });
    const a = s.add({ service: "a", labels: { pid: "1" }, contentType: "x" }, body(5, 1));
    const b = s.add({ service: "b", labels: {}, contentType: "x" }, body(5, 2));
    writeFileSync(join(d, ".half.123.abcd.tmp"), "partial"); // a crash during a write
    const again = new Spool(d, { maxBytes: 1 << 20, log: (m) => logs.push(m) });
    expect(again.list()).toEqual([a, b]);
    expect(existsSync(join(d, ".half.123.abcd.tmp"))).toBe(false);
    const e = again.read(a)!;
    expect(e.meta).toMatchObject({ service: "a", labels: { pid: "1" } });
    expect(e.meta.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(a).toContain(e.meta.key);
    expect([...e.body]).toEqual([1, 1, 1, 1, 1]);
    expect(decodeSpoolFile(readFileSync(join(d, b))).meta.service).toBe("b");
    expect(logs).toEqual([]);
  });

  it("a spool directory that cannot be created is an error that says what to do", () => {
    const file = join(dir(), "file");
    writeFileSync(file, "");
    expect(() => new Spool(join(file, "spool"), { maxBytes: 1, log: () => {} })).toThrow(
      /cannot create the spool directory .*ENOTDIR.*pass --spool-dir DIR/,
    );
  });

  it("drops the oldest profiles beyond its bound and says how many", () => {
    const d = dir();
    const logs: string[] = [];
    const s = new Spool(d, { maxBytes: 3400, log: (m) => logs.push(m) });
    const names = Array.from({ length: 5 }, (_, i) =>
      s.add({ service: `s${i}`, labels: {}, contentType: "x" }, body(900)),
    );
    expect(s.list()).toEqual(names.slice(2));
    expect(s.droppedCount).toBe(2);
    expect(s.bytes).toBeLessThanOrEqual(3400);
    expect(logs.join("\n")).toMatch(
      /over its limit of 3\.3 KB: dropped the 1 oldest profile \(1\.0 KB; 2 dropped since start\)/,
    );
    expect(readdirSync(d).filter((n) => n.endsWith(".spool"))).toEqual(names.slice(2));
  });

  it("moves a refused or unreadable profile to rejected/ with the reason", () => {
    const d = dir();
    const s = new Spool(d, { maxBytes: 1 << 20, log: () => {} });
    const a = s.add({ service: "a", labels: {}, contentType: "x" }, body(3));
    s.reject(a, "400 Bad Request: malformed");
    expect(s.list()).toEqual([]);
    expect(readFileSync(join(d, "rejected", `${a}.reason`), "utf8")).toMatch(/400 Bad Request: malformed/);
    writeFileSync(join(d, "000000000000001-000000-bad.spool"), "garbage");
    const again = new Spool(d, { maxBytes: 1 << 20, log: () => {} });
    expect(again.read("000000000000001-000000-bad.spool")).toBeUndefined();
    expect(again.count).toBe(0);
    expect(readdirSync(join(d, "rejected")).sort()).toContain("000000000000001-000000-bad.spool");
  });
});

describe("delivery", () => {
  const add = (s: Spool, i: number) =>
    s.add({ service: "api", labels: { i: String(i) }, contentType: "x" }, body(4, i));

  it("through an outage (refused, 503, 429 Retry-After, a connection dropped after storing) delivers each profile once, in order", async () => {
    ingest = await startFakeIngest();
    const d = dir();
    const logs: string[] = [];
    const s = new Spool(d, { maxBytes: 1 << 20, log: (m) => logs.push(m) });
    for (let i = 1; i <= 3; i++) add(s, i);
    ingest.faults.push("drop", { status: 503 }, { status: 429, retryAfter: "1" }, "store-then-drop", { status: 502 });
    const delivery = new Delivery(
      s,
      { url: ingest.url, token: "ingest-token" },
      { log: (m) => logs.push(m), backoffBaseMs: 50, backoffCapMs: 200 },
    );
    const t0 = Date.now();
    delivery.start();
    await waitFor(() => s.count === 0);
    await delivery.stop(0);
    expect(ingest.stored.map((p) => p.labels)).toEqual([["i:1"], ["i:2"], ["i:3"]]);
    // the profile stored before the connection dropped was sent again with the same key, and not stored twice
    const keys = ingest.requests.map((r) => r.key);
    expect(new Set(keys).size).toBe(3);
    expect(keys.length).toBe(8);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000); // Retry-After: 1
    expect(logs.filter((l) => /^upload failed/.test(l))).toHaveLength(5);
    expect(logs.join("\n")).toMatch(/answers again after/);
  });

  it("a revoked token: the profile goes to rejected/, one clear log line, no more attempts", async () => {
    ingest = await startFakeIngest();
    const d = dir();
    const logs: string[] = [];
    const s = new Spool(d, { maxBytes: 1 << 20, log: (m) => logs.push(m) });
    const first = add(s, 1);
    add(s, 2);
    ingest.tokens.clear();
    const delivery = new Delivery(
      s,
      { url: ingest.url, token: "ingest-token" },
      { log: (m) => logs.push(m), backoffBaseMs: 10 },
    );
    delivery.start();
    await waitFor(() => delivery.authRefused !== undefined);
    add(s, 3);
    delivery.kick();
    await new Promise((r) => setTimeout(r, 300));
    await delivery.stop(1000);
    expect(ingest.requests).toHaveLength(0); // the token check comes first in the fake: nothing accepted
    expect(logs.filter((l) => /upload refused: 401/.test(l))).toHaveLength(1);
    expect(logs[0]).toMatch(/revoked.*uploads stopped \(no retries\)/);
    expect(existsSync(join(d, "rejected", first))).toBe(true);
    expect(s.count).toBe(2); // kept for a restart with a valid token
  });

  it("a profile the ingest refuses (400) is set aside and the next ones still go", async () => {
    ingest = await startFakeIngest();
    const d = dir();
    const logs: string[] = [];
    const s = new Spool(d, { maxBytes: 1 << 20, log: (m) => logs.push(m) });
    const bad = add(s, 1);
    add(s, 2);
    ingest.faults.push({ status: 400, body: "malformed profile" });
    const delivery = new Delivery(s, { url: ingest.url, token: "ingest-token" }, { log: (m) => logs.push(m) });
    delivery.start();
    await waitFor(() => s.count === 0);
    await delivery.stop(0);
    expect(ingest.stored.map((p) => p.labels)).toEqual([["i:2"]]);
    expect(existsSync(join(d, "rejected", bad))).toBe(true);
    expect(logs.join("\n")).toMatch(/refused: 400 Bad Request: malformed profile; not retried/);
  });

  it("stop() while the ingest is down returns at once and keeps the spool", async () => {
    ingest = await startFakeIngest();
    const s = new Spool(dir(), { maxBytes: 1 << 20, log: () => {} });
    add(s, 1);
    for (let i = 0; i < 10; i++) ingest.faults.push({ status: 503 });
    const delivery = new Delivery(
      s,
      { url: ingest.url, token: "ingest-token" },
      { log: () => {}, backoffBaseMs: 10_000 },
    );
    delivery.start();
    await waitFor(() => ingest!.requests.length === 1);
    const t0 = Date.now();
    await delivery.stop(5000);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(s.count).toBe(1);
  });
});
