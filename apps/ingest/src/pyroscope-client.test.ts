/**
 * The real Pyroscope Node.js SDK (@pyroscope/nodejs) pushing to the running service through `POST /ingest`
 * with an ingest token; what arrived is counted through the read API.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { importProfile, totalValue } from "@perforator/profile";
import { afterEach, describe, expect, it } from "vitest";
import { createToken, type Service, serviceEnv, startService, stopService, tempDir } from "./test-utils/harness.js";

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Runs the SDK in its own process for ~3 s of CPU work, flushing every second. */
function runSdk(serverAddress: string, authToken: string): Promise<string> {
  const script = `
    const Pyroscope = require("@pyroscope/nodejs");
    Pyroscope.init({ serverAddress: ${JSON.stringify(serverAddress)}, appName: "demo.app", authToken: ${JSON.stringify(authToken)},
      tags: { env: "test" }, flushIntervalMs: 1000 });
    Pyroscope.start();
    function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
    const end = Date.now() + 3000;
    const tick = () => { const t = Date.now(); while (Date.now() - t < 50) fib(20); if (Date.now() < end) setImmediate(tick); else Pyroscope.stop().then(() => console.log("stopped")); };
    tick();`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", script], { cwd: APP_DIR, timeout: 30_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout + stderr),
    );
  });
}

let server: Service | undefined;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await stopService(server);
  for (const c of cleanups.splice(0)) c();
});

describe("@pyroscope/nodejs client", () => {
  it("pushes CPU and wall profiles with its auth token; every stored upload is listed by the read API", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.remove);
    server = await startService(serviceEnv(tmp.dir, { LOG_LEVEL: "debug" }));
    const token = readFileSync(path.join(tmp.dir, "ingest-token"), "utf8").trim();
    const out = await runSdk(server.url, token);
    expect(out).toContain("stopped");

    const stored = server.logs.filter((l) => /"msg":"profile stored"/.test(l));
    const ingests = server.logs.filter((l) => /"url":"\/ingest\?/.test(l) && /incoming request/.test(l));
    expect(ingests.length).toBeGreaterThanOrEqual(2);
    expect(stored.length).toBeGreaterThanOrEqual(1);
    const read = await createToken(serviceEnv(tmp.dir), "default", "read");
    const list = (await (
      await fetch(`${server.url}/api/v1/profiles?service=demo.app&limit=1000`, {
        headers: { authorization: `Bearer ${read}` },
      })
    ).json()) as { profiles: { id: string; labels: Record<string, string> }[] };
    expect(list.profiles.length).toBe(stored.length);
    expect(list.profiles[0]!.labels).toMatchObject({ env: "test", spyName: "nodespy" });
    // The CPU profiles hold the work the client did.
    const cpu = list.profiles.filter((p) => p.labels.sampleRate);
    expect(cpu.length).toBeGreaterThanOrEqual(1);
    const names = new Set<string>();
    for (const p of cpu) {
      const body = await fetch(`${server.url}/api/v1/profiles/${p.id}?format=json`, {
        headers: { authorization: `Bearer ${read}` },
      });
      const profile = importProfile(Buffer.from(await body.text()));
      expect(totalValue(profile)).toBeGreaterThan(0);
      for (const f of profile.frames) names.add(f.name);
    }
    expect(
      [...names].filter((n) => /fib/.test(n)),
      [...names].slice(0, 30).join(", "),
    ).not.toEqual([]);

    // Without the token the SDK's uploads are refused.
    const before = list.profiles.length;
    await runSdk(server.url, "pft_wrong");
    const after = (await (
      await fetch(`${server.url}/api/v1/profiles?service=demo.app&limit=1000`, {
        headers: { authorization: `Bearer ${read}` },
      })
    ).json()) as { profiles: unknown[] };
    expect(after.profiles.length).toBe(before);
    expect(server.logs.some((l) => /"status":401/.test(l) || /unknown or revoked/.test(l))).toBe(true);
  });
});
