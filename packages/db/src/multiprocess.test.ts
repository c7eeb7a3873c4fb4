import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "./database.js";
import { defaultTeamId, listProfiles, listServices } from "./profiles.js";
import { createTeam } from "./teams.js";
import { foldedMinute } from "./test-utils/minute-profile.mjs";
import { targets, withDb } from "./test-utils/targets.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const WRITER = path.join(here, "test-utils", "writer.mjs");
const IDEMPOTENT_WRITER = path.join(here, "test-utils", "idempotent-writer.mjs");
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

describe.each(targets)("$name", (target) => {
  // Two ingest replicas receive the same retried uploads at the same moment: the unique index decides.
  it("two processes storing the same idempotency keys at once store each key once and agree on its id", async () => {
    await withDb(target, async (db, url) => {
      await createTeam(db, "racers");
      const run = promisify(execFile);
      const dataDir = db.dataDir; // the same blob store as this test's connection
      const outs = await Promise.all(
        ["a", "b"].map(async (who) => {
          const { stdout } = await run(process.execPath, [IDEMPOTENT_WRITER, url, dataDir, "racers", "30", who], {
            timeout: 120_000,
          });
          return JSON.parse(stdout) as { key: string; id: string; created: boolean }[];
        }),
      );
      const [a, b] = outs as [(typeof outs)[0], (typeof outs)[0]];
      for (let i = 0; i < 30; i++) {
        expect(a[i]!.id, `k${i}`).toBe(b[i]!.id);
        expect([a[i]!.created, b[i]!.created].filter(Boolean), `k${i}`).toHaveLength(1);
      }
      expect(await db.prisma.profile.count()).toBe(30);
      // Exactly the winners' bodies are stored: every row's blob reads back, and no loser's blob is left over.
      const rows = await db.prisma.profile.findMany({ select: { blobKey: true } });
      const keys: string[] = [];
      for await (const blob of db.blobs.list()) keys.push(blob.key);
      expect(keys.sort()).toEqual(rows.map((r) => r.blobKey).sort());
    });
  });
});

it("the compactor thread compacts in the background and stops cleanly", async () => {
  // Through dist/: the worker thread runs the built module.
  const dist = (await import(DIST)) as typeof import("./index.js");
  const url = `file:${path.join(dir, "thread.db")}`;
  const db = dist.openDatabase({ url, dataDir: dir });
  await db.migrate();
  const team = await dist.createTeam(db, "t");
  for (let i = 0; i < 5; i++) {
    const text = `main;f${i} ${i + 1}\n`;
    await dist.storeProfile(db, {
      teamId: team.id,
      service: "bg",
      ...foldedMinute(text, i),
    });
  }
  const passes: { profiles: number; rollups: Record<number, number> }[] = [];
  const thread = dist.startCompactorThread({ url, dataDir: dir, intervalMs: 100, onPass: (r) => passes.push(r) });
  try {
    for (let i = 0; i < 200 && !passes.some((p) => p.profiles > 0); i++) await new Promise((r) => setTimeout(r, 50));
    // Its thread runs at nice 10, the rest of the process (the request loop) stays at 0.
    const nice = readdirSync("/proc/self/task").map((tid) =>
      Number(readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")[16]),
    );
    expect(nice.filter((n) => n === 10)).toHaveLength(1);
    expect(nice.filter((n) => n !== 10 && n !== 0)).toEqual([]);
  } finally {
    await thread.stop();
  }
  expect(passes.find((p) => p.profiles > 0)).toMatchObject({ profiles: 5, rollups: { 60: 5, 600: 1, 3600: 1 } });
  const { stats } = await dist.renderMergedWithStats(db, {
    teamId: team.id,
    service: "bg",
    from: new Date(Date.UTC(2026, 10, 25, 0, 0)),
    until: new Date(Date.UTC(2026, 10, 25, 0, 5)),
  });
  expect(stats).toMatchObject({ raw: 0, profiles: 5 });
  await db.close();
});
