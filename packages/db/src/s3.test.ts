import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { merge, parsePprof, toPprof } from "@perforator/profile";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobNotFoundError, FileBlobStore, openBlobStore, S3BlobStore } from "./blob-store.js";
import { compact, sweepOrphanBlobs } from "./compactor.js";
import { getProfile, readProfileBody, storeProfile } from "./profiles.js";
import { renderMergedWithStats } from "./render.js";
import { createTeam } from "./teams.js";
import { canonical, randomProfile } from "./test-utils/profiles.js";
import { targets, tempDir, withDb } from "./test-utils/targets.js";

const here = path.dirname(fileURLToPath(import.meta.url));
let server: ChildProcess;
let endpoint = "";

beforeAll(async () => {
  server = spawn(
    process.execPath,
    ["--openssl-legacy-provider", path.join(here, "test-utils", "s3rver.mjs"), tempDir()],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    server.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    server.on("exit", (code) => reject(new Error(`s3rver exited with ${code} before listening`)));
  });
  endpoint = `http://127.0.0.1:${port}`;
});
afterAll(() => {
  server?.kill("SIGTERM");
});

const url = (prefix: string, extra = "") =>
  `s3://profiles/${prefix}?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1&accessKeyId=S3RVER&secretAccessKey=S3RVER${extra}`;
const enc = (s: string) => new TextEncoder().encode(s);

describe("S3BlobStore against s3rver", () => {
  it("puts, gets, tells missing from present, deletes and lists page by page", async () => {
    const s = openBlobStore(url("unit"), tempDir());
    expect(s).toBeInstanceOf(S3BlobStore);
    expect(s.location).toBe("s3://profiles/unit");
    try {
      const big = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
      const a = await s.put(big);
      expect(a).toEqual({ key: createHash("sha256").update(big).digest("hex"), size: 300_000, created: true });
      expect(await s.put(big.slice())).toMatchObject({ key: a.key, created: false });
      const back = await s.get(a.key);
      expect(back.byteLength).toBe(300_000); // not aws-chunked framing
      expect(Buffer.from(back).equals(Buffer.from(big))).toBe(true);
      const missing = "0".repeat(64);
      expect(await s.has(missing)).toBe(false);
      await expect(s.get(missing)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(s.get("../x")).rejects.toThrow(/invalid blob key/);
      expect(await s.delete(a.key)).toBe(true);
      expect(await s.delete(a.key)).toBe(false);
      expect(await s.has(a.key)).toBe(false);
    } finally {
      s.close();
    }
    // Listing pages through a truncated ListObjectsV2 (3 keys a page) and stays inside its prefix.
    const paged = new S3BlobStore({
      bucket: "profiles",
      prefix: "paged",
      listPageSize: 3,
      client: {
        endpoint,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      },
    });
    const elsewhere = openBlobStore(url("elsewhere"), tempDir());
    try {
      await elsewhere.put(enc("not in paged"));
      const keys = [];
      for (let i = 0; i < 8; i++) keys.push((await paged.put(enc(`blob ${i}`))).key);
      const listed = [];
      for await (const b of paged.list()) listed.push(b);
      expect(listed.map((b) => b.key).sort()).toEqual(keys.sort());
      expect(listed.every((b) => b.size === 6 && b.modifiedAt.getTime() > Date.now() - 60_000)).toBe(true);
    } finally {
      paged.close();
      elsewhere.close();
    }
  });

  it("explains bad blob URLs", () => {
    expect(() => openBlobStore("s3://", "/tmp")).toThrow(/not a valid URL|names no bucket/);
    expect(() => openBlobStore("s3://b?endpoint=127.0.0.1:9000", "/tmp")).toThrow(/must start with http/);
    expect(() => openBlobStore("s3://b?accessKeyId=x", "/tmp")).toThrow(/both accessKeyId and secretAccessKey/);
    expect(() => openBlobStore("gs://bucket", "/tmp")).toThrow(/unsupported PERFORATOR_BLOB_URL/);
    expect(openBlobStore("", "/data")).toBeInstanceOf(FileBlobStore);
    expect((openBlobStore("file:/srv/blobs", "/data") as FileBlobStore).root).toBe("/srv/blobs");
  });

  it("serves the whole store from S3: uploads, compaction, render, sweep", async () => {
    await withDb(
      targets[0]!,
      async (db) => {
        expect(db.blobs.location).toBe("s3://profiles/db");
        const team = await createTeam(db, "t");
        const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
        const raw = [];
        for (let i = 0; i < 12; i++) {
          const p = randomProfile(i, T0 + i * 60_000);
          const body = toPprof(p, { gzip: i % 2 === 0 });
          raw.push(parsePprof(body));
          await storeProfile(db, {
            teamId: team.id,
            service: "api",
            from: new Date(T0 + i * 60_000),
            until: new Date(T0 + (i + 1) * 60_000),
            profile: p,
            body,
            format: "pprof",
          });
        }
        const res = await compact(db, { now: new Date(T0 + 2 * 3_600_000) });
        expect(res).toMatchObject({ ran: true, profiles: 12, errors: [] });
        const { profile, stats } = await renderMergedWithStats(db, {
          teamId: team.id,
          service: "api",
          from: new Date(T0),
          until: new Date(T0 + 12 * 60_000),
        });
        expect(stats.raw).toBe(0);
        expect(canonical(profile)).toEqual(canonical(merge(raw)));
        await db.blobs.put(enc("orphan"));
        expect((await sweepOrphanBlobs(db, new Date(Date.now() + 1000))).deleted).toBe(1);
        const first = (await db.prisma.profile.findFirstOrThrow({ orderBy: { startTime: "asc" } })).id;
        const rec = (await getProfile(db, team.id, first))!;
        expect(parsePprof(await readProfileBody(db, rec)).samples.length).toBe(raw[0]!.samples.length);
      },
      { blobUrl: url("db") },
    );
  });
});
