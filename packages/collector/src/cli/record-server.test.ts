import { spawn } from "node:child_process";
import { join } from "node:path";
import { type Frame, parsePprof } from "@perforator/profile";
import { describe, expect, it } from "vitest";
import { freePort, inclusive, python, runCli, startWorkload, useChromium, WORKLOADS } from "./test-utils/e2e.js";

const chromiumBrowser = useChromium();

const named = (name: string) => (f: Frame) => f.name === name;

/**
 * The tutorial, as a user does it: load the server, `perforator record --pid P --duration 5s --serve`,
 * open the URL, search "UserIDSearchHandler" and read "Matched: X%"; the numbers below come from the
 * profile the page serves at /profile.pb.gz.
 */
async function recordServer(script: string) {
  const port = await freePort();
  const server = await startWorkload(python("3.12.1"), [join(WORKLOADS, script), String(port)], /^Serving on port/);
  const load = spawn(python("3.12.1"), [join(WORKLOADS, "load.py"), String(port), "9", "2"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let loadOut = "";
  load.stdout.on("data", (d: Buffer) => {
    loadOut += d.toString();
  });
  const loadDone = new Promise<void>((r) => load.on("close", () => r()));
  try {
    await new Promise((r) => setTimeout(r, 1000));
    let matched = "";
    let pprof: Uint8Array | undefined;
    let failure: unknown;
    const r = await runCli(
      ["record", "--pid", String(server.pid), "--duration", "5s", "-F", "999", "--serve", "127.0.0.1:0"],
      {
        onStderr: (text, child) => {
          const m = /flamegraph at (http:\/\/\S+)/.exec(text);
          if (!m || matched || failure !== undefined || pprof) return;
          const url = m[1]!;
          pprof = new Uint8Array(0);
          void (async () => {
            try {
              pprof = new Uint8Array(await (await fetch(`${url}profile.pb.gz`)).arrayBuffer());
              const page = await chromiumBrowser().newPage();
              await page.goto(`${url}?q=UserIDSearchHandler`);
              await page.waitForSelector("[data-testid=matched]", { timeout: 20_000 });
              matched = (await page.textContent("[data-testid=matched]")) ?? "";
              await page.close();
            } catch (err) {
              failure = err;
            } finally {
              child.kill("SIGINT");
            }
          })();
        },
      },
    );
    if (failure) throw failure;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Python 3\.12\.1/);
    await loadDone;
    expect(loadOut).toMatch(/requests [1-9]\d* errors 0/);
    const p = parsePprof(pprof!);
    const handler = named("UserIDSearchHandler.do_GET");
    const matchedPct = Number(/Matched: ([\d.]+)%/.exec(matched)?.[1]);
    return {
      inHandler: inclusive(p, handler),
      total: inclusive(p, () => true),
      search: inclusive(p, named("search_user"), handler),
      matchedPct,
    };
  } finally {
    server.stop();
    load.kill();
  }
}

describe("perforator record: the tutorial server", () => {
  it("shows search_user eating UserIDSearchHandler, and the dict version fixing it", async () => {
    const slow = await recordServer("server.py");
    expect(slow.inHandler, JSON.stringify(slow)).toBeGreaterThan(100);
    // What the user reads: the handler is most of the program, search_user most of the handler.
    // (The tutorial's page shows 96%; measured here 93%.)
    expect(slow.inHandler / slow.total).toBeGreaterThan(0.85);
    expect(slow.search / slow.inHandler).toBeGreaterThan(0.85);
    // The page's search agrees with the profile it serves.
    expect(slow.matchedPct).toBeGreaterThan(85);
    expect(Math.abs(slow.matchedPct - (100 * slow.inHandler) / slow.total)).toBeLessThan(1);

    const fast = await recordServer("server_dict.py");
    expect(fast.inHandler, JSON.stringify(fast)).toBeGreaterThan(0);
    expect(fast.search / fast.inHandler).toBeLessThan(0.1);
    expect(fast.matchedPct).toBeLessThan(slow.matchedPct - 20);
  });
});
