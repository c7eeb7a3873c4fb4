/**
 * Web benchmark, in headless Chromium against the built app (`next start`) on a seeded embedded store:
 *   - 10,000 stored profiles across 20 services (BENCH_PROFILES to change), one of them a day of one-minute profiles
 *     of 5,000 stacks each (1,440, BENCH_DAY to change), compacted into rollups as the ingest's compactor would;
 *   - explorer first load: navigation → service picker, timeline and profile count shown;
 *   - the day's merged flamegraph: navigation → first flamegraph draw, cold (merged on the server) and warm (cached),
 *     and the server's /api/source time alone (the viewer's columnar payload, and the gzipped pprof download);
 *   - a profile of ~1M flamegraph nodes on its /p/<id> page: navigation → first draw, redraw, search.
 * Writes docs/bench/web.md. Run: pnpm --filter @perforator/web build && pnpm --filter @perforator/web bench
 * BENCH_DATA_DIR=/some/dir keeps the seeded store there and reuses it on the next run (seeding takes minutes);
 * BENCH_SEED_ONLY=1 only seeds. BENCH_BIG_STACKS sets the stacks of the big profile (default 48,000: ~1M nodes).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { addMember, compact, createPasswordUser, ensureTeam, openDatabase, storeProfile } from "@perforator/db";
import { importProfile, ProfileBuilder, parsePprof, toPprof } from "@perforator/profile";
import { hashPassword } from "better-auth/crypto";
import { chromium } from "playwright-core";
import { expect, it } from "vitest";
// @ts-expect-error: plain ESM helper shared by the benchmarks, no types
import { dayOfProfiles, rng } from "../../../packages/profile/bench/inputs.mjs";
import { APP_DIR, startWeb } from "../src/test-utils/web-server";

const TOTAL = Number(process.env.BENCH_PROFILES ?? 10_000);
const DAY = Number(process.env.BENCH_DAY ?? 1440);
const RUNS = 3;
const MIN = 60_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`);

const BIG_STACKS = Number(process.env.BENCH_BIG_STACKS ?? 64_000);
/** Changes when bigProfile's shape does, so a kept store gets the new profile. */
const BIG_SHAPE = `${BIG_STACKS} stacks, v2`;

/**
 * One profile of BIG_STACKS stacks of depth 8-38 over 5,000 functions: at each depth a few "hot" functions take 97%
 * of the picks (skewed), the rest any function, so wide frames share prefixes and the tails fan out: ~17 new nodes
 * per stack (64,000 stacks: ~1M nodes, ~2,000 of them at least half a pixel wide at 1600 px).
 */
function bigProfile() {
  const rnd = rng(7) as () => number;
  const b = new ProfileBuilder([{ type: "cpu", unit: "nanoseconds" }], { durationNanos: 60e9 });
  const frames: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const mod = `mod${i % 50}`;
    frames.push(
      b.frame({
        name: `${mod}.func_${i}`,
        file: `/srv/app/${mod}.py`,
        line: 1 + (i % 300),
        kind: "python",
        module: "",
      }),
    );
  }
  for (let k = 0; k < BIG_STACKS; k++) {
    const depth = 8 + Math.floor(rnd() * 30);
    const stack: number[] = [];
    for (let d = 0; d < depth; d++) {
      const hot = rnd() < 0.97;
      stack.push(frames[hot ? (d * 37 + Math.floor(rnd() ** 2 * 4)) % 5000 : Math.floor(rnd() * 5000)]!);
    }
    b.add(stack, [Math.floor(1 + rnd() * 100) * 10_101_010]);
  }
  return b.build();
}

/** Stores the big profile (service `big`) once; its id is kept in the seed marker. */
async function storeBig(dataDir: string, url: string): Promise<string> {
  const db = openDatabase({ url, dataDir });
  try {
    const team = await ensureTeam(db, "default");
    const profile = bigProfile();
    const saved = await storeProfile(db, {
      teamId: team.id,
      service: "big",
      labels: {},
      from: new Date(Date.now() - 2 * MIN),
      until: new Date(Date.now() - MIN),
      profile,
      body: toPprof(profile, { gzip: true }),
      format: "pprof",
    });
    return saved.id;
  } finally {
    await db.close();
  }
}

async function seedStore(dataDir: string, url: string, password: string) {
  for (const f of ["perforator.db", "perforator.db-wal", "perforator.db-shm"])
    rmSync(path.join(dataDir, f), { force: true });
  const db = openDatabase({ url, dataDir });
  await db.migrate();
  const team = await ensureTeam(db, "default");
  const dayStart = Date.now() - DAY * MIN - 5 * MIN;
  // The day: 24 distinct 5,000-stack profiles repeated, two hosts (as in the db benchmark).
  const { profiles: variants } = dayOfProfiles(ProfileBuilder, 24, 5000);
  const bodies = variants.map((p: Parameters<typeof toPprof>[0]) => toPprof(p, { gzip: true }));
  const parsed = bodies.map((b: Uint8Array) => parsePprof(b));
  let t = performance.now();
  for (let i = 0; i < DAY; i++) {
    await storeProfile(db, {
      teamId: team.id,
      service: "api",
      labels: { host: `web-${i % 2}` },
      from: new Date(dayStart + i * MIN),
      until: new Date(dayStart + (i + 1) * MIN),
      profile: parsed[i % 24],
      body: bodies[i % 24],
      format: "pprof",
    });
  }
  // The rest: small profiles of 19 other services over the same day.
  const small = new TextEncoder().encode("main;serve;handle 7\nmain;serve;idle 3\n");
  const smallProfile = importProfile(small);
  const rest = Math.max(0, TOTAL - DAY);
  for (let i = 0; i < rest; i++) {
    const at = dayStart + Math.floor((i / rest) * DAY) * MIN;
    await storeProfile(db, {
      teamId: team.id,
      service: `svc-${(i % 19) + 1}`,
      labels: { host: `web-${i % 4}` },
      from: new Date(at),
      until: new Date(at + MIN),
      profile: smallProfile,
      body: small,
      format: "folded",
    });
  }
  const seedMs = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < 20; i++) {
    const r = await compact(db, { graceMs: 0, maxProfiles: 20_000 });
    if (r.profiles === 0) break;
  }
  const compactMs = performance.now() - t;
  const user = await createPasswordUser(db, {
    email: "bench@example.com",
    name: "bench",
    passwordHash: await hashPassword(password),
  });
  await addMember(db, { teamId: team.id, userId: user.id, role: "owner" });
  await db.close();
  return { total: TOTAL, day: DAY, dayStart, seedMs, compactMs };
}

it("explorer and the day's merged flamegraph", async () => {
  const keep = process.env.BENCH_DATA_DIR;
  const dataDir = keep ?? mkdtempSync(path.join(tmpdir(), "perforator-web-bench-"));
  mkdirSync(dataDir, { recursive: true });
  const url = `file:${path.join(dataDir, "perforator.db")}`;
  const marker = path.join(dataDir, "bench-seed.json");
  const password = "bench password 1";
  type Seed = {
    total: number;
    day: number;
    dayStart: number;
    seedMs: number;
    compactMs: number;
    big?: { id: string; shape: string };
  };
  let seed: Seed | null = existsSync(marker) ? (JSON.parse(readFileSync(marker, "utf8")) as Seed) : null;
  if (!seed || seed.total !== TOTAL || seed.day !== DAY) seed = await seedStore(dataDir, url, password);
  if (seed.big?.shape !== BIG_SHAPE) seed.big = { id: await storeBig(dataDir, url), shape: BIG_SHAPE };
  writeFileSync(marker, JSON.stringify(seed));
  if (process.env.BENCH_SEED_ONLY) return; // seed now (minutes), measure later against a fresh build
  const { dayStart, seedMs, compactMs, big } = seed;
  const range = `from=${dayStart - 5 * MIN}&until=${dayStart + (DAY + 5) * MIN}`;

  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  const web = await startWeb({ PERFORATOR_DATA_DIR: dataDir, DATABASE_URL: url });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  const rows: string[] = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`${web.base}/sign-in`);
    await page.fill('input[name="email"]', "bench@example.com");
    await page.fill('input[name="password"]', password);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${web.base}/`);

    const explore = (service: string) =>
      `${web.base}/explore?query=${encodeURIComponent(`{service="${service}"}`)}&${range}`;

    // Explorer first load on a small service (its merged flamegraph is tiny): controls, timeline and count.
    const firstLoad: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.goto("about:blank");
      await page.goto(explore("svc-1"));
      await page.waitForFunction(
        () =>
          /^[\d,]+ profiles$/.test(document.querySelector('[data-testid="profile-count"]')?.textContent ?? "") &&
          document.querySelector('[data-testid="timeline"] canvas') !== null,
        undefined,
        { timeout: 60_000 },
      );
      firstLoad.push(await page.evaluate(() => performance.now()));
    }
    const count = await page.getByTestId("profile-count").textContent();
    rows.push(
      `| explorer first load (${count} of ${TOTAL.toLocaleString("en-US")} stored) | navigation → picker, timeline and count shown | ${fmt(median(firstLoad))} | ${firstLoad.map(fmt).join(", ")} |`,
    );

    // The day's merged flamegraph, from navigation to its first draw. Cold: the first navigation after the server
    // started (also Next.js' first render of the page and cold JIT), then cache misses on a running server (a range
    // end a minute later per run: the same profiles, a new cache key); warm: the cached merge (what reopening a link
    // or a second viewer sees).
    const dayView = async (extraMin: number) => {
      await page.goto("about:blank");
      const r = `from=${dayStart - 5 * MIN}&until=${dayStart + (DAY + 5 + extraMin) * MIN}`;
      await page.goto(`${web.base}/explore?query=${encodeURIComponent('{service="api"}')}&${r}`);
      await page.waitForFunction(() => (window.__flamegraph?.main?.firstDrawAt() ?? null) !== null, undefined, {
        timeout: 120_000,
      });
      return (await page.evaluate(() => window.__flamegraph!.main!.firstDrawAt()))!;
    };
    // Where a navigation's time went: when the payload was asked for and arrived (resource timing), and the server's
    // Server-Timing for it.
    const split = () =>
      page.evaluate(() => {
        const e = performance
          .getEntriesByType("resource")
          .find((x) => x.name.includes("/api/source") && x.name.includes("format=view")) as PerformanceResourceTiming;
        const st = e.serverTiming.map((t) => `${t.name}${t.duration ? `=${t.duration.toFixed(0)}` : ""}`).join(" ");
        const drawn = window.__flamegraph!.main!.firstDrawAt()!;
        return `asked at ${e.requestStart.toFixed(0)} ms, received by ${e.responseEnd.toFixed(0)} ms, drawn at ${drawn.toFixed(0)} ms (server: ${st})`;
      });
    const first = await dayView(0);
    const misses: number[] = [];
    for (let i = 1; i <= RUNS; i++) misses.push(await dayView(100 + i));
    const missSplit = await split();
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) warm.push(await dayView(0));
    const nodes = await page.evaluate(() => window.__flamegraph!.main!.nodeCount());
    rows.push(
      `| merged flamegraph of ${DAY} profiles × 5,000 stacks (${nodes.toLocaleString("en-US")} nodes), cold: first navigation after the server started | navigation → first flamegraph draw | ${fmt(first)} | ${fmt(first)} |`,
    );
    rows.push(
      `| same, cold: merge not cached, on a running server | navigation → first flamegraph draw | ${fmt(median(misses))} | ${misses.map(fmt).join(", ")} |`,
    );
    rows.push(`| of which, the last cache miss | ${missSplit} | | |`);
    rows.push(
      `| same, merge cached on the server (warm) | navigation → first flamegraph draw | ${fmt(median(warm))} | ${warm.map(fmt).join(", ")} |`,
    );

    // The server's part alone, as the browser fetches it: the viewer's columnar payload (format=view), and the
    // gzipped pprof a download gets (format=raw).
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    for (const [format, what] of [
      ["view", "renderMergedColumns + columnar payload"],
      ["raw", "renderMerged + gzipped pprof"],
    ] as const) {
      const server: number[] = [];
      let bytes = 0;
      let timing = "";
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        // A range end one minute later per run: the same profiles, but not the cached merge.
        const cold = `from=${dayStart - 5 * MIN}&until=${dayStart + (DAY + 6 + i) * MIN}`;
        const res = await fetch(
          `${web.base}/api/source?query=${encodeURIComponent('{service="api"}')}&${cold}&format=${format}`,
          { headers: { cookie } },
        );
        bytes = (await res.arrayBuffer()).byteLength;
        timing = res.headers.get("server-timing") ?? "";
        expect(res.status).toBe(200);
        server.push(performance.now() - t0);
      }
      rows.push(
        `| /api/source?format=${format} of that day, cold (${what}, ${(bytes / 1024).toFixed(0)} KiB) | request → last byte | ${fmt(median(server))} | ${server.map(fmt).join(", ")} |`,
      );
      rows.push(`| of which, last run (Server-Timing, ms) | ${timing.replace(/\|/g, "/")} | | |`);
    }

    // A ~1M-node profile on its page: navigation → first draw (download, parse, tree, first paint), then redraws
    // and searches as packages/flamegraph's bench measures them (in the page: the redraw hook; a keystroke in the
    // search box → "Matched" shown).
    const bigPage = `${web.base}/p/${big!.id}`;
    const paints: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await page.goto("about:blank");
      await page.goto(bigPage);
      await page.waitForFunction(() => (window.__flamegraph?.main?.firstDrawAt() ?? null) !== null, undefined, {
        timeout: 300_000,
      });
      paints.push((await page.evaluate(() => window.__flamegraph!.main!.firstDrawAt()))!);
    }
    const bigNodes = await page.evaluate(() => window.__flamegraph!.main!.nodeCount());
    const { redraws, drawn } = await page.evaluate(() => {
      const out: number[] = [];
      let drawn = 0;
      for (let i = 0; i < 15; i++) {
        const t = performance.now();
        drawn = window.__flamegraph!.main!.redraw()?.drawn ?? 0;
        out.push(performance.now() - t);
      }
      return { redraws: out, drawn };
    });
    const searches: number[] = [];
    for (const text of ["func_1234", "mod7.", "func_42", "mod3.func_3", "zzz_nothing", "mod11.func_111"]) {
      await page.fill('input[aria-label="Search functions"]', "");
      await page.waitForFunction(() => document.querySelector('[data-testid="matched"]') === null);
      await page.evaluate(() => {
        const w = window as unknown as { __inputAt?: number; __matchedAt?: number };
        w.__inputAt = undefined;
        w.__matchedAt = undefined;
        const input = document.querySelector('input[aria-label="Search functions"]')!;
        input.addEventListener("input", () => (w.__inputAt = performance.now()), { once: true, capture: true });
        const seen = () => {
          if (document.querySelector('[data-testid="matched"]') && w.__inputAt !== undefined) {
            w.__matchedAt = performance.now();
          } else requestAnimationFrame(seen);
        };
        requestAnimationFrame(seen);
      });
      await page.fill('input[aria-label="Search functions"]', text);
      await page.waitForFunction(() => (window as unknown as { __matchedAt?: number }).__matchedAt !== undefined);
      searches.push(
        await page.evaluate(() => {
          const w = window as unknown as { __inputAt: number; __matchedAt: number };
          return w.__matchedAt - w.__inputAt;
        }),
      );
    }
    rows.push(
      `| a profile of ${bigNodes.toLocaleString("en-US")} nodes (${BIG_STACKS.toLocaleString("en-US")} stacks, pprof) on /p/<id> | navigation → first flamegraph draw | ${fmt(median(paints))} | ${paints.map(fmt).join(", ")} |`,
    );
    rows.push(
      `| same page: redraw | one full redraw, ${drawn.toLocaleString("en-US")} frames drawn (the viewer's redraw hook) | ${median(redraws).toFixed(1)} ms | best ${Math.min(...redraws).toFixed(1)} ms of ${redraws.length} |`,
    );
    rows.push(
      `| same page: search | keystroke → "Matched" shown (search, React render, next frame) | ${fmt(median(searches))} | ${searches.map(fmt).join(", ")} |`,
    );
  } finally {
    await browser.close();
    await web.stop();
    if (!keep) rmSync(dataDir, { recursive: true, force: true });
  }

  const doc = `## Web (apps/web)

\`pnpm --filter @perforator/web build && pnpm --filter @perforator/web bench\` (apps/web/bench/web.bench.ts): the built
app (\`next start\`) and headless Chromium on an embedded SQLite store seeded with ${TOTAL.toLocaleString("en-US")} profiles
(${DAY} one-minute profiles of 5,000 stacks of service \`api\` over the last day, the rest small profiles of 19 other
services), compacted into rollups as the ingest's compactor does. Seeding took ${fmt(seedMs)}, compaction ${fmt(compactMs)}.
Times are medians of ${RUNS} navigations (a warm server; the first run includes Next.js' first render of the page).
Rerun without reseeding: \`BENCH_DATA_DIR=/some/dir pnpm --filter @perforator/web bench\` seeds once into that directory
(minutes) and reuses it afterwards; \`cd apps/web && BENCH_DATA_DIR=/some/dir npx vitest run --config vitest.bench.config.ts
bench/web.bench.ts\` runs only this file (not the dashboard bench).
Load average at the start: ${load}, at the end: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(
      " ",
    )} on ${cpus().length} CPUs. Targets (issue 11): explorer first load ≤ 1 s; a day's merged flamegraph drawn ≤ 2 s; a 1M-node
profile page at the flamegraph package's own numbers (docs/bench/flamegraph.md: first paint, redraw, search).

| what | measured | median | runs |
| ---- | -------- | ------ | ---- |
${rows.join("\n")}
`;
  // Hand-written notes below the marker survive reruns.
  const file = path.join(APP_DIR, "..", "..", "docs", "bench", "web.md");
  const MARK = "<!-- notes: kept across reruns -->";
  const previous = existsSync(file) ? readFileSync(file, "utf8") : "";
  const notes = previous.includes(MARK) ? previous.slice(previous.indexOf(MARK)) : `${MARK}\n`;
  writeFileSync(file, `${doc}\n${notes}`);
  console.log(doc);
});
