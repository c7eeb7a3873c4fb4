/** One headless Chromium per browser-test file, and a temp dir for the pages it opens from disk. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium } from "playwright-core";
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
