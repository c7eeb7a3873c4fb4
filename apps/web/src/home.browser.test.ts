/**
 * The built app in a real browser: `next start` on a free loopback port (from the `.next` build that
 * `pnpm build` makes), headless Chromium through playwright-core, every non-loopback request blocked.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase, saveProfile } from "@perforator/db";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const NEXT_BIN = path.join(APP_DIR, "node_modules", "next", "dist", "bin", "next");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

let dataDir = "";
let server: ChildProcess | undefined;
let browser: Browser | undefined;
let base = "";
const serverLog: string[] = [];

beforeAll(async () => {
  if (!existsSync(path.join(APP_DIR, ".next", "BUILD_ID"))) {
    throw new Error("apps/web/.next is missing: run `pnpm --filter @perforator/web build` before this test");
  }
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium or set CHROMIUM_PATH`);
  dataDir = mkdtempSync(path.join(tmpdir(), "perforator-web-browser-"));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, PERFORATOR_DATA_DIR: dataDir, NEXT_TELEMETRY_DISABLED: "1" };
  delete env.DATABASE_URL;
  server = spawn(process.execPath, [NEXT_BIN, "start", "-p", String(port), "-H", "127.0.0.1"], {
    cwd: APP_DIR,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout!.on("data", (c: Buffer) => serverLog.push(c.toString()));
  server.stderr!.on("data", (c: Buffer) => serverLog.push(c.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`next start exited (${server.exitCode}):\n${serverLog.join("")}`);
    try {
      if ((await fetch(`${base}/api/trpc/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`next start did not answer in 60 s:\n${serverLog.join("")}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
});

afterAll(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once("exit", r));
    server.kill("SIGTERM");
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A page that fails the test on script errors and refuses to talk to anything but our server. */
async function openPage(): Promise<{ page: Page; errors: string[]; blocked: string[] }> {
  const page = await browser!.newPage();
  const errors: string[] = [];
  const blocked: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(base) || url.startsWith("data:")) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  return { page, errors, blocked };
}

describe("home page in Chromium", () => {
  it("shows the product, a health card saying the database is reachable, and how to get profiles in", async () => {
    const { page, errors, blocked } = await openPage();
    // The card is server-rendered, then refreshed by the browser through /api/trpc: wait for that call.
    const healthCall = page.waitForResponse((r) => r.url().startsWith(`${base}/api/trpc/health`));
    await page.goto(base);
    expect((await healthCall).status()).toBe(200);
    await expect.poll(() => page.locator("h1").textContent()).toBe("Perforator");
    const card = page.getByTestId("health-card");
    await expect.poll(() => card.getAttribute("data-db-reachable")).toBe("true");
    expect(await page.getByTestId("db-status").textContent()).toBe("sqlite reachable");
    expect(await card.textContent()).toContain("0.1.0");
    expect(await page.getByTestId("empty-state").textContent()).toContain("perforator record --pid PID");
    expect(errors).toEqual([]);
    expect(blocked).toEqual([]);
    await page.close();
  });

  it("lists services once profiles exist", async () => {
    const db = openDatabase({ dataDir, url: `file:${path.join(dataDir, "perforator.db")}` });
    await saveProfile(db, {
      service: "python.server",
      startTime: new Date("2026-11-25T14:00:00Z"),
      endTime: new Date("2026-11-25T14:01:00Z"),
      sampleType: "cpu",
      sampleUnit: "nanoseconds",
      totalValue: 5_000_000_000,
      sampleCount: 42,
      format: "pprof",
      body: new TextEncoder().encode("not really pprof, the list only shows metadata"),
    });
    await db.close();
    const { page, errors } = await openPage();
    await page.goto(base);
    expect(await page.getByTestId("services").textContent()).toContain("python.server");
    expect(await page.getByTestId("recent-profiles").textContent()).toContain("42 stacks");
    expect(await page.getByTestId("empty-state").count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});
