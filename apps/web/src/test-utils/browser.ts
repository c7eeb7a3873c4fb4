/** Real Chromium (playwright-core) for the web app's browser tests: pages that keep to the app's origin, and waits. */
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { expect } from "vitest";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Headless system Chromium ($CHROMIUM_PATH or /usr/bin/chromium), no background traffic. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** A desktop-sized context that may use the clipboard (copy-link buttons). */
export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({
    viewport: { width: 1400, height: 1000 },
    permissions: ["clipboard-read", "clipboard-write"],
  });
}

/** Waits until the main flamegraph has drawn its first frame. */
export async function flameReady(page: Page): Promise<void> {
  await page.waitForFunction(() => (window.__flamegraph?.main?.firstDrawAt() ?? null) !== null, undefined, {
    timeout: 30_000,
  });
}

export interface WatchedPages {
  /** A page that records script errors and refuses (and records) any request that leaves the app's origin. */
  openPage(context: BrowserContext): Promise<Page>;
  /** Asserts the page logged no errors and tried no request outside the origin. */
  clean(page: Page): void;
}

/** Pages watched against `origin()` (read when a page is opened, so it may be set in beforeAll). */
export function watchPages(origin: () => string): WatchedPages {
  const opened: { page: Page; errors: string[]; blocked: string[] }[] = [];
  return {
    async openPage(context) {
      const base = origin();
      const page = await context.newPage();
      const errors: string[] = [];
      const blocked: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("console", (m) => {
        // A 404 page legitimately logs the failed document request.
        if (m.type() === "error" && !/status of 404/.test(m.text())) errors.push(m.text());
      });
      await page.route("**/*", (route) => {
        const url = route.request().url();
        if (url.startsWith(base) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
        blocked.push(url);
        return route.abort();
      });
      opened.push({ page, errors, blocked });
      return page;
    },
    clean(page) {
      const o = opened.find((x) => x.page === page)!;
      expect(o.errors).toEqual([]);
      expect(o.blocked).toEqual([]);
    },
  };
}
