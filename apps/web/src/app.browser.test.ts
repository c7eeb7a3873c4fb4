/**
 * The built app in real Chromium (playwright-core), every request outside the app's origin blocked and counted,
 * console errors collected: first sign-up, upload, profile page (search, zoom, tabs), copy link reopened in a new
 * context, explorer, diff, public links with and without a session, revocation, invites, the admin CLI and team
 * isolation. Screenshots land in $PERFORATOR_SCREENSHOTS (default: a temp dir) for a human to look at.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { compact, type Database, ensureTeam, openDatabase, storeProfile } from "@perforator/db";
import { importProfile, toPprof } from "@perforator/profile";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flameReady, launchChromium, newContext as newContextFor, watchPages } from "./test-utils/browser";
import { threadedMinute } from "./test-utils/threads";
import { FAST, SLOW } from "./test-utils/tutorial";
import { APP_DIR, type IngestServer, startIngest, startWeb, type WebServer } from "./test-utils/web-server";

const PASSWORD = "correct horse battery";

let dataDir = "";
let shots = "";
let web: WebServer;
let ingest: IngestServer | undefined;
let browser: Browser;
let base = "";
const { openPage, clean } = watchPages(() => base);

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "perforator-web-e2e-"));
  shots = process.env.PERFORATOR_SCREENSHOTS ?? path.join(dataDir, "screenshots");
  mkdirSync(shots, { recursive: true });
  web = await startWeb({ PERFORATOR_DATA_DIR: dataDir, DATABASE_URL: `file:${path.join(dataDir, "perforator.db")}` });
  base = web.base;
  // The ingest service on the same store, linking its uploads to this web app.
  ingest = await startIngest({
    PERFORATOR_DATA_DIR: dataDir,
    DATABASE_URL: `file:${path.join(dataDir, "perforator.db")}`,
    PERFORATOR_WEB_URL: base,
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await ingest?.stop();
  if (dataDir && !process.env.PERFORATOR_SCREENSHOTS) rmSync(dataDir, { recursive: true, force: true });
});

function store(): Database {
  return openDatabase({ dataDir, url: `file:${path.join(dataDir, "perforator.db")}` });
}

const newContext = () => newContextFor(browser);

async function rectOf(page: Page, name: string) {
  const r = await page.evaluate((n) => window.__flamegraph?.main?.rectOf(n) ?? null, name);
  if (!r) throw new Error(`frame ${name} is not drawn`);
  return r;
}

async function signIn(context: BrowserContext, email: string, password: string): Promise<Page> {
  const page = await openPage(context);
  await page.goto(`${base}/sign-in`);
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', password);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${base}/`);
  return page;
}

let owner: BrowserContext;
let slowId = "";
let fastId = "";
let publicUrl = "";

describe.sequential("the web app in Chromium", () => {
  it("first run: / sends to /sign-up, the first user owns team default", async () => {
    owner = await newContext();
    const page = await openPage(owner);
    await page.goto(base);
    await page.waitForURL(/\/sign-up$/);
    expect(await page.locator("h1").textContent()).toBe("Create the first account");
    await page.screenshot({ path: path.join(shots, "01-sign-up.png") });
    await page.fill('input[name="name"]', "Ada");
    await page.fill('input[name="email"]', "ada@example.com");
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${base}/`);
    expect(await page.getByTestId("team-name").textContent()).toBe("default");
    expect(await page.getByTestId("user-email").textContent()).toContain("(owner)");
    await page.getByTestId("empty-state").waitFor();
    const cookies = await owner.cookies();
    const session = cookies.find((c) => c.name === "perforator.session_token")!;
    expect(session.httpOnly).toBe(true);
    expect(session.sameSite).toBe("Lax");
    clean(page);
  });

  it("sign-up is closed without an invite once a user exists", async () => {
    const ctx = await newContext();
    const page = await openPage(ctx);
    await page.goto(`${base}/sign-up`);
    expect(await page.locator("h1").textContent()).toBe("Sign-up needs an invite");
    const res = await fetch(`${base}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: base },
      body: JSON.stringify({ email: "eve@example.com", password: PASSWORD, name: "eve" }),
    });
    expect(res.status).toBe(403);
    clean(page);
    await ctx.close();
  });

  it("upload: dropping a folded file lands on its /p/<id> page with the flamegraph", async () => {
    const page = await openPage(owner);
    await page.goto(`${base}/upload`);
    const file = path.join(dataDir, "server.py.folded");
    writeFileSync(file, `${SLOW}\n`);
    await page.fill('input[placeholder="e.g. python.server"]', "python.server");
    await page.getByTestId("file-input").setInputFiles(file);
    await page.waitForURL(/\/p\/[^/?]+$/);
    slowId = page.url().split("/p/")[1]!;
    expect(await page.getByTestId("profile-service").textContent()).toBe("python.server");
    expect(await page.getByTestId("fact-stacks").textContent()).toBe("3");
    await flameReady(page);
    expect((await rectOf(page, "search_user")).w).toBeGreaterThan(500);
    await page.screenshot({ path: path.join(shots, "02-profile.png") });
    clean(page);
  });

  it("a profile uploaded to the running ingest opens at the URL the ingest answers", async () => {
    const token = readFileSync(path.join(dataDir, "ingest-token"), "utf8").trim();
    const res = await fetch(`${ingest!.url}/api/v1/profiles?service=python.server&label=host:web-9`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream" },
      body: `${FAST}\n`,
    });
    expect(res.status).toBe(201);
    const { id, url } = (await res.json()) as { id: string; url: string };
    expect(url).toBe(`${base}/p/${id}`);
    const page = await openPage(owner);
    await page.goto(url);
    await flameReady(page);
    expect(await page.getByTestId("profile-labels").textContent()).toContain("host=web-9");
    expect((await rectOf(page, "select")).w).toBeGreaterThan(500);
    clean(page);
  });

  it("search + zoom + tab live in the URL: Copy link reopens the same view in a new context", async () => {
    const page = await openPage(owner);
    await page.goto(`${base}/p/${slowId}`);
    await flameReady(page);
    await page.fill('input[aria-label="Search functions"]', "search_user");
    await expect.poll(() => page.getByTestId("matched").textContent()).toMatch(/^Matched: 90(\.0+)?%/);
    const r = await rectOf(page, "UserIDSearchHandler.do_GET");
    await page.mouse.click(r.x + r.w / 2, r.y + r.h / 2);
    await expect
      .poll(() => page.evaluate(() => window.__flamegraph!.main!.zoomName()))
      .toBe("UserIDSearchHandler.do_GET");
    const matched = await page.getByTestId("matched").textContent();
    expect(matched).toContain("of zoomed frame");
    await page.bringToFront(); // the clipboard only takes writes from the focused page
    await page.getByTestId("copy-link").click();
    const url = (await page.getByTestId("copied-url").getAttribute("data-url"))!;
    expect(url).toContain("zoom=");
    expect(url).toContain("q=search_user");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);

    const fresh = await browser.newContext({
      viewport: { width: 1400, height: 1000 },
      storageState: await owner.storageState(),
    });
    const again = await openPage(fresh);
    await again.goto(url);
    await flameReady(again);
    expect(await again.evaluate(() => window.__flamegraph!.main!.zoomName())).toBe("UserIDSearchHandler.do_GET");
    expect(await again.getByTestId("matched").textContent()).toBe(matched);
    expect(await again.inputValue('input[aria-label="Search functions"]')).toBe("search_user");

    // the tab too
    await page.getByRole("tab", { name: "Top table" }).click();
    await expect.poll(() => page.url()).toContain("tab=top");
    await page.getByTestId("copy-link").click();
    await expect.poll(() => page.getByTestId("copied-url").getAttribute("data-url")).toContain("tab=top");
    const topUrl = (await page.getByTestId("copied-url").getAttribute("data-url"))!;
    await again.goto(topUrl);
    expect(await again.getByRole("tab", { name: "Top table" }).getAttribute("aria-selected")).toBe("true");
    await page.screenshot({ path: path.join(shots, "03-top-table.png") });
    clean(page);
    clean(again);
    await fresh.close();
  });

  it("downloads: pprof, folded and a standalone HTML page", async () => {
    const cookie = (await owner.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const get = (format: string) => fetch(`${base}/api/source?p=${slowId}&format=${format}`, { headers: { cookie } });
    const pprof = await get("pprof");
    expect(pprof.status).toBe(200);
    const parsed = importProfile(new Uint8Array(await pprof.arrayBuffer()));
    expect(parsed.samples.reduce((s, x) => s + x.values[0]!, 0)).toBe(1000);
    expect(await (await get("folded")).text()).toContain("UserIDSearchHandler.do_GET;search_user 900");
    const html = await (await get("html")).text();
    expect(html).toContain('id="perforator-data"');
    expect((await fetch(`${base}/api/source?p=${slowId}&format=pprof`)).status).toBe(401);
  });

  it("explorer: service, selector, timeline, profiles and the merged flamegraph of the selection", async () => {
    const db = store();
    const team = await ensureTeam(db, "default");
    const now = Date.now();
    // 30 one-minute profiles over the last hour from two hosts, the last one from server_dict.py.
    for (let i = 0; i < 30; i++) {
      const body = Buffer.from(`${i === 29 ? FAST : SLOW}\n`);
      const saved = await storeProfile(db, {
        teamId: team.id,
        service: "python.server",
        labels: { host: i % 2 ? "web-1" : "web-2" },
        from: new Date(now - (60 - 2 * i) * 60_000),
        until: new Date(now - (59 - 2 * i) * 60_000),
        profile: importProfile(body),
        body,
        format: "folded",
      });
      if (i === 29) fastId = saved.id;
    }
    await db.close();

    const page = await openPage(owner);
    await page.goto(base);
    await page.getByTestId("services").waitFor();
    await page.screenshot({ path: path.join(shots, "04a-overview.png") });
    await page.goto(`${base}/explore?query=${encodeURIComponent('{service="python.server"}')}&from=now-6h&until=now`);
    await expect.poll(() => page.getByTestId("profile-count").textContent()).toBe("32 profiles");
    await page.getByTestId("timeline").locator("canvas").first().waitFor();
    await flameReady(page);
    expect((await rectOf(page, "search_user")).w).toBeGreaterThan(400);
    await page.screenshot({ path: path.join(shots, "04-explore.png") });

    await page.fill('[data-testid="selector"]', '{service="python.server", host=~"web-1"}');
    await page.click('button:has-text("Run")');
    await expect.poll(() => page.getByTestId("profile-count").textContent()).toBe("15 profiles");
    expect(new URL(page.url()).searchParams.get("query")).toBe('{service="python.server", host=~"web-1"}');

    // The merge is cached per team, selector, range and set of profiles: a new upload is in the next answer. An
    // absolute range, so the two requests cannot straddle the cache's "now" quantum (a relative one may, and miss).
    const cookie = (await owner.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const range = `from=${now - 6 * 3_600_000}&until=${now + 60_000}`;
    const merged = async () => {
      const res = await fetch(`${base}/api/source?query=${encodeURIComponent('{service="python.server"}')}&${range}`, {
        headers: { cookie },
      });
      const p = importProfile(new Uint8Array(await res.arrayBuffer()));
      return { timing: res.headers.get("server-timing") ?? "", total: p.samples.reduce((a, x) => a + x.values[0]!, 0) };
    };
    const first = await merged();
    const second = await merged();
    expect(second.timing).toContain("hit");
    expect(second.total).toBe(first.total);
    const db2 = store();
    const late = Buffer.from("<module>;late_function 5\n");
    await storeProfile(db2, {
      teamId: team.id,
      service: "python.server",
      labels: { host: "web-2" },
      from: new Date(now - 30 * 60_000),
      until: new Date(now - 29 * 60_000),
      profile: importProfile(late),
      body: late,
      format: "folded",
    });
    await db2.close();
    const third = await merged();
    expect(third.timing).not.toContain("hit");
    expect(third.total).toBe(first.total + 5);

    // Drag across the timeline: the range becomes absolute.
    const box = (await page.getByTestId("timeline").locator(".u-over").boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.95, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => new URL(page.url()).searchParams.get("from")).toMatch(/^\d{12,}$/);
    clean(page);
  });

  it("a merged view arrives as columns: search, thread split, by line, top table and sandwich work on it", async () => {
    const db = store();
    const team = await ensureTeam(db, "default");
    const t0 = Date.now() - 3 * 3_600_000;
    for (let i = 0; i < 6; i++) {
      const profile = threadedMinute(i);
      await storeProfile(db, {
        teamId: team.id,
        service: "threads.svc",
        labels: { host: `web-${i % 2}` },
        from: new Date(t0 + i * 60_000),
        until: new Date(t0 + (i + 1) * 60_000),
        profile,
        body: toPprof(profile),
        format: "pprof",
      });
    }
    await compact(db, { graceMs: 0 }); // the merge reads rollups, as a day view does
    await db.close();

    const page = await openPage(owner);
    const payload = page.waitForResponse((r) => r.url().includes("/api/source?") && r.url().includes("format=view"));
    const q = encodeURIComponent('{service="threads.svc"}');
    await page.goto(`${base}/explore?query=${q}&from=now-6h&until=now`);
    expect((await payload).headers()["content-type"]).toBe("application/vnd.perforator.columns");
    await flameReady(page);
    // cpu over the six minutes, in units of 10 ms: search_user 495 (line 24) + 135 (line 25), send 60, worker 36.
    await page.fill('input[aria-label="Search functions"]', "search_user");
    await expect.poll(() => page.getByTestId("matched").textContent()).toBe("Matched: 86.78%");
    const all = (await rectOf(page, "all")).w;
    expect((await rectOf(page, "search_user")).w / all).toBeCloseTo(630 / 726, 2);

    await page.getByRole("button", { name: "By line" }).click();
    await expect.poll(() => page.evaluate(() => window.__flamegraph!.main!.rectOf("search_user", 1))).not.toBeNull();
    const l24 = await rectOf(page, "search_user");
    const l25 = (await page.evaluate(() => window.__flamegraph!.main!.rectOf("search_user", 1)))!;
    expect(l24.w / (l24.w + l25.w)).toBeCloseTo(495 / 630, 2);
    await page.getByRole("button", { name: "By line" }).click();

    await page.selectOption('select:near(:text("Split by"))', "thread_name");
    await expect
      .poll(() => page.evaluate(() => window.__flamegraph!.main!.rectOf("thread_name=MainThread")?.w ?? 0))
      .toBeGreaterThan(0);
    expect((await rectOf(page, "thread_name=MainThread")).w / all).toBeCloseTo(690 / 726, 2);
    expect((await rectOf(page, "thread_name=worker-1")).w / all).toBeCloseTo(18 / 726, 2);
    expect(new URL(page.url()).searchParams.get("group")).toBe("thread_name");

    await page.getByRole("tab", { name: "Top table" }).click();
    await expect.poll(() => page.locator("table").first().textContent()).toContain("search_user");
    await page.goto(`${base}/explore?query=${q}&from=now-6h&until=now&tab=sandwich&fn=search_user`);
    await page.waitForFunction(() => window.__flamegraph?.callers?.rectOf("do_GET") != null);
    clean(page);
  });

  it("diff: baseline vs target flamegraph and the functions sorted by change", async () => {
    const page = await openPage(owner);
    await page.goto(`${base}/diff?bp=${slowId}&tp=${fastId}`);
    await flameReady(page);
    const table = page.getByTestId("diff-table");
    await table.waitFor();
    const first = await table.locator("tbody tr").first().textContent();
    expect(first).toContain("search_user");
    expect(first).toContain("−");
    await page.screenshot({ path: path.join(shots, "05-diff.png") });

    // a selector + range as the baseline
    const q = new URLSearchParams({
      bquery: '{service="python.server", host="web-2"}',
      bfrom: "now-6h",
      buntil: "now",
      tp: fastId,
    });
    await page.goto(`${base}/diff?${q}`);
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="diff-table"] tbody tr')?.textContent?.includes("search_user"),
    );
    expect(await page.inputValue('input[aria-label="Baseline (before) selector"]')).toBe(
      '{service="python.server", host="web-2"}',
    );

    // a public link of the diff: both sides, the table, no session
    await page.getByTestId("public-link").click();
    const diffUrl = await page.getByTestId("public-url").inputValue();
    const anon = await newContext();
    const view = await openPage(anon);
    await view.goto(diffUrl);
    await flameReady(view);
    await view.waitForFunction(() =>
      document.querySelector('[data-testid="diff-table"] tbody tr')?.textContent?.includes("search_user"),
    );
    expect(await view.getByTestId("shared-title").textContent()).toContain('host="web-2"');
    clean(view);
    await anon.close();
    clean(page);
  });

  it("diff: 'Match frames: by name | exact' is kept in the URL and applies to the flamegraph and the table", async () => {
    const db = store();
    const team = await ensureTeam(db, "default");
    const ids: string[] = [];
    // The same code from two checkouts: only the directory differs.
    for (const [i, file] of [
      [0, "/home/a/app/server.py"],
      [5, "/srv/b/app/server.py"],
    ] as const) {
      const profile = threadedMinute(i, file);
      const saved = await storeProfile(db, {
        teamId: team.id,
        service: "match.svc",
        labels: {},
        from: new Date(Date.now() - (10 - i) * 60_000),
        until: new Date(Date.now() - (9 - i) * 60_000),
        profile,
        body: toPprof(profile),
        format: "pprof",
      });
      ids.push(saved.id);
    }
    await db.close();
    const page = await openPage(owner);
    await page.goto(`${base}/diff?bp=${ids[0]}&tp=${ids[1]}`);
    await flameReady(page);
    const toggle = page.getByTestId("match-frames");
    expect(await toggle.getByRole("button", { name: "by name" }).getAttribute("aria-pressed")).toBe("true");
    const statuses = async () =>
      (await page.evaluate(() => window.__flamegraph!.main!.diffStatuses("search_user"))).sort();
    expect(await statuses()).toEqual(["both"]);
    const rows = page.getByTestId("diff-table").locator("tbody tr");
    await expect.poll(() => rows.filter({ hasText: "search_user" }).count()).toBe(1);

    await toggle.getByRole("button", { name: "exact" }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("match")).toBe("exact");
    await expect.poll(statuses).toEqual(["new", "removed"]);
    await expect.poll(() => rows.filter({ hasText: "search_user" }).count()).toBe(2);

    await page.reload();
    await flameReady(page);
    expect(
      await page.getByTestId("match-frames").getByRole("button", { name: "exact" }).getAttribute("aria-pressed"),
    ).toBe("true");
    await expect.poll(statuses).toEqual(["new", "removed"]);
    await page.getByTestId("match-frames").getByRole("button", { name: "by name" }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("match")).toBeNull();
    await expect.poll(statuses).toEqual(["both"]);
    clean(page);
  });

  it("public link: works without a session, shows only what it names, 404 once revoked", async () => {
    const page = await openPage(owner);
    await page.goto(`${base}/p/${slowId}?q=search_user&tab=flame`);
    await flameReady(page);
    await page.getByTestId("public-link").click();
    publicUrl = await page.getByTestId("public-url").inputValue();
    expect(publicUrl).toMatch(new RegExp(`^${base}/s/[A-Za-z0-9_-]{22,}$`));

    const anon = await newContext();
    const view = await openPage(anon);
    await view.goto(publicUrl);
    await flameReady(view);
    expect(await view.getByTestId("shared-title").textContent()).toBe("python.server");
    expect(await view.getByTestId("matched").textContent()).toMatch(/^Matched: 90/);
    await view.screenshot({ path: path.join(shots, "06-public.png") });
    const id = publicUrl.split("/s/")[1]!;
    // the link reads its own profile and nothing else
    expect((await fetch(`${base}/api/source?share=${id}&side=target`)).status).toBe(200);
    expect((await fetch(`${base}/api/source?share=${id}&side=baseline`)).status).toBe(404);
    expect((await fetch(`${base}/api/source?p=${fastId}`)).status).toBe(401);
    expect((await fetch(`${base}/p/${slowId}`, { redirect: "manual" })).status).toBe(307);
    clean(view);

    await page.getByTestId("revoke-link").click();
    await expect.poll(async () => (await fetch(publicUrl)).status).toBe(404);
    expect((await fetch(`${base}/api/source?share=${id}&side=target`)).status).toBe(404);
    clean(page);
    await anon.close();
  });

  it("mutations refuse other origins (CSRF)", async () => {
    const cookie = (await owner.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const res = await fetch(`${base}/api/trpc/share.create`, {
      method: "POST",
      headers: { cookie, origin: "http://evil.example", "content-type": "application/json" },
      body: JSON.stringify({ json: { target: { kind: "profile", id: slowId }, view: "" } }),
    });
    expect(res.status).toBe(403);
    const up = await fetch(`${base}/api/upload?filename=x.folded`, {
      method: "POST",
      headers: { cookie },
      body: "a;b 1\n",
    });
    expect(up.status).toBe(403);
    // same origin: a body over 16 MiB is refused, a bad one named
    const big = await fetch(`${base}/api/upload?filename=big.folded`, {
      method: "POST",
      headers: { cookie, origin: base },
      body: new Uint8Array(17 * 1024 * 1024).fill(0x61),
    });
    expect(big.status).toBe(413);
    const bad = await fetch(`${base}/api/upload?filename=bad.json`, {
      method: "POST",
      headers: { cookie, origin: base },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/bad\.json/);
  });

  it("settings: invite link → a new viewer signs up; tokens shown once", async () => {
    const page = await openPage(owner);
    await page.goto(`${base}/settings`);
    await page.getByTestId("members").getByText("ada@example.com").waitFor();
    await page.selectOption('select[aria-label="Invite role"]', "viewer");
    await page.getByTestId("create-invite").click();
    const invite = await page.getByTestId("invites").getByTestId("secret-value").inputValue();
    expect(invite).toContain("/sign-up?invite=");
    await page.fill('input[aria-label="Token name"]', "collectors");
    await page.getByTestId("create-token").click();
    const token = await page.getByTestId("tokens").getByTestId("secret-value").inputValue();
    expect(token.length).toBeGreaterThan(20);
    await expect.poll(() => page.getByTestId("token-rows").textContent()).toContain("collectors");
    expect(await page.getByTestId("token-rows").textContent()).not.toContain(token);
    await page.screenshot({ path: path.join(shots, "07-settings.png"), fullPage: true });
    clean(page);

    const ctx = await newContext();
    const join = await openPage(ctx);
    await join.goto(invite);
    expect(await join.locator("h1").textContent()).toBe("Join team default");
    await join.fill('input[name="email"]', "vic@example.com");
    await join.fill('input[name="password"]', PASSWORD);
    await join.click('button[type="submit"]');
    await join.waitForURL(`${base}/`);
    expect(await join.getByTestId("user-email").textContent()).toContain("(viewer)");
    await join.goto(`${base}/p/${slowId}`);
    await flameReady(join);
    expect(await join.getByTestId("public-link").count()).toBe(0); // viewers do not share
    clean(join);
    await ctx.close();
  });

  it("team isolation: a user of another team (made by the admin CLI) gets 404 on team A's ids and links", async () => {
    const out = execFileSync(
      process.execPath,
      ["bin/admin.mjs", "user", "create", "bob@example.com", "--team", "beta"],
      {
        cwd: APP_DIR,
        env: {
          ...process.env,
          PERFORATOR_DATA_DIR: dataDir,
          DATABASE_URL: `file:${path.join(dataDir, "perforator.db")}`,
        },
        encoding: "utf8",
      },
    );
    const password = out.trim().split("\n").pop()!;
    expect(out).toContain("created bob@example.com as member of team beta");
    const ctx = await newContext();
    const page = await signIn(ctx, "bob@example.com", password);
    expect(await page.getByTestId("team-name").textContent()).toBe("beta");
    const res = await page.goto(`${base}/p/${slowId}?q=search_user`);
    expect(res!.status()).toBe(404);
    const cookie = (await ctx.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    expect((await fetch(`${base}/api/source?p=${slowId}`, { headers: { cookie } })).status).toBe(404);
    const explore = await fetch(
      `${base}/api/source?query=${encodeURIComponent('{service="python.server"}')}&from=now-6h&until=now`,
      { headers: { cookie } },
    );
    expect(explore.status).toBe(200);
    expect(importProfile(new Uint8Array(await explore.arrayBuffer())).samples.length).toBe(0);
    // A's public links cannot be revoked by B
    const links = await fetch(`${base}/api/trpc/share.revoke`, {
      method: "POST",
      headers: { cookie, origin: base, "content-type": "application/json" },
      body: JSON.stringify({ json: { id: publicUrl.split("/s/")[1] } }),
    });
    expect(links.status).toBe(404);

    // Bob replaces the one-time password, then joins team default through an invite while signed in.
    await page.goto(`${base}/settings`);
    await page.fill('input[aria-label="Current password"]', password);
    await page.fill('input[aria-label="New password"]', "bob's own password");
    await page.click('button:has-text("Change password")');
    await page.getByText("Password changed").waitFor();
    const ownerCookie = (await owner.cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
    const created = await fetch(`${base}/api/trpc/team.createInvite`, {
      method: "POST",
      headers: { cookie: ownerCookie, origin: base, "content-type": "application/json" },
      body: JSON.stringify({ json: { role: "member", days: 1 } }),
    });
    const invitePath = ((await created.json()) as { result: { data: { json: { path: string } } } }).result.data.json
      .path;
    await page.goto(`${base}${invitePath}`);
    await page.getByTestId("accept-invite").click();
    await page.waitForURL(`${base}/`);
    expect(await page.getByTestId("team-switcher").inputValue()).not.toBe("");
    expect((await page.goto(`${base}/p/${slowId}`))!.status()).toBe(200);
    await flameReady(page);
    // Looking at team beta, a link to team default's profile offers to switch instead of a bare 404.
    await page.goto(`${base}/`);
    await page.selectOption('[data-testid="team-switcher"]', { label: "beta" });
    await page.waitForURL(`${base}/`);
    await expect
      .poll(() => page.getByTestId("team-switcher").evaluate((e) => (e as HTMLSelectElement).selectedOptions[0]!.text))
      .toBe("beta");
    await page.goto(`${base}/p/${slowId}`);
    await page.getByTestId("switch-team").getByRole("button").click();
    await flameReady(page);
    expect(await page.getByTestId("profile-service").textContent()).toBe("python.server");
    clean(page);
    await ctx.close();
  });

  it("without PERFORATOR_WEB_URL on plain http: cookies are not Secure, any host name of the server works", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "perforator-web-nourl-"));
    const other = await startWeb({
      PERFORATOR_DATA_DIR: dir,
      DATABASE_URL: `file:${path.join(dir, "p.db")}`,
      PERFORATOR_WEB_URL: "",
    });
    try {
      const signUp = await fetch(`${other.base}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: other.base },
        body: JSON.stringify({ email: "a@example.com", password: PASSWORD, name: "a" }),
      });
      expect(signUp.status).toBe(200);
      const setCookie = signUp.headers.get("set-cookie") ?? "";
      expect(setCookie).toMatch(/^perforator\.session_token=/);
      expect(setCookie).not.toMatch(/;\s*Secure/i);
      const local = other.base.replace("127.0.0.1", "localhost");
      const signIn = await fetch(`${local}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: local },
        body: JSON.stringify({ email: "a@example.com", password: PASSWORD }),
      });
      expect(signIn.status).toBe(200);
      const evil = await fetch(`${other.base}/api/auth/sign-in/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: "http://evil.example" },
        body: JSON.stringify({ email: "a@example.com", password: PASSWORD }),
      });
      expect(evil.status).toBe(403);
    } finally {
      await other.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
