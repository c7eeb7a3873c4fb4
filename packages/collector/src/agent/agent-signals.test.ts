/**
 * Ctrl-C in a terminal (SIGINT to the whole foreground process group) and `kill -- -PGID`: the agent hands over the
 * current interval with every sample up to the signal (its sampler is in a group of its own, so it is not killed
 * before the last flush), spools it, and exits 0 within seconds.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, freePort, python, startWorkload, WORKLOADS } from "../cli/test-utils/e2e.js";

describe("agent signals", () => {
  it("SIGINT to its process group keeps the last samples and exits 0 within seconds", async () => {
    const busy = await startWorkload(python("3.12.1"), [join(WORKLOADS, "ratio.py")]);
    const spool = mkdtempSync(join(tmpdir(), "perforator-spool-"));
    const dead = `http://127.0.0.1:${await freePort()}`;
    const agent = spawn(
      process.execPath,
      [
        CLI,
        "agent",
        "--url",
        dead,
        "--token",
        "t",
        "--pid",
        String(busy.pid),
        "--interval",
        "1m",
        "--spool-dir",
        spool,
      ],
      { stdio: ["ignore", "ignore", "pipe"], detached: true },
    );
    let log = "";
    agent.stderr!.on("data", (d: Buffer) => {
      log += d.toString();
    });
    const exited = new Promise<number | null>((r) => agent.once("exit", (c) => r(c)));
    try {
      for (let i = 0; i < 100 && !log.includes("profiling pid"); i++) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 3000));
      const t0 = Date.now();
      process.kill(-agent.pid!, "SIGINT");
      expect(await exited, log).toBe(0);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(log).not.toMatch(/stopped early|sampler exited/);
      expect(log).toMatch(/interval 1 \(\d+ s\): spooled 1 profile\(s\): python3 \(pid \d+, \d+ samples\)/);
      expect(readdirSync(spool).filter((f) => f.endsWith(".spool"))).toHaveLength(1);
    } finally {
      busy.stop();
      if (agent.exitCode === null) agent.kill("SIGKILL");
    }
  });
});
