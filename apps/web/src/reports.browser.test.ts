/**
 * Reports and the dashboard in real Chromium against the built app (`next start`, the same build as the other browser
 * test): create a report from a diff with one button, edit its notes and figures, open its public link in a fresh
 * context without a session (moved-functions table, diff flamegraph drawn and searchable), export it and open the
 * file from file:// with every request blocked, revoke the link; the dashboard shows the services and a "what changed"
 * row linking to the diff of exactly the two windows. Requests outside the app's origin are blocked and counted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { type Database, ensureTeam, openDatabase, storeProfile } from "@perforator/db";
import { importProfile } from "@perforator/profile";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flameReady, launchChromium, newContext as newContextFor, watchPages } from "./test-utils/browser";
import { FAST, SLOW } from "./test-utils/tutorial";
import { startWeb, type WebServer } from "./test-utils/web-server";

const PASSWORD = "correct horse battery";
const DAY = 86_400_000;
const HOUR = 3_600_000;

let dataDir = "";
let web: WebServer;
let browser: Browser;
let base = "";
let owner: BrowserContext;
let slowId = "";
let fastId = "";
let reportPath = "";
let publicPath = "";
const { openPage, clean } = watchPages(() => base);

/** Screenshots for a human to look at, when $PERFORATOR_SCREENSHOTS names a directory. */
async function shot(page: Page, name: string): Promise<void> {
  if (process.env.PERFORATOR_SCREENSHOTS) {
    await page.screenshot({
      path: path.join(process.env.PERFORATOR_SCREENSHOTS, `reports-${name}.png`),
      fullPage: true,
    });
  }
}

function store(): Database {
  return openDatabase({ dataDir, url: `file:${path.join(dataDir, "perforator.db")}` });
}

async function put(db: Database, teamId: string, service: string, folded: string, at: number): Promise<string> {
  const body = new TextEncoder().encode(folded);
  const r = await storeProfile(db, {
    teamId,
    service,
    from: new Date(at),
    until: new Date(at + 60_000),
    profile: importProfile(body),
    body,
    format: "folded",
  });
  return r.id;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "perforator-reports-e2e-"));
  web = await startWeb({ PERFORATOR_DATA_DIR: dataDir, DATABASE_URL: `file:${path.join(dataDir, "perforator.db")}` });
  base = web.base;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const newContext = () => newContextFor(browser);

/** The moved-functions table's before/after cells for one function. */
async function movedRow(page: Page, fn: string): Promise<{ before: number; after: number }> {
  const row = page.locator(`[data-testid="moved-table"] tr[data-fn="${fn}"]`);
  const num = async (id: string) => Number.parseFloat((await row.getByTestId(id).textContent()) ?? "NaN");
  return { before: await num("before"), after: await num("after") };
}

describe.sequential("reports and the dashboard in Chromium", () => {
  it("setup: the first user signs up; two recordings of demo-server (last week, this week) and another service", async () => {
    owner = await newContext();
    const page = await openPage(owner);
    await page.goto(`${base}/sign-up`);
    await page.fill('input[name="name"]', "Ada");
    await page.fill('input[name="email"]', "ada@example.com");
    await page.fill('input[name="password"]', PASSWORD);
    await page.click('button[type="submit"]');
    await page.waitForURL(`${base}/`);
    const db = store();
    try {
      const team = await ensureTeam(db, "default");
      slowId = await put(db, team.id, "demo-server", SLOW, Date.now() - 10 * DAY);
      fastId = await put(db, team.id, "demo-server", FAST, Date.now() - DAY);
      await put(db, team.id, "api", "main;handle;json_dumps 30\nmain;handle;db_query 70", Date.now() - 2 * DAY);
    } finally {
      await db.close();
    }
  });

  it("a diff view's one button creates the report: moved-functions table and diff flamegraph", async () => {
    const page = await openPage(owner);
    await page.goto(`${base}/diff?bp=${slowId}&tp=${fastId}`);
    await flameReady(page);
    await page.getByTestId("create-report").click();
    await page.fill('input[aria-label="Report title"]', "Dict lookup instead of a linear search");
    await page.click('[data-testid="create-report-form"] button[type="submit"]');
    await page.waitForURL(/\/r\/[A-Za-z0-9_-]{22}$/);
    reportPath = new URL(page.url()).pathname;
    expect(await page.getByTestId("report-title").textContent()).toBe("Dict lookup instead of a linear search");
    expect(await page.getByTestId("report-author").textContent()).toContain("Ada");
    // search_user: 900/1000 = 90% → 4/234 = 1.7%; the handler 960/1000 = 96% → 64/234 = 27.4%.
    expect(await movedRow(page, "search_user")).toEqual({ before: 90, after: 1.7 });
    expect(await movedRow(page, "UserIDSearchHandler.do_GET")).toEqual({ before: 96, after: 27.4 });
    await flameReady(page);
    clean(page);
  });

  it("members edit title, Markdown notes (no raw HTML) and figures; the comparison stays frozen", async () => {
    const page = await openPage(owner);
    await page.goto(`${base}${reportPath}`);
    await flameReady(page);
    await page.getByTestId("report-edit").click();
    await page.fill(
      'textarea[aria-label="Notes"]',
      "## Why\nThe **linear scan** is gone. <img src=x onerror=alert(1)>\n\n- one\n- two",
    );
    await page.getByRole("button", { name: "+ Add figure" }).click();
    await page.fill('input[aria-label="Figure label"]', "requests/s");
    await page.fill('input[aria-label="Figure before"]', "41");
    await page.fill('input[aria-label="Figure after"]', "2150");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByTestId("report-editor").waitFor({ state: "detached" });
    const notes = page.getByTestId("report-notes");
    await expect.poll(() => notes.locator("strong").textContent()).toBe("linear scan");
    expect(await notes.locator("h2").textContent()).toBe("Why");
    expect(await notes.locator("li").count()).toBe(2);
    expect(await notes.locator("img").count()).toBe(0);
    expect(await page.getByTestId("figures").textContent()).toContain("requests/s412150");
    expect(await page.getByTestId("report-edited").textContent()).toContain("by Ada");
    await flameReady(page);
    await shot(page, "report");
    expect(await movedRow(page, "search_user")).toEqual({ before: 90, after: 1.7 });
    clean(page);
  });

  it("a public link opens in a fresh context without a session: read-only, table, flamegraph drawn and searchable", async () => {
    const page = await openPage(owner);
    await page.goto(`${base}${reportPath}`);
    await flameReady(page); // hydrated: the button's handler is attached
    await page.getByTestId("report-public-link").click();
    const link = page.getByTestId("report-link").locator("a");
    await link.waitFor({ timeout: 60_000 }); // a mutation, then a refetch: slow when the machine is loaded
    publicPath = (await link.getAttribute("href"))!;
    expect(publicPath).toMatch(/^\/r\/[A-Za-z0-9_-]{22}$/);
    expect(publicPath).not.toBe(reportPath);

    const anon = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const view = await openPage(anon);
    await view.goto(`${base}${publicPath}`);
    await view.getByTestId("read-only").waitFor();
    expect(await view.getByTestId("report-title").textContent()).toBe("Dict lookup instead of a linear search");
    expect(await view.getByTestId("report-edit").count()).toBe(0);
    expect(await view.getByTestId("report-public-link").count()).toBe(0);
    const row = await movedRow(view, "search_user");
    expect(row.after).toBeLessThan(row.before / 2);
    await flameReady(view);
    await view.fill('input[aria-label="Search functions"]', "search_user");
    // In the target (the dict version) search_user is 4 of 234 samples.
    await expect.poll(() => view.getByTestId("matched").textContent()).toMatch(/^Matched: 1\.7/);
    // The team's slug is not a public link: without a session it is a 404.
    const res = await view.goto(`${base}${reportPath}`);
    expect(res?.status()).toBe(404);
    clean(view);
    await anon.close();
  });

  it("Export HTML is one file that opens from file:// with no network, flamegraph working", async () => {
    const page = await openPage(owner);
    await page.goto(`${base}${reportPath}`);
    await flameReady(page);
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("report-export").click()]);
    const file = path.join(dataDir, "report.html");
    await download.saveAs(file);
    const offline = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const p = await offline.newPage();
    const url = pathToFileURL(file).href;
    const blocked: string[] = [];
    const errors: string[] = [];
    p.on("pageerror", (e) => errors.push(e.message));
    await p.route("**/*", (route) => {
      if (route.request().url().split("?")[0] === url) return route.continue();
      blocked.push(route.request().url());
      return route.abort();
    });
    await p.goto(url);
    expect(await p.getByTestId("report-title").textContent()).toBe("Dict lookup instead of a linear search");
    expect(await movedRow(p, "search_user")).toEqual({ before: 90, after: 1.7 });
    expect(await p.getByTestId("report-notes").locator("strong").textContent()).toBe("linear scan");
    await flameReady(p);
    await p.fill('input[aria-label="Search functions"]', "search_user");
    await expect.poll(() => p.getByTestId("matched").textContent()).toMatch(/^Matched: 1\.7/);
    expect(blocked).toEqual([]);
    expect(errors).toEqual([]);
    await offline.close();
  });

  it("revoking the public link makes it a 404", async () => {
    const page = await openPage(owner);
    await page.goto(`${base}${reportPath}`);
    await flameReady(page);
    await page.getByTestId("revoke-report-link").click();
    await page.getByTestId("report-link").waitFor({ state: "detached" });
    const anon = await browser.newContext();
    const res = await (await anon.newPage()).goto(`${base}${publicPath}`);
    expect(res?.status()).toBe(404);
    await anon.close();
  });

  it("dashboard: every service, recent reports, and a what-changed row linking to the diff of exactly those windows", async () => {
    const page = await openPage(owner);
    await page.goto(`${base}/`);
    const cards = page.getByTestId("service-card");
    expect(await cards.evaluateAll((els) => els.map((e) => e.getAttribute("data-service")))).toEqual([
      "api",
      "demo-server",
    ]);
    await shot(page, "dashboard");
    const demo = page.locator('[data-testid="service-card"][data-service="demo-server"]');
    expect(await demo.getByTestId("sparkline").count()).toBe(1); // folded uploads have no CPU unit: profiles only
    expect(await demo.getByTestId("top-functions").textContent()).toContain("select");
    const change = demo.locator('[data-testid="change-row"][data-fn="search_user"]');
    expect(await change.textContent()).toContain("90.0% → 1.7%");
    expect(await page.getByTestId("recent-reports").textContent()).toContain("Dict lookup instead of a linear search");
    expect(await demo.getByTestId("service-reports").textContent()).toContain("Dict lookup instead of a linear search");
    expect(await page.locator('[data-service="api"] [data-testid="service-reports"]').count()).toBe(0);
    const href = (await change.getAttribute("href"))!;
    const q = new URL(href, base).searchParams;
    // This week vs the week before, as absolute epoch ms, both sides the service's selector.
    const tfrom = Number(q.get("tfrom"));
    const tuntil = Number(q.get("tuntil"));
    expect(tuntil - tfrom).toBe(7 * DAY);
    expect(Number(q.get("buntil"))).toBe(tfrom);
    expect(Number(q.get("bfrom"))).toBe(tfrom - 7 * DAY);
    expect(q.get("bquery")).toBe('{service="demo-server"}');
    expect(q.get("tquery")).toBe('{service="demo-server"}');
    expect(q.get("q")).toBe("search_user");
    await change.click();
    await page.waitForURL(/\/diff\?/);
    await flameReady(page);
    await expect
      .poll(() => page.evaluate(() => document.querySelector('[data-testid="diff-table"] tbody tr')?.textContent ?? ""))
      .toContain("search_user");
    clean(page);
  });

  it("dashboard: profiles no rollup summarises yet, too many to read, are counted on the card, not silently left out", async () => {
    const db = store();
    try {
      const team = await ensureTeam(db, "default");
      // No compactor runs here: 101 uploads of the last hour are over the 100 a dashboard reads from their bodies.
      for (let i = 0; i < 101; i++) await put(db, team.id, "busy", `main;work ${i + 1}`, Date.now() - HOUR + i * 1000);
    } finally {
      await db.close();
    }
    const page = await openPage(owner);
    await page.goto(`${base}/`);
    const busy = page.locator('[data-testid="service-card"][data-service="busy"]');
    expect(await busy.getByTestId("pending-note").textContent()).toContain("101 recent profiles not yet summarised");
    expect(await busy.textContent()).toContain("Not summarised yet.");
    // The other cards are whole.
    expect(await page.locator('[data-service="demo-server"] [data-testid="pending-note"]').count()).toBe(0);
    clean(page);
  });
});
