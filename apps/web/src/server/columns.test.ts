import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { compact, ensureTeam, openDatabase, renderMerged, renderMergedColumns, storeProfile } from "@perforator/db";
import { buildColumnsTree, decodeColumns, topFunctionsColumns } from "@perforator/flamegraph";
import { buildFlameTree, type FlameTree, importProfile, toPprof, topFunctions } from "@perforator/profile";
import { afterAll, describe, expect, it } from "vitest";
import { threadedMinute } from "../test-utils/threads";
import { columnsPayload, mergedColumns } from "./columns";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Node path → "self/total": equal maps mean the same nodes with the same values, whatever the frame table order. */
function byPath(t: FlameTree): Map<string, string> {
  const out = new Map<string, string>();
  const path: string[] = [];
  for (let i = 0; i < t.nodeFrame.length; i++) {
    const f = t.nodeFrame[i]!;
    path.length = t.nodeDepth[i]!;
    path.push(`${t.strings[t.frameName[f]!]}@${t.strings[t.frameFile[f]!]}:${t.frameLine[f]}/${t.frameKind[f]}`);
    out.set(path.join(";"), `${t.nodeSelf[i]}/${t.nodeTotal[i]}`);
  }
  return out;
}

describe("the columnar payload of a merge", () => {
  it("draws the same tree, top table, thread split and by-line tree as the pprof the server used to send", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "perforator-web-columns-"));
    dirs.push(dataDir);
    const db = openDatabase({ dataDir, url: `file:${path.join(dataDir, "perforator.db")}` });
    try {
      await db.migrate();
      const team = await ensureTeam(db, "default");
      const t0 = Date.UTC(2026, 0, 5, 10, 0, 0);
      const put = (i: number, host: string) => {
        const profile = threadedMinute(i);
        return storeProfile(db, {
          teamId: team.id,
          service: "api",
          labels: { host },
          from: new Date(t0 + i * 60_000),
          until: new Date(t0 + (i + 1) * 60_000),
          profile,
          body: toPprof(profile),
          format: "pprof",
        });
      };
      for (let i = 0; i < 12; i++) await put(i, `web-${i % 2}`);
      // Rollups for the first ones, then a late upload that is read raw.
      await compact(db, { now: new Date(t0 + 30 * 60_000), graceMs: 0 });
      await put(3, "web-9");
      const q = { teamId: team.id, service: "api", from: new Date(t0), until: new Date(t0 + 13 * 60_000) };

      const { columns, stats } = await renderMergedColumns(db, q);
      expect(stats.raw).toBe(1);
      expect(Object.keys(stats.rollups).length).toBeGreaterThan(0);
      const viewed = decodeColumns(gunzipSync(columnsPayload(mergedColumns(columns!))));
      const pprofPath = importProfile(toPprof(await renderMerged(db, q)));

      for (const opts of [{}, { groupBy: "thread_name" }, { byLine: true }, { groupBy: "tid", byLine: true }]) {
        const want = buildFlameTree(pprofPath, opts);
        const got = buildColumnsTree(viewed, opts);
        expect(got.nodeFrame.length).toBe(want.nodeFrame.length);
        expect(got.nodeTotal[0]).toBe(want.nodeTotal[0]);
        expect(byPath(got)).toEqual(byPath(want));
      }
      const split = byPath(buildColumnsTree(viewed, { groupBy: "thread_name" }));
      expect([...split.keys()].filter((k) => k.split(";").length === 2)).toEqual([
        "all@:0/3;thread_name=MainThread@:0/3",
        "all@:0/3;thread_name=worker-0@:0/3",
        "all@:0/3;thread_name=worker-1@:0/3",
      ]);
      const lines = [...byPath(buildColumnsTree(viewed, { byLine: true })).keys()].filter((k) =>
        /search_user@server\.py:2[45]\/0$/.test(k),
      );
      expect(lines.length).toBe(2);
      expect(topFunctionsColumns(viewed)).toEqual(topFunctions(pprofPath));
      expect(topFunctionsColumns(viewed, { valueIndex: 1 })).toEqual(topFunctions(pprofPath, { valueIndex: 1 }));
    } finally {
      await db.close();
    }
  });
});
