/**
 * Two ingest processes on one PostgreSQL schema and one blob store (a real s3rver) take uploads at the same
 * time: nothing lost, and an Idempotency-Key sent to both at once stores one profile that both answer with.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  PG_SKIP_REASON,
  PG_URL,
  pgSchema,
  post,
  realisticPprof,
  type Service,
  serviceEnv,
  smallPprof,
  startS3,
  startService,
  stopService,
  tempDir,
} from "./test-utils/harness.js";

const d = PG_URL ? describe : describe.skip;
d(`two replicas on one PostgreSQL and one blob store${PG_URL ? "" : ` (skipped: ${PG_SKIP_REASON})`}`, () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let schema: Awaited<ReturnType<typeof pgSchema>>;
  let a: Service;
  let b: Service;
  const dirs: ReturnType<typeof tempDir>[] = [];
  let auth: Record<string, string>;
  beforeAll(async () => {
    s3 = await startS3();
    schema = await pgSchema();
    const dirA = tempDir();
    const dirB = tempDir();
    dirs.push(dirA, dirB);
    const env = (dir: string) => serviceEnv(dir, { DATABASE_URL: schema.url, PERFORATOR_BLOB_URL: s3.blobUrl });
    // Both start at once: concurrent migration and bootstrap on one database.
    [a, b] = await Promise.all([startService(env(dirA.dir)), startService(env(dirB.dir))]);
    const tokenFile = [dirA, dirB]
      .map((x) => path.join(x.dir, "ingest-token"))
      .find((f) => {
        try {
          return readFileSync(f, "utf8").trim() !== "";
        } catch {
          return false;
        }
      });
    expect(tokenFile, "one of the two replicas bootstrapped the store").toBeDefined();
    auth = { authorization: `Bearer ${readFileSync(tokenFile!, "utf8").trim()}` };
  });
  afterAll(async () => {
    await stopService(a);
    await stopService(b);
    await schema?.drop();
    await s3?.close();
    for (const x of dirs) x.remove();
  });

  it("accept uploads at once with nothing lost and one profile per idempotency key", async () => {
    const replicas = [a, b];
    // 60 tasks taken by 6 concurrent clients: plain uploads alternate between the replicas; a keyed task sends the
    // same Idempotency-Key to both replicas at the same instant.
    const tasks: (() => Promise<void>)[] = [];
    const plainIds: string[] = [];
    const keyedIds: [string, string, number[]][] = [];
    for (let i = 0; i < 40; i++) {
      tasks.push(async () => {
        const to = replicas[i % 2]!;
        const r = await post(`${to.url}/api/v1/profiles?service=replicated&label=i:${i}`, realisticPprof(i, 200), auth);
        expect(r.status, JSON.stringify(r.json)).toBe(201);
        plainIds.push(r.json.id as string);
      });
      if (i % 2 === 1) {
        const k = (i - 1) / 2;
        tasks.push(async () => {
          const h = { ...auth, "idempotency-key": `retry-${k}` };
          const body = smallPprof(k);
          const [x, y] = await Promise.all([
            post(`${a.url}/api/v1/profiles?service=replicated`, body, h),
            post(`${b.url}/api/v1/profiles?service=replicated`, body, h),
          ]);
          keyedIds.push([x.json.id as string, y.json.id as string, [x.status, y.status].sort()]);
        });
      }
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (next < tasks.length) await tasks[next++]!();
      }),
    );
    expect(keyedIds.length).toBe(20);
    expect(new Set(plainIds).size).toBe(40);
    for (const [x, y, statuses] of keyedIds) {
      expect(x).toBe(y);
      expect(statuses).toEqual([200, 201]);
    }
    // Every profile is readable through either replica; the list holds exactly these.
    const all = [...plainIds, ...keyedIds.map((k) => k[0])];
    const listed = (await (
      await fetch(`${b.url}/api/v1/profiles?service=replicated&limit=1000`, { headers: auth })
    ).json()) as { profiles: { id: string }[] };
    expect(listed.profiles.map((p) => p.id).sort()).toEqual([...all].sort());
    for (const [i, id] of all.entries()) {
      const r = await fetch(`${replicas[i % 2]!.url}/api/v1/profiles/${id}?format=folded`, { headers: auth });
      expect(r.status, id).toBe(200);
    }
  });
});
