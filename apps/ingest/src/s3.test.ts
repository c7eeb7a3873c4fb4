/** The service with its blobs in S3-compatible object storage (a real s3rver started here), embedded database. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { openBlobStore } from "@perforator/db";
import { importProfile, totalValue } from "@perforator/profile";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  post,
  realisticPprof,
  type Service,
  serviceEnv,
  startS3,
  startService,
  stopService,
  tempDir,
} from "./test-utils/harness.js";

describe("S3 blob store (s3rver)", () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let server: Service;
  let tmp: ReturnType<typeof tempDir>;
  let auth: Record<string, string>;
  const objects = async () => {
    const store = openBlobStore(s3.blobUrl, tmp.dir);
    let n = 0;
    for await (const _ of store.list()) n++;
    store.close();
    return n;
  };
  beforeAll(async () => {
    s3 = await startS3();
    tmp = tempDir();
    server = await startService(serviceEnv(tmp.dir, { PERFORATOR_BLOB_URL: s3.blobUrl, PERFORATOR_COMPACTOR: "off" }));
    auth = { authorization: `Bearer ${readFileSync(path.join(tmp.dir, "ingest-token"), "utf8").trim()}` };
  });
  afterAll(async () => {
    await stopService(server);
    await s3.close();
    tmp.remove();
  });

  it("stores uploads as objects, serves them back, refuses bad input and retries without new objects", async () => {
    const body = realisticPprof(5, 300);
    const h = { ...auth, "idempotency-key": "s3-1" };
    const r = await post(`${server.url}/api/v1/profiles?service=s3.app`, body, h);
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    expect(await objects()).toBe(1);
    expect(await objects()).toBe(1);
    const again = await post(`${server.url}/api/v1/profiles?service=s3.app`, body, h);
    expect([again.status, again.json.id]).toEqual([200, r.json.id]);
    const bad = await post(`${server.url}/api/v1/profiles?service=s3.app`, Buffer.from([0x0a, 0xff, 0xff, 0x7f]), auth);
    expect(bad.status).toBe(400);
    expect(await objects()).toBe(1);
    // The object store holds the body, not the local directory.
    const back = await fetch(`${server.url}/api/v1/profiles/${r.json.id}`, auth && { headers: auth });
    expect(back.status).toBe(200);
    expect(totalValue(importProfile(new Uint8Array(await back.arrayBuffer())))).toBe(totalValue(importProfile(body)));
  });
});
