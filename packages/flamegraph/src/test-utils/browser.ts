/** One headless Chromium per browser-test file, and a temp dir for the pages it opens from disk. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

export interface BrowserFixture {
  /** A 1200×900 context at device pixel ratio 2 (set in beforeAll). */
  context: BrowserContext;
  /** A fresh temp dir, removed in afterAll. */
  dir: string;
}

/** Registers beforeAll/afterAll hooks that start and stop the browser; read the fields inside tests. */
export function chromiumFixture(dirPrefix: string): BrowserFixture {
  const fx = {} as BrowserFixture;
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    fx.context = await browser.newContext({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 2 });
    fx.dir = mkdtempSync(join(tmpdir(), dirPrefix));
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    if (fx.dir) rmSync(fx.dir, { recursive: true, force: true });
  });
  return fx;
}

export type Rect = { x: number; y: number; w: number; h: number };

/**
 * Client rectangle of the `nth` drawn frame called `name` in the page's flamegraph `hook` ("main", "callers", ...), as
 * `window.__flamegraph` reports it; throws when it is not drawn.
 */
export async function rectOf(page: Page, name: string, opts: { hook?: string; nth?: number } = {}): Promise<Rect> {
  const r = await page.evaluate(
    ([n, h, k]) => window.__flamegraph?.[h as string]?.rectOf(n as string, k as number) ?? null,
    [name, opts.hook ?? "main", opts.nth ?? 0] as const,
  );
  if (!r) throw new Error(`frame ${name} not visible`);
  return r;
}

/** Whether frame `name` is drawn wholly inside the scrolled viewport (the canvas redraws a frame after a scroll). */
export function drawnInView(page: Page, name: string): Promise<boolean> {
  return page.evaluate((n) => {
    const r = window.__flamegraph!.main!.rectOf(n);
    const box = document.querySelector(".pfg-scroll")!.getBoundingClientRect();
    return r !== null && r.y >= box.top && r.y + r.h <= box.bottom;
  }, name);
}
