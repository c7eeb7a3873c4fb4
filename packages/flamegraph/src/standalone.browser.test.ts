/**
 * The standalone page in real headless Chromium: loaded from file:// with every other request
 * blocked, driven like a user (search, click, hover, keyboard, URL reload).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ProfileBuilder } from "@perforator/profile";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { renderStandaloneHtml } from "./standalone/render-html.js";
import { chromiumFixture, drawnInView, type Rect, rectOf } from "./test-utils/browser.js";
import { serverProfile, XSS, xssProfile } from "./test-utils/profiles.js";

const fx = chromiumFixture("pfg-browser-");

interface Opened {
  page: Page;
  url: string;
  blocked: string[];
  dialogs: string[];
  errors: string[];
}

async function open(name: string, html: string, query = ""): Promise<Opened> {
  const file = join(fx.dir, `${name}.html`);
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const page = await fx.context.newPage();
  const blocked: string[] = [];
  const dialogs: string[] = [];
  const errors: string[] = [];
  await page.route("**/*", (route) => {
    const u = route.request().url();
    if (u.split("?")[0] === url) return route.continue();
    blocked.push(u);
    return route.abort();
  });
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url + query);
  await page.waitForSelector(".pfg");
  if (!query.includes("tab=")) await page.waitForFunction(() => window.__flamegraph?.main !== undefined);
  return { page, url, blocked, dialogs, errors };
}

/** RGB of the canvas pixel at a client position (device pixels are read from the backing store). */
async function pixel(page: Page, x: number, y: number): Promise<[number, number, number]> {
  return page.evaluate(
    ([cx, cy]) => {
      const c = document.querySelector<HTMLCanvasElement>(".pfg-scroll canvas")!;
      const box = c.getBoundingClientRect();
      const k = c.width / box.width;
      const d = c
        .getContext("2d")!
        .getImageData(Math.floor((cx! - box.left) * k), Math.floor((cy! - box.top) * k), 1, 1);
      return [d.data[0]!, d.data[1]!, d.data[2]!] as [number, number, number];
    },
    [x, y],
  );
}

/** Colour away from the label: right end, near the top edge of the frame. */
const frameColor = (page: Page, r: Rect) => pixel(page, r.x + r.w - 4, r.y + 3);

const slow = serverProfile({ search: 90, send: 4, idle: 6 });

describe("standalone page", { timeout: 30_000 }, () => {
  it("loads offline, shows header totals, and makes no network request", async () => {
    const o = await open("slow", renderStandaloneHtml({ title: "server.py (pid 4242)", profile: slow }));
    await expect(o.page.title()).resolves.toBe("server.py (pid 4242)");
    expect(await o.page.textContent("[data-testid=total]")).toBe("100 samples");
    expect(await o.page.textContent("header")).toContain("Duration: 60.0 s");
    expect(o.blocked).toEqual([]);
    expect(o.errors).toEqual([]);
    const stats = await o.page.evaluate(() => window.__flamegraph!.main!.stats());
    expect(stats!.drawn).toBeGreaterThanOrEqual(10);
    await o.page.close();
  });

  it("search highlights the handler in magenta and shows Matched: 94.00%", async () => {
    const o = await open("search", renderStandaloneHtml({ title: "t", profile: slow }));
    const { page } = o;
    const handler = await rectOf(page, "UserIDSearchHandler.do_GET");
    const before = await frameColor(page, handler);
    await page.keyboard.press("Control+f");
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute("aria-label")))
      .toBe("Search functions");
    await page.keyboard.type("UserIDSearchHandler");
    await expect.poll(() => page.textContent("[data-testid=matched]")).toBe("Matched: 94.00%");
    const [r, g, b] = await frameColor(page, await rectOf(page, "UserIDSearchHandler.do_GET"));
    expect(r).toBeGreaterThan(200);
    expect(b).toBeGreaterThan(200);
    expect(g).toBeLessThan(140);
    expect([r, g, b]).not.toEqual(before);
    // non-matching frame is dimmed grey
    const [sr, sg, sb] = await frameColor(page, await rectOf(page, "select"));
    expect(Math.max(sr, sg, sb) - Math.min(sr, sg, sb)).toBeLessThan(8);
    expect(page.url()).toContain("q=UserIDSearchHandler");
    // Esc in the search box clears the search
    await page.keyboard.press("Escape");
    await expect.poll(() => page.locator("[data-testid=matched]").count()).toBe(0);
    await page.close();
  });

  it("click zooms (breadcrumb, full width), Esc zooms out, and the zoom survives a reload from the URL", async () => {
    const o = await open("zoom", renderStandaloneHtml({ title: "t", profile: slow }));
    const { page } = o;
    const h = await rectOf(page, "UserIDSearchHandler.do_GET");
    expect(h.w).toBeLessThan(1150 * 0.95);
    await page.mouse.click(h.x + h.w / 2, h.y + h.h / 2);
    await expect
      .poll(() => page.textContent("[data-testid=breadcrumbs] [aria-current=true]"))
      .toBe("UserIDSearchHandler.do_GET");
    const zoomed = await rectOf(page, "UserIDSearchHandler.do_GET");
    expect(zoomed.w).toBeGreaterThan(1100);
    // search_user is 90 of the handler's 94
    const su = await rectOf(page, "search_user");
    expect(su.w / zoomed.w).toBeCloseTo(90 / 94, 2);
    expect(await page.evaluate(() => window.__flamegraph!.main!.zoomName())).toBe("UserIDSearchHandler.do_GET");
    const zoomUrl = page.url();
    expect(new URL(zoomUrl).searchParams.getAll("zoom")).toEqual([
      "<module>",
      "run",
      "serve_forever",
      "_handle_request_noblock",
      "process_request",
      "UserIDSearchHandler.do_GET",
    ]);
    // keyboard zoom out: focus is on the viewer after the click
    await page.focus(".pfg-scroll");
    await page.keyboard.press("Escape");
    await expect.poll(() => page.textContent("[data-testid=breadcrumbs] [aria-current=true]")).toBe("process_request");
    await page.keyboard.press("Backspace");
    await expect
      .poll(() => page.textContent("[data-testid=breadcrumbs] [aria-current=true]"))
      .toBe("_handle_request_noblock");
    // reload the shared URL
    await page.goto(zoomUrl);
    await page.waitForFunction(() => window.__flamegraph?.main !== undefined);
    await expect
      .poll(() => page.evaluate(() => window.__flamegraph!.main!.zoomName()))
      .toBe("UserIDSearchHandler.do_GET");
    await page.close();
  });

  it("URL state round-trips: search, regex, case, mode, tab restore from the query", async () => {
    const q = "?mode=flame&q=%5Esearch_&re=1&case=1"; // canonical order, so the URL must come back unchanged
    const o = await open("url", renderStandaloneHtml({ title: "t", profile: slow }), q);
    const { page } = o;
    await expect.poll(() => page.textContent("[data-testid=matched]")).toBe("Matched: 90.00%");
    expect(await page.inputValue("input[aria-label='Search functions']")).toBe("^search_");
    expect(await page.getAttribute("button[title='Regular expression']", "aria-pressed")).toBe("true");
    expect(await page.getAttribute("button[title='Match case']", "aria-pressed")).toBe("true");
    // flame mode: the root row is at the bottom
    const root = await rectOf(page, "all");
    const leaf = await rectOf(page, "search_user");
    expect(root.y).toBeGreaterThan(leaf.y);
    expect(new URL(page.url()).search).toBe(q);
    await page.getByRole("tab", { name: "Top table" }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("tab")).toBe("top");
    await page.close();
  });

  it("tooltip shows name, file:line, samples, % of total and % of zoomed frame", async () => {
    const o = await open("tooltip", renderStandaloneHtml({ title: "t", profile: slow }));
    const { page } = o;
    const h = await rectOf(page, "UserIDSearchHandler.do_GET");
    await page.mouse.click(h.x + h.w / 2, h.y + h.h / 2);
    const su = await rectOf(page, "search_user");
    await page.mouse.move(su.x + su.w / 2, su.y + su.h / 2);
    const tip = page.getByRole("tooltip");
    await expect.poll(() => tip.textContent()).toContain("search_user");
    const text = (await tip.textContent())!;
    // the tree is per function, but every search_user sample is on line 22: the tooltip says so
    expect(text).toContain("search_userserver.py:22");
    expect(text).toContain("90 samples");
    expect(text).toContain("90.00% of total");
    expect(text).toContain("95.74% of zoomed frame");
    await page.close();
  });

  it("top table sorts, filters, and a click searches the function in the flamegraph", async () => {
    const o = await open("top", renderStandaloneHtml({ title: "t", profile: slow }));
    const { page } = o;
    await page.getByRole("tab", { name: "Top table" }).click();
    const firstName = () => page.locator(".pfg-table tbody tr td:first-child .pfg-link").first().textContent();
    await expect.poll(firstName).toBe("search_user");
    await page.getByRole("button", { name: /^Total/ }).click();
    await expect.poll(firstName).toBe("<module>");
    await page.fill("input[aria-label='Filter functions']", "send");
    await expect.poll(() => page.textContent("[data-testid=top-count]")).toBe("1 of 10 functions");
    await page.locator(".pfg-link", { hasText: "send_response" }).click();
    await expect.poll(() => page.textContent("[data-testid=matched]")).toBe("Matched: 4.00%");
    await page.close();
  });

  it("top table with 20,000 functions keeps only the visible rows in the DOM and scrolls to the last one", async () => {
    const b = new ProfileBuilder([{ type: "cpu", unit: "count" }]);
    const main = { name: "main", file: "app.py", line: 1, kind: "python" as const, module: "" };
    for (let i = 0; i < 20_000; i++) {
      b.addFrames(
        [main, { name: `fn_${String(i).padStart(5, "0")}`, file: "gen.py", line: i + 1, kind: "python", module: "" }],
        [1 + (i % 7)],
      );
    }
    const o = await open("many", renderStandaloneHtml({ title: "many", profile: b.build() }), "?tab=top&sort=name");
    const { page } = o;
    await expect.poll(() => page.textContent("[data-testid=top-count]")).toBe("20,001 of 20,001 functions");
    expect(await page.locator(".pfg-table tbody tr").count()).toBeLessThan(100);
    await page.evaluate(() => {
      document.querySelector<HTMLElement>(".pfg-table-wrap")!.scrollTop = 1e9;
    });
    await expect.poll(() => page.locator(".pfg-link", { hasText: "fn_19999" }).count()).toBe(1);
    expect(await page.locator(".pfg-table tbody tr").count()).toBeLessThan(100);
    await page.close();
  });

  it("split by thread adds one frame per thread; sandwich shows callers and callees", async () => {
    const o = await open("threads", renderStandaloneHtml({ title: "t", profile: slow }));
    const { page } = o;
    await page.selectOption("select.pfg-select", "thread_name");
    await expect
      .poll(() => page.evaluate(() => window.__flamegraph!.main!.rectOf("thread_name=worker")))
      .not.toBeNull();
    const main = await rectOf(page, "thread_name=MainThread");
    const worker = await rectOf(page, "thread_name=worker");
    expect(main.w / (main.w + worker.w)).toBeCloseTo(0.94, 2);
    expect(new URL(page.url()).searchParams.get("group")).toBe("thread_name");
    await page.getByRole("tab", { name: "Top table" }).click();
    await page.locator("tr", { hasText: "search_user" }).getByRole("button", { name: "sandwich" }).click();
    await page.waitForFunction(() => window.__flamegraph?.callers !== undefined);
    const caller = await rectOf(page, "UserIDSearchHandler.do_GET", { hook: "callers" });
    const root = await rectOf(page, "search_user", { hook: "callers" });
    expect(caller.y).toBeLessThan(root.y); // callers grow upwards from the function
    expect(new URL(page.url()).searchParams.get("fn")).toBe("search_user");
    await page.close();
  });

  it("diff colours: shrunk frame is blue, grown frame red, unchanged grey; legend visible", async () => {
    // before: search 90, send 4, idle 6 (of 100); after: search 10, send 4, idle 6, extra 80 (of 100)
    const after = serverProfile({ search: 10, send: 4, idle: 6, extra: 80 });
    const o = await open("diff", renderStandaloneHtml({ title: "diff", profile: after, baseline: slow }));
    const { page } = o;
    expect(await page.isVisible("[data-testid=diff-legend]")).toBe(true);
    const [r1, , b1] = await frameColor(page, await rectOf(page, "search_user"));
    expect(b1).toBeGreaterThan(r1 + 80);
    const [r2, , b2] = await frameColor(page, await rectOf(page, "increment_request_count"));
    expect(r2).toBeGreaterThan(b2 + 80);
    const grey = await frameColor(page, await rectOf(page, "send_response"));
    expect(Math.max(...grey) - Math.min(...grey)).toBeLessThan(8);
    const su = await rectOf(page, "search_user");
    await page.mouse.move(su.x + su.w / 2, su.y + su.h / 2);
    const text = (await page.getByRole("tooltip").textContent())!;
    expect(text).toContain("Before90.00%");
    expect(text).toContain("After10.00%");
    expect(text).toContain("−80.00 pp");
    await page.getByRole("tab", { name: "Top table" }).click();
    await expect.poll(() => page.locator(".pfg-table thead").textContent()).toContain("Before (self %)");
    await page.close();
  });

  it("a 2,500-frame-deep stack scrolls inside the viewer; the canvas stays viewport-sized", async () => {
    const b = new ProfileBuilder([{ type: "cpu", unit: "count" }]);
    const deep = Array.from({ length: 2500 }, (_, i) => ({
      name: `recurse_${i}`,
      file: "deep.py",
      line: i + 1,
      kind: "python" as const,
      module: "",
    }));
    b.addFrames(deep, [10]);
    const o = await open("deep", renderStandaloneHtml({ title: "deep", profile: b.build() }));
    const { page } = o;
    const dims = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>(".pfg-scroll canvas")!;
      const s = document.querySelector<HTMLElement>(".pfg-scroll")!;
      return { canvasH: c.height, clientH: s.clientHeight, scrollH: s.scrollHeight };
    });
    expect(dims.scrollH).toBeGreaterThan(2501 * 18 - 1); // taller than the 32,767 px canvas limit
    expect(dims.canvasH).toBeLessThanOrEqual(dims.clientH * 2 + 4); // device pixels at DPR 2
    await page.evaluate(() => {
      document.querySelector<HTMLElement>(".pfg-scroll")!.scrollTop = 1e9;
    });
    // The canvas redraws on the scroll event (a frame later): wait until the frame is drawn in view.
    await expect.poll(() => drawnInView(page, "recurse_2499")).toBe(true);
    const r = await rectOf(page, "recurse_2499");
    const box = await page.locator(".pfg-scroll").boundingBox();
    expect(r.y).toBeGreaterThanOrEqual(box!.y);
    expect(r.y + r.h).toBeLessThanOrEqual(box!.y + box!.height + 1);
    const [cr, cg, cb] = await frameColor(page, r);
    expect(cr + cg + cb).toBeLessThan(3 * 250); // painted, not background
    await page.close();
  });

  it("names that look like HTML/script render literally and run nothing", async () => {
    const o = await open("xss", renderStandaloneHtml({ title: XSS, profile: xssProfile() }));
    const { page } = o;
    expect(await page.title()).toBe(XSS);
    expect(await page.textContent("header h1")).toBe(XSS);
    const r = await rectOf(page, XSS);
    await page.mouse.move(r.x + r.w / 2, r.y + r.h / 2);
    const tip = page.getByRole("tooltip");
    await expect.poll(() => tip.locator(".pfg-tt-name").textContent()).toBe(XSS);
    expect(await tip.textContent()).toContain(`${XSS}${XSS}:7python`);
    await page.mouse.click(r.x + r.w / 2, r.y + r.h / 2);
    await expect.poll(() => page.textContent("[data-testid=breadcrumbs] [aria-current=true]")).toBe(XSS);
    await page.getByRole("tab", { name: "Top table" }).click();
    await expect.poll(() => page.locator(".pfg-link", { hasText: "<b onmouseover" }).count()).toBe(1);
    await page.locator(".pfg-link", { hasText: "<b onmouseover" }).hover();
    expect(await page.locator("img").count()).toBe(0);
    expect(await page.locator(".pfg b").count()).toBe(0);
    expect(o.dialogs).toEqual([]);
    expect(o.blocked).toEqual([]);
    expect(o.errors).toEqual([]);
    await page.close();
  });
});
