/**
 * The standalone page in headless Chromium, for the diff layout (removed / new frames), source
 * lines in the tooltip (per-function and per-line trees) and keyboard navigation.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ProfileBuilder } from "@perforator/profile";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { renderStandaloneHtml } from "./standalone/render-html.js";
import { chromiumFixture, drawnInView, type Rect, rectOf } from "./test-utils/browser.js";
import { deployedElsewhere, pyAt as py, serverProfile } from "./test-utils/profiles.js";

const fx = chromiumFixture("pfg-viewer-");

async function open(name: string, html: string, query = ""): Promise<{ page: Page; errors: string[] }> {
  const file = join(fx.dir, `${name}.html`);
  writeFileSync(file, html);
  const url = pathToFileURL(file).href;
  const page = await fx.context.newPage();
  const errors: string[] = [];
  await page.route("**/*", (route) => (route.request().url().split("?")[0] === url ? route.continue() : route.abort()));
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url + query);
  await page.waitForFunction(() => window.__flamegraph?.main !== undefined);
  return { page, errors };
}

/** RGB of canvas pixels along a horizontal line (client coordinates), one per device pixel. */
async function pixelsAlong(page: Page, x1: number, x2: number, y: number): Promise<[number, number, number][]> {
  return page.evaluate(
    ([a, b, cy]) => {
      const c = document.querySelector<HTMLCanvasElement>(".pfg-scroll canvas")!;
      const box = c.getBoundingClientRect();
      const k = c.width / box.width;
      const x0 = Math.floor((a! - box.left) * k);
      const w = Math.max(1, Math.floor((b! - a!) * k));
      const d = c.getContext("2d")!.getImageData(x0, Math.floor((cy! - box.top) * k), w, 1).data;
      const out: [number, number, number][] = [];
      for (let i = 0; i < w; i++) out.push([d[i * 4]!, d[i * 4 + 1]!, d[i * 4 + 2]!]);
      return out;
    },
    [x1, x2, y],
  );
}

async function hoverText(page: Page, r: Rect): Promise<string> {
  await page.mouse.move(r.x + r.w / 2, r.y + r.h / 2);
  const tip = page.getByRole("tooltip");
  await expect.poll(() => tip.count()).toBe(1);
  return (await tip.textContent()) ?? "";
}

const crumb = (page: Page) => page.textContent("[data-testid=breadcrumbs] [aria-current=true]");

describe("diff: frames only in one side are visible and marked", { timeout: 30_000 }, () => {
  // before: search_user 90, send 4, idle 6 (100). after: search_user gone, send 4, idle 6, increment 10 (20).
  const before = serverProfile({ search: 90, send: 4, idle: 6 });
  const after = serverProfile({ search: 0, send: 4, idle: 6, extra: 10 });

  it("a removed frame is drawn at its baseline share, striped and outlined; ancestors widen; numbers stay real", async () => {
    const { page, errors } = await open(
      "removed",
      renderStandaloneHtml({ title: "d", profile: after, baseline: before }),
    );
    const root = await rectOf(page, "all");
    const su = await rectOf(page, "search_user");
    const handler = await rectOf(page, "UserIDSearchHandler.do_GET");
    // search_user had 90% of the baseline: 18 units of the 20-unit target; the handler widens
    // from 14 to 32 units and the root from 20 to 38.
    expect(su.w / root.w).toBeCloseTo(18 / 38, 2);
    expect(handler.w / root.w).toBeCloseTo(32 / 38, 2);
    expect(su.x + su.w).toBeLessThanOrEqual(handler.x + handler.w + 0.5);
    // Stripes: both white and blue pixels along the frame (right half, away from the label).
    const px = await pixelsAlong(page, su.x + su.w / 2, su.x + su.w - 3, su.y + su.h / 2);
    const white = px.filter(([r, g, b]) => r > 215 && g > 225 && b > 235).length;
    const blue = px.filter(([r, , b]) => b > r + 60).length;
    expect(white).toBeGreaterThan(px.length / 10);
    expect(blue).toBeGreaterThan(px.length / 10);
    // A new frame is hatched with dark stripes over its red fill.
    const inc = await rectOf(page, "increment_request_count");
    const ipx = await pixelsAlong(page, inc.x + inc.w / 2, inc.x + inc.w - 3, inc.y + inc.h / 2);
    const red = ipx.filter(([r, , b]) => r > b + 60).length;
    const dark = ipx.filter(([r, g, b]) => r + g + b < 3 * 150).length;
    expect(red).toBeGreaterThan(0);
    expect(dark).toBeGreaterThan(0);
    // Tooltips say which side a frame is on; values are the real target / baseline values.
    const t1 = await hoverText(page, su);
    expect(t1).toContain("removed: only in the baseline");
    expect(t1).toContain("Before90.00%");
    expect(t1).toContain("After0%");
    expect(t1).toContain("0 samples");
    const t2 = await hoverText(page, inc);
    expect(t2).toContain("new: not in the baseline");
    expect(t2).toContain("10 samples50.00% of total");
    expect(await page.textContent("[data-testid=diff-legend]")).toContain("removed: only in the baseline");
    // Search shares count the target only: the handler is 14 of 20 samples, search_user 0.
    await page.fill("input[aria-label='Search functions']", "UserIDSearchHandler");
    await expect.poll(() => page.textContent("[data-testid=matched]")).toBe("Matched: 70.00%");
    await page.fill("input[aria-label='Search functions']", "search_user");
    await expect.poll(() => page.textContent("[data-testid=matched]")).toBe("Matched: 0%");
    // The removed frame is painted as a match (magenta under its stripes).
    const mpx = await pixelsAlong(page, su.x + su.w / 2, su.x + su.w - 3, su.y + su.h / 2);
    expect(mpx.filter(([r, g, b]) => r > 200 && b > 200 && g < 160).length).toBeGreaterThan(0);
    await page.fill("input[aria-label='Search functions']", "");
    // Zoom into the removed frame: it fills the width; the hit test follows the widened layout.
    await page.mouse.click(su.x + su.w - 5, su.y + su.h / 2);
    await expect.poll(() => crumb(page)).toBe("search_user");
    expect((await rectOf(page, "search_user")).w).toBeGreaterThan(1100);
    expect(errors).toEqual([]);
    await page.close();
  });
});

/** search_user: 80 samples on line 24 (the loop), 20 on line 25 (the comparison); do_GET always at line 48. */
/** One stack of 120 Python frames, level_0 (root) … level_119: deeper than the viewport. */
function deepProfile() {
  const b = new ProfileBuilder([{ type: "cpu", unit: "count" }]);
  b.addFrames(
    Array.from({ length: 120 }, (_, i) => py(`level_${i}`, i + 1, "deep.py")),
    [10],
  );
  return b.build();
}

function linesProfile() {
  const b = new ProfileBuilder([{ type: "cpu", unit: "count" }], { durationNanos: 1e9 });
  b.addFrames([py("run", 60), py("do_GET", 48), py("search_user", 24)], [80]);
  b.addFrames([py("run", 60), py("do_GET", 48), py("search_user", 25)], [20]);
  return b.build();
}

describe("source lines in the tooltip", { timeout: 30_000 }, () => {
  it("per function: file:line when all samples share a line, 'lines vary' with shares otherwise", async () => {
    const { page } = await open("lines", renderStandaloneHtml({ title: "l", profile: linesProfile() }));
    const su = await rectOf(page, "search_user");
    await hoverText(page, su);
    expect(await page.textContent("[data-testid=tooltip-location]")).toBe(
      "server.py — lines vary (24: 80.00%, 25: 20.00%)",
    );
    await hoverText(page, await rectOf(page, "do_GET"));
    expect(await page.textContent("[data-testid=tooltip-location]")).toBe("server.py:48");
    await page.close();
  });

  it("'By line' splits a function per line, shows file:line, and survives a reload from the URL", async () => {
    const { page } = await open("byline", renderStandaloneHtml({ title: "l", profile: linesProfile() }));
    const toggle = page.getByRole("button", { name: "By line" });
    expect(await toggle.getAttribute("aria-pressed")).toBe("false");
    await toggle.click();
    await expect.poll(() => new URL(page.url()).searchParams.get("line")).toBe("1");
    await expect.poll(() => page.evaluate(() => window.__flamegraph!.main!.rectOf("search_user", 1))).not.toBeNull();
    const first = await rectOf(page, "search_user", { nth: 0 });
    const second = await rectOf(page, "search_user", { nth: 1 });
    expect(first.w / (first.w + second.w)).toBeCloseTo(0.8, 2);
    await hoverText(page, first);
    expect(await page.textContent("[data-testid=tooltip-location]")).toBe("server.py:24");
    await hoverText(page, second);
    expect(await page.textContent("[data-testid=tooltip-location]")).toBe("server.py:25");
    await page.reload();
    await page.waitForFunction(() => window.__flamegraph?.main?.rectOf("search_user", 1) != null);
    expect(await page.getByRole("button", { name: "By line" }).getAttribute("aria-pressed")).toBe("true");
    await page.close();
  });
});

describe("keyboard navigation", { timeout: 30_000 }, () => {
  const slow = serverProfile({ search: 90, send: 4, idle: 6 });
  const focusName = (page: Page) => page.evaluate(() => window.__flamegraph!.main!.focusName());
  const announced = (page: Page) => page.textContent("[data-testid=flame-announce]");

  it("arrows move between frames with a visible focus ring and a live announcement; Enter zooms, Escape zooms out", async () => {
    const { page } = await open("keys", renderStandaloneHtml({ title: "k", profile: slow }));
    expect(await page.getAttribute("[data-testid=flame-announce]", "aria-live")).toBe("polite");
    await page.focus(".pfg-scroll");
    await expect.poll(() => focusName(page)).toBe("all");
    // icicle (default): Down = heaviest child, seven levels down to search_user
    for (let i = 0; i < 7; i++) await page.keyboard.press("ArrowDown");
    await expect.poll(() => focusName(page)).toBe("search_user");
    await expect.poll(() => announced(page)).toBe("search_user, server.py:22, 90.00% of total, self 90.00%.");
    // focus ring: accent blue on the frame's left edge
    const su = await rectOf(page, "search_user");
    const [[r, g, b]] = await pixelsAlong(page, su.x + 2, su.x + 2.5, su.y + su.h / 2);
    expect(b).toBeGreaterThan(200);
    expect(r).toBeLessThan(90);
    expect(g).toBeLessThan(140);
    await page.keyboard.press("ArrowRight");
    await expect.poll(() => focusName(page)).toBe("send_response");
    await page.keyboard.press("ArrowRight"); // last sibling: stays
    expect(await focusName(page)).toBe("send_response");
    await page.keyboard.press("ArrowLeft");
    await expect.poll(() => focusName(page)).toBe("search_user");
    // the ring moved: search_user's left edge is no longer blue once focus leaves it
    await page.keyboard.press("ArrowUp");
    await expect.poll(() => focusName(page)).toBe("UserIDSearchHandler.do_GET");
    const [[r2, , b2]] = await pixelsAlong(page, su.x + 2, su.x + 2.5, su.y + su.h / 2);
    expect(b2 - r2).toBeLessThan(100);
    await page.keyboard.press("Enter");
    await expect.poll(() => crumb(page)).toBe("UserIDSearchHandler.do_GET");
    await expect.poll(() => announced(page)).toBe("Zoomed into UserIDSearchHandler.do_GET.");
    expect((await rectOf(page, "UserIDSearchHandler.do_GET")).w).toBeGreaterThan(1100);
    // inside the zoom, shares of the zoomed frame are announced too
    await page.keyboard.press("ArrowDown");
    await expect
      .poll(() => announced(page))
      .toBe("search_user, server.py:22, 90.00% of total, 95.74% of zoomed frame, self 90.00%.");
    await page.keyboard.press("Escape");
    await expect.poll(() => crumb(page)).toBe("process_request");
    await page.keyboard.press("Backspace");
    await expect.poll(() => crumb(page)).toBe("_handle_request_noblock");
    await page.close();
  });

  it("flame mode: the arrow toward the root row (Down) goes to the parent, Up to the heaviest child", async () => {
    const { page } = await open("keys-flame", renderStandaloneHtml({ title: "k", profile: slow }), "?mode=flame");
    await page.focus(".pfg-scroll");
    await expect.poll(() => focusName(page)).toBe("all");
    await page.keyboard.press("ArrowUp");
    await expect.poll(() => focusName(page)).toBe("<module>");
    await page.keyboard.press("ArrowUp");
    await expect.poll(() => focusName(page)).toBe("run");
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => focusName(page)).toBe("<module>");
    await page.close();
  });

  it("the focused frame scrolls into view in a stack deeper than the viewport", async () => {
    const { page } = await open("keys-deep", renderStandaloneHtml({ title: "deep", profile: deepProfile() }));
    await page.focus(".pfg-scroll");
    for (let i = 0; i < 80; i++) await page.keyboard.press("ArrowDown");
    await expect.poll(() => focusName(page)).toBe("level_79");
    // scrolled so that the focused row is drawn inside the viewport (the redraw follows the scroll event)
    await expect.poll(() => drawnInView(page, "level_79")).toBe(true);
    expect(await page.evaluate(() => document.querySelector(".pfg-scroll")!.scrollTop)).toBeGreaterThan(0);
    await page.close();
  });

  it("a click deep in a scrolled stack zooms into the frame under the pointer", async () => {
    const { page } = await open("click-deep", renderStandaloneHtml({ title: "deep", profile: deepProfile() }));
    await page.evaluate(() => {
      document.querySelector<HTMLElement>(".pfg-scroll")!.scrollTop = 1e9;
    });
    // The canvas redraws on the scroll event (a frame later): wait until the frame is drawn in view.
    await expect.poll(() => drawnInView(page, "level_110")).toBe(true);
    const r = await rectOf(page, "level_110");
    await page.mouse.click(r.x + r.w / 2, r.y + r.h / 2);
    await expect.poll(() => crumb(page)).toBe("level_110");
    await page.close();
  });

  it("diff: removed frames are reachable and announced as removed", async () => {
    const before = serverProfile({ search: 90, send: 4, idle: 6 });
    const after = serverProfile({ search: 0, send: 4, idle: 6, extra: 10 });
    const { page } = await open("keys-diff", renderStandaloneHtml({ title: "d", profile: after, baseline: before }));
    await page.focus(".pfg-scroll");
    for (let i = 0; i < 6; i++) await page.keyboard.press("ArrowDown");
    await expect.poll(() => focusName(page)).toBe("UserIDSearchHandler.do_GET");
    // children by name: increment_request_count, search_user, send_response
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => focusName(page)).toBe("increment_request_count");
    await page.keyboard.press("ArrowRight");
    await expect.poll(() => focusName(page)).toBe("search_user");
    await expect.poll(() => announced(page)).toContain("removed: only in the baseline, was 90.00%");
    await page.close();
  });

  it("diff of server.py against server_dict.py deployed elsewhere: frames line up by name, or exactly on request", async () => {
    const before = serverProfile({ search: 90, send: 4, idle: 6 });
    const after = deployedElsewhere(
      serverProfile({ search: 2, send: 4, idle: 6 }),
      "/srv/app/server_dict.py",
      "/usr/local/lib/python3.12",
    );
    const statuses = (page: Page, name: string) =>
      page.evaluate((n) => window.__flamegraph!.main!.diffStatuses(n), name);
    const byName = await open("match-name", renderStandaloneHtml({ title: "d", profile: after, baseline: before }));
    expect(await statuses(byName.page, "<module>")).toEqual(["both"]);
    expect(await statuses(byName.page, "search_user")).toEqual(["both"]);
    expect(await byName.page.textContent("[data-testid=diff-match]")).toContain("by function name and module");
    await byName.page.click("text=Top table");
    await expect.poll(() => byName.page.locator("tr", { hasText: "search_user" }).count()).toBe(1);
    expect(byName.errors).toEqual([]);
    await byName.page.close();
    const exact = await open(
      "match-exact",
      renderStandaloneHtml({ title: "d", profile: after, baseline: before, match: "exact" }),
    );
    expect((await statuses(exact.page, "<module>")).sort()).toEqual(["new", "removed"]);
    expect((await statuses(exact.page, "search_user")).sort()).toEqual(["new", "removed"]);
    expect(await exact.page.textContent("[data-testid=diff-match]")).toContain("matched exactly");
    await exact.page.close();
  });
});
