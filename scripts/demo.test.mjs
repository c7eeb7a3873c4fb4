// `pnpm demo` end to end with short recordings (root only: it records with eBPF): ingest + web start, the two servers
// are recorded and uploaded, the report is created, and its public link shows search_user's share falling by more
// than half. Ports and data dir are private to the test; everything is stopped when the demo exits (DEMO_EXIT=1).
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { freePort } from "./free-port.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const isRoot = process.getuid?.() === 0;

describe("pnpm demo", () => {
  it("without root it says why and what to run instead, and exits 1 before building anything", () => {
    // The unprivileged user may not be able to read the checkout (a clone in a 0700 directory): it runs a copy of the
    // script from a world-readable directory, which is all the script reads before it refuses.
    const copy = mkdtempSync(path.join(tmpdir(), "perforator-demo-nonroot-"));
    mkdirSync(path.join(copy, "scripts"));
    copyFileSync(path.join(root, "scripts/demo.sh"), path.join(copy, "scripts/demo.sh"));
    chmodSync(copy, 0o755);
    chmodSync(path.join(copy, "scripts"), 0o755);
    const r = spawnSync("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "bash", "scripts/demo.sh"], {
      cwd: copy,
      encoding: "utf8",
    });
    rmSync(copy, { recursive: true, force: true });
    if (r.error) throw r.error;
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/cannot record here: it runs as \S+, not root/);
    expect(r.stderr).toContain("sudo pnpm demo");
    expect(r.stderr).toContain("pnpm perforator upload");
  });

  it.skipIf(!isRoot)(
    "records both servers, creates the report and prints a public link showing search_user falling",
    { timeout: 20 * 60_000 },
    async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), "perforator-demo-"));
      try {
        const web = await freePort();
        const ingest = await freePort();
        const r = spawnSync("bash", ["scripts/demo.sh"], {
          cwd: root,
          encoding: "utf8",
          env: {
            ...process.env,
            DEMO_SECONDS: "4",
            DEMO_EXIT: "1",
            WEB_PORT: String(web),
            INGEST_PORT: String(ingest),
            PERFORATOR_DATA_DIR: dataDir,
            PERFORATOR_WEB_URL: `http://127.0.0.1:${web}`,
          },
          timeout: 20 * 60_000,
        });
        expect(r.status, `${r.stderr}\n${r.stdout}`).toBe(0);
        const out = r.stdout;
        const base = `http://127.0.0.1:${web}`;
        expect(out).toContain(`Sign in        ${base}/sign-in`);
        expect(out).toMatch(/password {2}\S{12,}/);
        expect(out).toMatch(new RegExp(`Before {9}${base}/p/\\w+`));
        expect(out).toMatch(new RegExp(`After {10}${base}/p/\\w+`));
        const m = /search_user +([\d.]+)% → ([\d.]+)% of CPU/.exec(out);
        expect(m, out).not.toBeNull();
        expect(Number(m[2])).toBeLessThan(Number(m[1]) / 2);
        expect(out).toMatch(new RegExp(`Public report  ${base}/r/[A-Za-z0-9_-]{22} `));
        // DEMO_EXIT=1 stopped the servers again.
        await expect(fetch(`${base}/api/trpc/health`, { signal: AbortSignal.timeout(10_000) })).rejects.toThrow(
          /fetch failed/,
        );
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  );
});
