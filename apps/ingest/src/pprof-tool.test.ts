/** `go tool pprof` (the reference pprof reader) fetches the read API's URLs directly, token in the URL. */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createToken,
  post,
  realisticPprof,
  type Service,
  serviceEnv,
  startService,
  stopService,
  tempDir,
} from "./test-utils/harness.js";

function hasGo(): boolean {
  try {
    execFileSync("go", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function pprofRaw(url: string, tmp: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "go",
      ["tool", "pprof", "-raw", url],
      { env: { ...process.env, PPROF_TMPDIR: tmp, HOME: tmp, GOCACHE: path.join(tmp, "gocache") }, timeout: 60_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

const d = hasGo() ? describe : describe.skip;
d("go tool pprof -raw against the read API (skipped without Debian golang-go)", () => {
  let server: Service;
  let tmp: ReturnType<typeof tempDir>;
  let read: string;
  let id: string;
  beforeAll(async () => {
    tmp = tempDir();
    // debug: every request is logged, so the test sees the URL as the log shows it.
    server = await startService(serviceEnv(tmp.dir, { LOG_LEVEL: "debug" }));
    const ingest = readFileSync(path.join(tmp.dir, "ingest-token"), "utf8").trim();
    read = await createToken(serviceEnv(tmp.dir), "default", "read");
    for (const seed of [1, 2]) {
      const r = await post(`${server.url}/api/v1/profiles?service=shop.api`, realisticPprof(seed, 200), {
        authorization: `Bearer ${ingest}`,
      });
      expect(r.status).toBe(201);
      id = r.json.id as string;
    }
  });
  afterAll(async () => {
    await stopService(server);
    tmp.remove();
  });

  it("reads a profile with the token as the basic-auth password in the URL", async () => {
    const u = new URL(`${server.url}/api/v1/profiles/${id}`);
    u.username = "pprof";
    u.password = read;
    const out = await pprofRaw(u.toString(), tmp.dir);
    expect(out).toMatch(/PeriodType: cpu nanoseconds/);
    expect(out).toMatch(/app\.module\d+\.function_\d+/);
  });

  it("reads the merged render with ?token=", async () => {
    const out = await pprofRaw(
      `${server.url}/api/v1/render?service=shop.api&from=1764000000&until=1764100000&token=${read}`,
      tmp.dir,
    );
    expect(out).toMatch(/Samples:/);
    expect(out).toMatch(/function_/);
    // The token in the URL is masked in the server's logs.
    expect(server.logs.join("\n")).toContain("token=***");
    expect(server.logs.join("\n")).not.toContain(read);
  });

  it("gets a clear failure with a wrong token", async () => {
    await expect(pprofRaw(`${server.url}/api/v1/profiles/${id}?token=pft_wrong`, tmp.dir)).rejects.toThrow(/401/);
  });
});
