import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import {
  compileMatchers,
  merge,
  type Profile,
  parseFolded,
  parsePprof,
  parseSelector,
  toPprof,
} from "@perforator/profile";
import { describe, expect, it } from "vitest";
import { FileBlobStore } from "./blob-store.js";
import { compact, sweepOrphanBlobs } from "./compactor.js";
import { type Database, openDatabase } from "./database.js";
import { topFunctions } from "./functions.js";
import { getProfile, listProfiles, listServices, loadProfile, readProfileBody, storeProfile } from "./profiles.js";
import { renderMergedWithStats } from "./render.js";
import { bootstrap, createApiToken, createTeam, listApiTokens, revokeApiToken, verifyApiToken } from "./teams.js";
import { canonical, randomProfile } from "./test-utils/profiles.js";
import { notePostgresSkipped, targets, tempDir, withDb } from "./test-utils/targets.js";

notePostgresSkipped();

const enc = (s: string) => new TextEncoder().encode(s);
const FOLDED = "main;handle;UserIDSearchHandler;search_user 970\nmain;handle;other 30\n";
const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
const MIN = 60_000;

async function blobKeys(db: Database): Promise<string[]> {
  const out: string[] = [];
  for await (const b of db.blobs.list()) out.push(b.key);
  return out.sort();
}

/** Stores folded `text` as a one-minute profile of service "s" at T0. */
function storeFolded(db: Database, teamId: string, text: string, extra: { idempotencyKey?: string } = {}) {
  return storeProfile(db, {
    teamId,
    service: "s",
    from: new Date(T0),
    until: new Date(T0 + MIN),
    profile: parseFolded(text),
    body: enc(text),
    format: "folded",
    ...extra,
  });
}

/** Makes every INSERT into "Profile" fail, as a full disk or a lost connection would. */
async function breakProfileInserts(db: Database, url: string): Promise<void> {
  if (db.kind === "sqlite") {
    await db.prisma.$executeRawUnsafe(
      `CREATE TRIGGER fail_profile BEFORE INSERT ON "Profile" BEGIN SELECT RAISE(ABORT, 'insert refused by test'); END`,
    );
  } else {
    const schema = new URL(url).searchParams.get("schema");
    await db.prisma.$executeRawUnsafe(
      `CREATE FUNCTION "${schema}".fail_profile() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'insert refused by test'; END $$ LANGUAGE plpgsql`,
    );
    await db.prisma.$executeRawUnsafe(
      `CREATE TRIGGER fail_profile BEFORE INSERT ON "${schema}"."Profile" FOR EACH ROW EXECUTE FUNCTION "${schema}".fail_profile()`,
    );
  }
}

describe.each(targets)("$name", (target) => {
  it("creates teams and tokens, verifies, lists without secrets, revokes", async () => {
    await withDb(target, async (db, url) => {
      const team = await createTeam(db, "shop");
      await expect(createTeam(db, "shop")).rejects.toThrow(/already exists/);
      await expect(createTeam(db, "bad name!")).rejects.toThrow(/invalid team name/);
      const { token, record } = await createApiToken(db, { teamId: team.id, scope: "ingest", name: "ci" });
      expect(token).toMatch(/^pft_[A-Za-z0-9_-]{32}$/);
      expect(record).toMatchObject({ teamId: team.id, scope: "ingest", name: "ci", prefix: token.slice(0, 8) });
      const stored = await db.prisma.apiToken.findUniqueOrThrow({ where: { id: record.id } });
      expect(JSON.stringify(stored)).not.toContain(token.slice(8));
      await expect(createApiToken(db, { teamId: team.id, scope: "admin" as never })).rejects.toThrow(/scope/);

      expect(await verifyApiToken(db, token)).toEqual({ tokenId: record.id, teamId: team.id, scope: "ingest" });
      expect(await verifyApiToken(db, `${token}x`)).toBeNull();
      expect(await verifyApiToken(db, "Bearer nonsense")).toBeNull();
      // lastUsedAt is written once, not on every verify.
      await new Promise((r) => setTimeout(r, 200));
      const used = (await db.prisma.apiToken.findUniqueOrThrow({ where: { id: record.id } })).lastUsedAt;
      expect(used).toBeInstanceOf(Date);
      await verifyApiToken(db, token);
      await new Promise((r) => setTimeout(r, 100));
      expect((await db.prisma.apiToken.findUniqueOrThrow({ where: { id: record.id } })).lastUsedAt).toEqual(used);

      const list = await listApiTokens(db, team.id);
      expect(list.map((t) => [t.name, t.scope, t.prefix])).toEqual([["ci", "ingest", token.slice(0, 8)]]);
      expect(Object.keys(list[0]!)).not.toContain("tokenHash");

      // A revoke by another process (here another connection) takes effect within the cache time.
      const other = openDatabase({ url, dataDir: tempDir() });
      try {
        const other2 = await createTeam(other, "other");
        expect(await revokeApiToken(other, other2.id, record.id)).toBe(false); // not that team's token
        expect(await revokeApiToken(other, team.id, record.id)).toBe(true);
      } finally {
        await other.close();
      }
      await new Promise((r) => setTimeout(r, 2100));
      expect(await verifyApiToken(db, token)).toBeNull();
      // In the revoking process it is immediate.
      const read = await createApiToken(db, { teamId: team.id, scope: "read" });
      expect(await verifyApiToken(db, read.token)).toMatchObject({ scope: "read" });
      await revokeApiToken(db, team.id, read.record.id);
      expect(await verifyApiToken(db, read.token)).toBeNull();
    });
  });

  it("bootstraps team default and an ingest token into <dataDir>/ingest-token once", async () => {
    await withDb(target, async (db) => {
      const dir = tempDir();
      const first = await bootstrap(db, dir);
      expect(first.created).toBe(true);
      expect(first.tokenFile).toBe(path.join(dir, "ingest-token"));
      expect(statSync(first.tokenFile!).mode & 0o777).toBe(0o600);
      const token = readFileSync(first.tokenFile!, "utf8").trim();
      expect(await verifyApiToken(db, token)).toMatchObject({ teamId: first.teamId, scope: "ingest" });
      expect((await db.prisma.team.findUniqueOrThrow({ where: { id: first.teamId } })).name).toBe("default");
      expect(await bootstrap(db, dir)).toMatchObject({ created: false, tokenFile: null });
      expect(await db.prisma.apiToken.count()).toBe(1);
    });
  });

  it("bootstraps once when several processes start on an empty store at the same moment", async () => {
    await withDb(target, async (db, url) => {
      const others = [0, 1, 2].map(() => openDatabase({ url, dataDir: tempDir() }));
      try {
        const results = await Promise.all([db, ...others].map((d) => bootstrap(d, d.dataDir)));
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(await db.prisma.apiToken.count()).toBe(1);
        expect(await db.prisma.team.count({ where: { name: "default" } })).toBe(1);
      } finally {
        for (const o of others) await o.close();
      }
    });
  });

  it("stores uploads compressed, reads them back, summarises functions, and keeps teams apart", async () => {
    await withDb(target, async (db) => {
      const a = await createTeam(db, "a");
      const b = await createTeam(db, "b");
      const body = enc(FOLDED.repeat(50));
      const folded = parseFolded(new TextDecoder().decode(body));
      const first = await storeProfile(db, {
        teamId: a.id,
        service: "shop.api",
        labels: { host: "web-1" },
        from: new Date(T0),
        until: new Date(T0 + MIN),
        profile: folded,
        body,
        format: "folded",
      });
      expect(first.created).toBe(true);
      const rec = await getProfile(db, a.id, first.id);
      expect(rec).toMatchObject({
        service: "shop.api",
        teamId: a.id,
        blobEncoding: "gzip",
        rawSize: body.byteLength,
        decompressedSize: body.byteLength,
        labels: { host: "web-1" },
        sampleCount: 2,
        totalValue: 50_000n,
      });
      expect(rec!.blobSize).toBeLessThan(body.byteLength / 5);
      expect(Buffer.from(await readProfileBody(db, rec!)).equals(Buffer.from(body))).toBe(true);
      expect(canonical(await loadProfile(db, rec!))).toEqual(canonical(folded));

      // A gzip pprof upload is stored byte for byte (its key is the sha256 of the upload).
      const pprofGz = toPprof(randomProfile(1, T0), { gzip: true });
      const second = await storeProfile(db, {
        teamId: a.id,
        service: "shop.api",
        labels: { host: "web-2" },
        from: new Date(T0 + MIN),
        until: new Date(T0 + 2 * MIN),
        profile: parsePprof(pprofGz),
        body: pprofGz,
        format: "pprof",
      });
      const rec2 = (await getProfile(db, a.id, second.id))!;
      expect(rec2.blobKey).toBe(FileBlobStore.keyOf(pprofGz));
      expect(rec2).toMatchObject({ rawSize: pprofGz.byteLength, blobSize: pprofGz.byteLength, sampleType: "cpu" });
      expect(rec2.decompressedSize).toBeGreaterThan(pprofGz.byteLength);
      expect((await readProfileBody(db, rec2)).byteLength).toBe(rec2.decompressedSize);

      // Team isolation: b sees nothing of a's.
      expect(await getProfile(db, b.id, first.id)).toBeNull();
      expect((await listProfiles(db, { teamId: b.id })).profiles).toEqual([]);
      expect(await listServices(db, b.id)).toEqual([]);
      expect(
        (await topFunctions(db, { teamId: b.id, service: "shop.api", from: new Date(0), until: new Date(T0 * 2) }))
          .functions,
      ).toEqual([]);

      const services = await listServices(db, a.id);
      expect(services.map((s) => [s.name, s.profileCount, s.lastProfileAt?.getTime()])).toEqual([
        ["shop.api", 2, T0 + MIN],
      ]);
      // The first profile's minute, read from its body (no rollup holds it yet).
      const top = await topFunctions(db, {
        teamId: a.id,
        service: "shop.api",
        from: new Date(T0),
        until: new Date(T0 + MIN),
        limit: 2,
      });
      expect(top).toMatchObject({ profiles: 1, pending: 0, sampleType: "samples", sampleUnit: "count" });
      expect(top.functions.map((r) => [r.name, r.self, r.total])).toEqual([
        ["search_user", 48_500n, 48_500n],
        ["other", 1_500n, 1_500n],
      ]);
      const byTotal = await topFunctions(db, {
        teamId: a.id,
        service: "shop.api",
        from: new Date(T0),
        until: new Date(T0 + MIN),
        orderBy: "total",
        limit: 2,
      });
      expect(byTotal.functions.map((r) => [r.name, r.total]).sort()).toEqual([
        ["handle", 50_000n],
        ["main", 50_000n],
      ]);

      // Label selectors and cursor paging.
      const web2 = await listProfiles(db, { teamId: a.id, labels: '{host=~"web-2"}' });
      expect(web2.profiles.map((p) => p.id)).toEqual([second.id]);
      const page1 = await listProfiles(db, { teamId: a.id, limit: 1 });
      expect(page1.profiles.map((p) => p.id)).toEqual([second.id]);
      const page2 = await listProfiles(db, { teamId: a.id, limit: 1, cursor: page1.nextCursor! });
      expect(page2).toEqual({ profiles: [expect.objectContaining({ id: first.id })], nextCursor: null });
      await expect(listProfiles(db, { teamId: a.id, labels: "{host=" })).rejects.toThrow(/bad label selector/);
    });
  });

  it("answers a repeated idempotency key with the first id and stores nothing new, also when racing", async () => {
    await withDb(target, async (db) => {
      const team = await createTeam(db, "t");
      const upload = (key: string, text: string) => storeFolded(db, team.id, text, { idempotencyKey: key });
      const first = await upload("k1", "a;b 1\n");
      const again = await upload("k1", "a;b 2\n"); // a retry; even a different body is not stored
      expect(again).toEqual({ id: first.id, created: false });
      const race = await Promise.all(Array.from({ length: 6 }, (_, i) => upload("k2", `x;y ${i + 1}\n`)));
      expect(new Set(race.map((r) => r.id)).size).toBe(1);
      expect(race.filter((r) => r.created)).toHaveLength(1);
      expect(await db.prisma.profile.count()).toBe(2);
      // The losers' blobs were released: only the two stored bodies remain.
      expect(await blobKeys(db)).toHaveLength(2);
      // Keys are per team.
      const other = await createTeam(db, "u");
      const theirs = await storeFolded(db, other.id, "a;b 1\n", { idempotencyKey: "k1" });
      expect(theirs.created).toBe(true);
      expect(theirs.id).not.toBe(first.id);
    });
  });

  it("leaves no new blob and no row when the row cannot be written, and never deletes a shared blob", async () => {
    await withDb(target, async (db, url) => {
      const team = await createTeam(db, "t");
      const upload = (text: string) => storeFolded(db, team.id, text);
      const kept = await upload("shared;stack 5\n");
      const before = await blobKeys(db);
      await breakProfileInserts(db, url);
      await expect(upload("new;stack 7\n")).rejects.toThrow(/insert refused by test|constraint/);
      await expect(upload("shared;stack 5\n")).rejects.toThrow(/insert refused by test|constraint/);
      expect(await blobKeys(db)).toEqual(before);
      expect(await db.prisma.profile.count()).toBe(1);
      const rec = (await getProfile(db, team.id, kept.id))!;
      expect(new TextDecoder().decode(await readProfileBody(db, rec))).toBe("shared;stack 5\n");
    });
  });

  it("sweeps blobs no row references, keeping profiles' and rollups' blobs", async () => {
    await withDb(target, async (db) => {
      const team = await createTeam(db, "t");
      for (let i = 0; i < 3; i++) {
        const p = randomProfile(i, T0 + i * MIN);
        await storeProfile(db, {
          teamId: team.id,
          service: "s",
          from: new Date(T0 + i * MIN),
          until: new Date(T0 + (i + 1) * MIN),
          profile: p,
          body: toPprof(p),
          format: "pprof",
        });
      }
      await compact(db, { now: new Date(T0 + 3 * 3_600_000) });
      const orphan = await db.blobs.put(enc("nobody points here"));
      const before = await blobKeys(db);
      expect(before).toContain(orphan.key);
      // Too young: left alone.
      expect(await sweepOrphanBlobs(db, new Date(Date.now() - 3_600_000))).toEqual({ checked: 0, deleted: 0 });
      const r = await sweepOrphanBlobs(db, new Date(Date.now() + 1000));
      expect(r.deleted).toBe(1);
      expect(await blobKeys(db)).toEqual(before.filter((k) => k !== orphan.key));
      // Every row still reads.
      for (const p of (await listProfiles(db, { teamId: team.id })).profiles) await loadProfile(db, p);
      const { stats } = await renderMergedWithStats(db, {
        teamId: team.id,
        service: "s",
        from: new Date(T0),
        until: new Date(T0 + 3 * MIN),
      });
      expect(stats.raw).toBe(0);
    });
  });

  it("renderMerged equals merge() of the same profiles: rollups, edges, late uploads, label filters", async () => {
    await withDb(target, async (db) => {
      const team = await createTeam(db, "t");
      const stored: { at: number; host: string; profile: Profile }[] = [];
      const upload = async (i: number, at: number, host: string) => {
        const p = randomProfile(100 + i, at);
        const body = i % 2 === 0 ? toPprof(p, { gzip: true }) : toPprof(p);
        await storeProfile(db, {
          teamId: team.id,
          service: "api",
          labels: { host },
          from: new Date(at),
          until: new Date(at + MIN),
          profile: p,
          body,
          format: "pprof",
        });
        stored.push({ at, host, profile: parsePprof(body) });
      };
      // Two hours of profiles every 4 minutes from two hosts (offset by 30 s), plus noise in another service.
      for (let i = 0; i < 30; i++) {
        await upload(i, T0 + i * 4 * MIN, "web-1");
        await upload(1000 + i, T0 + i * 4 * MIN + 30_000, "web-2");
      }
      const noise = randomProfile(7, T0);
      await storeProfile(db, {
        teamId: team.id,
        service: "other",
        from: new Date(T0),
        until: new Date(T0 + MIN),
        profile: noise,
        body: toPprof(noise),
        format: "pprof",
      });

      const expected = (from: number, until: number, selector?: string) => {
        const match = selector ? compileMatchers(parseSelector(selector)) : null;
        const picked = stored
          .filter((s) => s.at <= until && s.at + MIN >= from)
          .sort((a, b) => a.at - b.at)
          .map((s) =>
            match
              ? {
                  ...s.profile,
                  samples: s.profile.samples.filter((x) => match({ host: s.host, service: "api", ...x.labels })),
                }
              : s.profile,
          );
        return picked.length === 0 ? [] : canonical(merge(picked));
      };
      const check = async (from: number, until: number, selector?: string) => {
        const { profile, stats } = await renderMergedWithStats(db, {
          teamId: team.id,
          service: "api",
          from: new Date(from),
          until: new Date(until),
          matchers: selector,
        });
        expect(
          canonical(profile),
          `${new Date(from).toISOString()}..${new Date(until).toISOString()} ${selector ?? ""}`,
        ).toEqual(expected(from, until, selector));
        return { profile, stats };
      };

      // Before compaction: all raw.
      const before = await check(T0, T0 + 2 * 3_600_000);
      expect(before.stats.raw).toBe(60);

      const res = await compact(db, { now: new Date(T0 + 3 * 3_600_000) });
      expect(res).toMatchObject({ ran: true, profiles: 61, errors: [] });
      expect(res.rollups[3600]).toBe(3); // two hours of api + one of other

      // Whole hours: one rollup each, nothing parsed.
      const whole = await check(T0, T0 + 2 * 3_600_000);
      expect(whole.stats).toMatchObject({ raw: 0, rollups: { 3600: 2 } });
      expect(whole.profile.meta.merged_profiles).toBe("60");
      expect(whole.profile.timeNanos).toBe(T0 * 1e6);
      // Unaligned edges: 1-minute and 10-minute rollups; a whole hour plus a 10-minute edge.
      const edges = await check(T0 + 7 * MIN + 10_000, T0 + 97 * MIN);
      expect(edges.stats.raw).toBe(0);
      expect(Object.keys(edges.stats.rollups).sort()).toEqual(["60", "600"]);
      const hourAndEdge = await check(T0 + 50 * MIN, T0 + 2 * 3_600_000);
      expect(Object.keys(hourAndEdge.stats.rollups).sort()).toEqual(["3600", "600"]);
      // Label filters on profile labels and on sample labels, through rollups.
      await check(T0, T0 + 2 * 3_600_000, '{host="web-2"}');
      await check(T0 + 13 * MIN, T0 + 80 * MIN, '{host=~"web-.*", thread_name!="MainThread"}');
      await check(T0, T0 + 2 * 3_600_000, '{service="nope"}');

      // A late upload into a compacted hour is counted (raw) until the next compaction picks it up.
      await upload(5000, T0 + 33 * MIN, "web-3");
      const late = await check(T0, T0 + 2 * 3_600_000);
      expect(late.stats.raw).toBe(1);
      await compact(db, { now: new Date(T0 + 3 * 3_600_000) });
      const after = await check(T0, T0 + 2 * 3_600_000);
      expect(after.stats.raw).toBe(0);
      await check(T0, T0 + 2 * 3_600_000, '{host="web-3"}');
      // Nothing twice: rollup levels hold each profile once.
      for (const level of [60, 600, 3600]) {
        const sum = await db.prisma.rollup.aggregate({ where: { level }, _sum: { profileCount: true } });
        expect(sum._sum.profileCount, `level ${level}`).toBe(62);
      }
      // A compactor that finds the lease taken does nothing.
      await db.prisma.lease.update({
        where: { name: "compactor" },
        data: { holder: "someone else", expiresAt: new Date(Date.now() + 60_000) },
      });
      await upload(6000, T0 + 50 * MIN, "web-1");
      expect(await compact(db, { now: new Date(T0 + 3 * 3_600_000) })).toMatchObject({ ran: false });
      await check(T0, T0 + 2 * 3_600_000);
    });
  });
});
