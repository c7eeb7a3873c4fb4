import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase } from "@perforator/db";
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
    const caller = createCaller({ database: handle(`file:${path.join(dir, "web.db")}`, dir), user: null });
    const h = await caller.health();
    expect(h.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(h.db).toMatchObject({ kind: "sqlite", reachable: true, url: `file:${path.join(dir, "web.db")}` });
    expect(h.db.error).toBeUndefined();
  });

  it("reports an unreachable PostgreSQL server with the reason and no password", async () => {
    const caller = createCaller({ database: handle("postgresql://perf:topsecret@127.0.0.1:1/perforator"), user: null });
    const h = await caller.health();
    expect(h.db).toMatchObject({ kind: "postgres", reachable: false });
    expect(h.db.error).toMatch(/cannot reach the postgres database at postgresql:\/\/perf:\*\*\*@127\.0\.0\.1:1/);
    expect(JSON.stringify(h)).not.toContain("topsecret");
  });

  it("reports an unsupported DATABASE_URL as unreachable with what to use instead", async () => {
    const caller = createCaller({ database: handle("mysql://root@localhost/perf"), user: null });
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
    const caller = createCaller({ database: h, user: null });
    const down = await caller.health();
    expect(down.db.reachable).toBe(false);
    expect(down.db.error).toMatch(/could not migrate the database: connect ECONNREFUSED/);
    const up = await caller.health();
    expect(up.db).toMatchObject({ reachable: true });
    expect(up.db.error).toBeUndefined();
  });
});
