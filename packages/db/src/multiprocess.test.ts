import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { openDatabase } from "./database.js";
import { defaultTeamId, listProfiles, listServices } from "./profiles.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const WRITER = path.join(here, "test-utils", "writer.mjs");
const DIST = path.join(here, "..", "dist", "index.js");
const dir = mkdtempSync(path.join(tmpdir(), "perforator-db-mp-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// What ingest + web do on the embedded default: several processes migrating and writing one SQLite file.
it("four processes migrate and write one SQLite database at once without losing a row", async () => {
  if (!existsSync(DIST)) throw new Error("packages/db/dist is missing: run `pnpm --filter @perforator/db build` first");
  const url = `file:${path.join(dir, "shared.db")}`;
  const run = promisify(execFile);
  await Promise.all(
    ["a", "b", "c", "d"].map((s) => run(process.execPath, [WRITER, url, dir, `svc.${s}`, "25"], { timeout: 120_000 })),
  );
  const db = openDatabase({ url, dataDir: dir });
  try {
    expect(await db.ping()).toMatchObject({ ok: true });
    const teamId = await defaultTeamId(db);
    const services = await listServices(db, teamId);
    expect(services.map((s) => [s.name, s.profileCount])).toEqual([
      ["svc.a", 25],
      ["svc.b", 25],
      ["svc.c", 25],
      ["svc.d", 25],
    ]);
    const { profiles: all } = await listProfiles(db, { teamId, limit: 1000 });
    expect(all.length).toBe(100);
    // Every row's blob is there and holds that row's body.
    for (const p of all.filter((_, i) => i % 10 === 0)) {
      const text = new TextDecoder().decode(await db.blobs.get(p.blobKey));
      expect(text.startsWith(`${p.service};f${p.totalValue} `)).toBe(true);
    }
  } finally {
    await db.close();
  }
});
