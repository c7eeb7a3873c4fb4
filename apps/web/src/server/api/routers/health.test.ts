import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase, saveProfile } from "@perforator/db";
import { afterAll, describe, expect, it } from "vitest";
import { createDatabaseHandle, type DatabaseHandle, handleFor } from "../../db";
import { createCaller } from "../root";

const dirs: string[] = [];
const handles: DatabaseHandle[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "perforator-web-"));
  dirs.push(d);
  return d;
}
function handle(url: string, dir = tempDir()): DatabaseHandle {
  const h = createDatabaseHandle(url, dir);
  handles.push(h);
  return h;
}
afterAll(async () => {
  for (const h of handles) await h.db?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("health procedure", () => {
  it("reports version and a reachable SQLite database, migrating a fresh one on first use", async () => {
    const dir = tempDir();
    const caller = createCaller({ database: handle(`file:${path.join(dir, "web.db")}`, dir) });
    const h = await caller.health();
    expect(h.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(h.db).toMatchObject({ kind: "sqlite", reachable: true, url: `file:${path.join(dir, "web.db")}` });
    expect(h.db.error).toBeUndefined();
    expect(await caller.profiles.services()).toEqual([]);
  });

  it("reports an unreachable PostgreSQL server with the reason and no password", async () => {
    const caller = createCaller({ database: handle("postgresql://perf:topsecret@127.0.0.1:1/perforator") });
    const h = await caller.health();
    expect(h.db).toMatchObject({ kind: "postgres", reachable: false });
    expect(h.db.error).toMatch(/cannot reach the postgres database at postgresql:\/\/perf:\*\*\*@127\.0\.0\.1:1/);
    expect(JSON.stringify(h)).not.toContain("topsecret");
    expect(await caller.profiles.services()).toEqual([]);
  });

  it("reports an unsupported DATABASE_URL as unreachable with what to use instead", async () => {
    const caller = createCaller({ database: handle("mysql://root@localhost/perf") });
    const h = await caller.health();
    expect(h.db).toMatchObject({ kind: "unknown", reachable: false });
    expect(h.db.error).toMatch(/unsupported DATABASE_URL scheme "mysql".*postgresql:\/\//);
  });

  it("recovers once the database can be migrated, without a restart", async () => {
    const dir = tempDir();
    const real = openDatabase({ url: `file:${path.join(dir, "web.db")}`, dataDir: dir });
    let failures = 2; // the startup migration and the first retry fail
    const flaky = {
      ...real,
      migrate: () =>
        failures-- > 0 ? Promise.reject(new Error("connect ECONNREFUSED 10.0.0.5:5432")) : real.migrate(),
    };
    const h = handleFor(flaky, 0);
    handles.push(h);
    const caller = createCaller({ database: h });
    const down = await caller.health();
    expect(down.db.reachable).toBe(false);
    expect(down.db.error).toMatch(/could not migrate the database: connect ECONNREFUSED/);
    const up = await caller.health();
    expect(up.db).toMatchObject({ reachable: true });
    expect(up.db.error).toBeUndefined();
  });
});

describe("profiles procedures", () => {
  it("list what is in the database, newest first, with bigint totals intact", async () => {
    const dir = tempDir();
    const url = `file:${path.join(dir, "web.db")}`;
    const db = openDatabase({ url, dataDir: dir });
    await db.migrate();
    for (const [i, service] of ["shop.api", "shop.api", "billing"].entries()) {
      await saveProfile(db, {
        service,
        startTime: new Date(Date.UTC(2026, 10, 25, 10, i)),
        endTime: new Date(Date.UTC(2026, 10, 25, 10, i, 59)),
        sampleType: "cpu",
        sampleUnit: "nanoseconds",
        totalValue: 2n ** 53n + BigInt(i),
        sampleCount: 1,
        format: "folded",
        body: new TextEncoder().encode(`main ${i + 1}\n`),
      });
    }
    await db.close();
    const caller = createCaller({ database: handle(url, dir) });
    expect((await caller.profiles.services()).map((s) => [s.name, s.profileCount])).toEqual([
      ["billing", 1],
      ["shop.api", 2],
    ]);
    const recent = await caller.profiles.recent({ limit: 2 });
    expect(recent.map((p) => [p.service, p.totalValue])).toEqual([
      ["billing", 2n ** 53n + 2n],
      ["shop.api", 2n ** 53n + 1n],
    ]);
    expect((await caller.profiles.recent({ service: "shop.api" })).length).toBe(2);
  });
});
