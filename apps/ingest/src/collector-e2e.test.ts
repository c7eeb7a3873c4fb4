/**
 * The collector (@perforator/collector's built CLI) end to end against this ingest (dist/main.js, embedded store):
 * `record --upload`, `upload` of every format, and `perforator agent` through discovery, an outage with a restart, a
 * full spool and a revoked token. Counts are read back through the ingest's read API. Needs root (the eBPF sampler),
 * the built collector and Python 3.12.1; vitest.config.ts runs this file alone, after the other tests.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CLI,
  freePort,
  python,
  runCli,
  startWorkload,
  tmp,
  WORKLOADS,
  type Workload,
} from "@perforator/collector/testing";
import { parsePprof, parseProfile, serializeProfile, toFolded } from "@perforator/profile";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningIngest, startIngest } from "./test-utils/real-ingest.js";

const PY = python("3.12.1");

interface Agent {
  proc: ChildProcess;
  log(): string;
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  stop(): Promise<{ code: number | null; ms: number }>;
}

function startAgent(args: string[]): Agent {
  const proc = spawn(process.execPath, [CLI, "agent", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  proc.stderr!.on("data", (d: Buffer) => {
    log += d.toString();
  });
  proc.stdout!.on("data", (d: Buffer) => {
    log += d.toString();
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  return {
    proc,
    log: () => log,
    async waitFor(re, ms = 30_000) {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        const m = re.exec(log);
        if (m) return m;
        if (proc.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`agent log did not show ${re} in ${ms} ms (exit ${proc.exitCode}):\n${log}`);
    },
    async stop() {
      const t0 = Date.now();
      if (proc.exitCode === null) proc.kill("SIGTERM");
      const code = await exited;
      return { code, ms: Date.now() - t0 };
    },
  };
}

/** `agent` flags profiling the busy workload as SERVICE into SPOOL. */
const pidAgentArgs = (o: {
  url: string;
  token: string;
  pid: number;
  service: string;
  interval: string;
  spool: string;
}) => [
  "--url",
  o.url,
  "--token",
  o.token,
  "--pid",
  String(o.pid),
  "--interval",
  o.interval,
  "--service",
  o.service,
  "--spool-dir",
  o.spool,
];

/** Profiles of SERVICE the agent says it spooled (`… spooled N profile(s): SERVICE (pid P, …), …`). */
const spooledCount = (log: string, service: string) =>
  [...log.matchAll(/interval \d+ \([^)]*\): spooled \d+ profile\(s\): (.*);/g)].reduce(
    (n, m) => n + m[1]!.split(`${service} (pid `).length - 1,
    0,
  );

async function eventually<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  let v = await f();
  while (!ok(v) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    v = await f();
  }
  return v;
}

describe("the collector against the real ingest", () => {
  let ingest: RunningIngest;
  let busy: Workload;
  beforeAll(async () => {
    ingest = await startIngest();
    busy = await startWorkload(PY, [join(WORKLOADS, "ratio.py")]);
  });
  afterAll(async () => {
    busy?.stop();
    await ingest?.stop();
  });

  it("record --upload (URL and token from the environment) prints a link to the stored profile", async () => {
    const saved = { url: process.env.PERFORATOR_URL, token: process.env.PERFORATOR_TOKEN };
    process.env.PERFORATOR_URL = ingest.url;
    process.env.PERFORATOR_TOKEN = ingest.token;
    let r: Awaited<ReturnType<typeof runCli>>;
    try {
      r = await runCli(["record", "-p", String(busy.pid), "-d", "2s", "--upload", "--label", "env=e2e"]);
    } finally {
      for (const [k, v] of [
        ["PERFORATOR_URL", saved.url],
        ["PERFORATOR_TOKEN", saved.token],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect(r.code, r.stderr).toBe(0);
    const link = r.stdout.trim();
    expect(link).toMatch(/^https?:\/\/\S+\/p\/[^/\s]+$/);
    const id = link.slice(link.lastIndexOf("/") + 1);
    expect(r.stderr).toContain(`uploaded as service python3: profile ${id}`);
    expect(await ingest.listIds({ service: "python3", label: "env:e2e" })).toEqual([id]);
    const res = await ingest.download(id, "json");
    expect(res.status).toBe(200);
    const p = parseProfile(await res.text());
    expect(p.frames.some((f) => f.kind === "python" && f.name === "Worker.spin")).toBe(true);
    expect(existsSync(join(tmp(), "perforator.html"))).toBe(false);
  });

  it("record --upload that cannot reach the ingest keeps the profile and prints the command that uploads it", async () => {
    const cwd = tmp();
    const deadPort = await freePort();
    const r = await runCli(
      [
        "record",
        "-p",
        String(busy.pid),
        "-d",
        "3s",
        "--upload",
        "--url",
        `http://127.0.0.1:${deadPort}`,
        "--token",
        ingest.token,
        "--service",
        "e2e-retry",
      ],
      { cwd },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/upload failed: cannot reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
    const file = /the profile is kept in (\S+)/.exec(r.stderr)![1]!;
    expect(file.startsWith(cwd)).toBe(true);
    expect(parsePprof(readFileSync(file)).samples.length).toBeGreaterThan(0);
    const retry = /to retry: (perforator upload .*)/.exec(r.stderr)![1]!;
    expect(retry).toContain("--service e2e-retry");
    // the printed command, run as printed (with the live URL instead of the dead one), uploads it once
    const words = retry.split(" ").slice(2);
    words[words.indexOf("--url") + 1] = ingest.url;
    const again = await runCli(["upload", ...words, "--token", ingest.token]);
    expect(again.code, again.stderr).toBe(0);
    const twice = await runCli(["upload", ...words, "--token", ingest.token]); // same idempotency key
    expect(twice.stdout).toBe(again.stdout);
    expect(await ingest.listIds({ service: "e2e-retry" })).toHaveLength(1);
  });

  it("upload sends pprof, folded, .cpuprofile and perforator JSON files, one link each; a bad file fails alone", async () => {
    const dir = tmp();
    const rec = await runCli(["record", "-p", String(busy.pid), "-d", "3s", "-f", "pprof", "-o", join(dir, "a.pb.gz")]);
    expect(rec.code, rec.stderr).toBe(0);
    const p = parsePprof(readFileSync(join(dir, "a.pb.gz")));
    writeFileSync(join(dir, "b.folded"), toFolded(p, { valueIndex: 0 }));
    writeFileSync(join(dir, "c.json"), serializeProfile(p));
    execFileSync(process.execPath, [
      "--cpu-prof",
      "--cpu-prof-dir",
      dir,
      "--cpu-prof-name",
      "d.cpuprofile",
      "-e",
      "let x=0; for (let i=0;i<3e7;i++) x+=i%7",
    ]);
    writeFileSync(join(dir, "e.folded"), "this is not a profile\n\u0000\u0001");
    const files = ["a.pb.gz", "b.folded", "c.json", "d.cpuprofile", "e.folded"].map((f) => join(dir, f));
    const r = await runCli([
      "upload",
      ...files,
      "--url",
      ingest.url,
      "--token",
      ingest.token,
      "--service",
      "e2e-formats",
    ]);
    expect(r.code).toBe(1);
    const links = r.stdout.trim().split("\n");
    expect(links).toHaveLength(4);
    expect(r.stderr).toMatch(/e\.folded/);
    const ids = links.map((l) => l.slice(l.lastIndexOf("/") + 1));
    expect((await ingest.listIds({ service: "e2e-formats" })).sort()).toEqual([...ids].sort());
    for (const id of ids) expect((await ingest.download(id, "json")).status).toBe(200);
  });

  it("agent --python picks up a Python process started after it, labelled host, pid, process name and service", async () => {
    const spool = mkdtempSync(join(tmpdir(), "perforator-spool-"));
    const agent = startAgent([
      "--url",
      ingest.url,
      "--token",
      ingest.token,
      "--python",
      "--interval",
      "2s",
      "--spool-dir",
      spool,
      "--label",
      "run=discovery",
    ]);
    let late: Workload | undefined;
    try {
      await agent.waitFor(/profiling every CPython process/);
      await new Promise((r) => setTimeout(r, 1500));
      const t0 = Date.now();
      late = await startWorkload(PY, [join(WORKLOADS, "ratio.py")]);
      const ids = await eventually(
        () => ingest.listIds({ label: [`pid:${late!.pid}`, "run:discovery"] }),
        (v) => v.length > 0,
        20_000,
      );
      expect(ids.length).toBeGreaterThan(0);
      const firstSeenMs = Date.now() - t0;
      expect(firstSeenMs).toBeLessThan(15_000); // discovery every 2 s + one 2 s interval + delivery, on a loaded machine
      const hostLabel = (
        await ingest.listIds({
          label: [
            `pid:${late.pid}`,
            `host:${(await import("node:os")).hostname()}`,
            "service:python3",
            "process_name:python3",
          ],
        })
      ).length;
      expect(hostLabel).toBeGreaterThan(0);
    } finally {
      late?.stop();
      const s = await agent.stop();
      expect(s.code, agent.log()).toBe(0);
    }
  });

  it("agent -a --once uploads one profile per process that ran, prints their links and exits", async () => {
    const spool = mkdtempSync(join(tmpdir(), "perforator-spool-"));
    const r = await runCli([
      "agent",
      "--url",
      ingest.url,
      "--token",
      ingest.token,
      "-a",
      "--once",
      "--interval",
      "2s",
      "--label",
      "run=whole",
      "--spool-dir",
      spool,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const links = r.stdout.trim().split("\n");
    const ids = await ingest.listIds({ label: "run:whole" });
    expect(ids.sort()).toEqual(links.map((l) => l.slice(l.lastIndexOf("/") + 1)).sort());
    expect(await ingest.listIds({ label: ["run:whole", `pid:${busy.pid}`] })).toHaveLength(1);
    expect(readdirSync(spool).filter((f) => f.endsWith(".spool"))).toHaveLength(0);
  });

  it("agent --pid follows the target when it restarts under a new pid", async () => {
    const spool = mkdtempSync(join(tmpdir(), "perforator-spool-"));
    const service = "e2e-follow";
    const args = [join(WORKLOADS, "ratio.py"), "3600"]; // not the command line of the shared busy workload
    const first = await startWorkload(PY, args);
    const agent = startAgent(
      pidAgentArgs({ url: ingest.url, token: ingest.token, pid: first.pid, service, interval: "2s", spool }),
    );
    let second: Workload | undefined;
    try {
      await agent.waitFor(/delivered e2e-follow/);
      first.stop();
      await agent.waitFor(new RegExp(`target python3 \\(pid ${first.pid}\\) exited`), 15_000);
      second = await startWorkload(PY, args);
      await agent.waitFor(new RegExp(`restarted as pid ${second.pid}`), 15_000);
      const ids = await eventually(
        () => ingest.listIds({ service, label: `pid:${second!.pid}` }),
        (v) => v.length > 0,
        20_000,
      );
      expect(ids.length).toBeGreaterThan(0);
      expect((await ingest.listIds({ service, label: `pid:${first.pid}` })).length).toBeGreaterThan(0);
    } finally {
      second?.stop();
      const s = await agent.stop();
      expect(s.code, agent.log()).toBe(0);
    }
  });

  it("an ingest outage of several intervals and an agent restart in the middle: every interval arrives exactly once", async () => {
    const spool = mkdtempSync(join(tmpdir(), "perforator-spool-"));
    const service = "e2e-outage";
    const args = pidAgentArgs({ url: ingest.url, token: ingest.token, pid: busy.pid, service, interval: "2s", spool });
    const first = startAgent(args);
    await first.waitFor(/delivered e2e-outage[\s\S]*delivered e2e-outage/); // two intervals delivered
    await ingest.stop();
    await first.waitFor(/upload failed \(cannot reach/, 15_000);
    await new Promise((r) => setTimeout(r, 4000)); // more intervals pile up
    const stopped = await first.stop(); // SIGTERM: the current interval is handed over and spooled
    expect(stopped.code, first.log()).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
    expect(first.log()).toMatch(/profile\(s\) not delivered yet: kept in/);
    const kept = readdirSync(spool).filter((f) => f.endsWith(".spool")).length;
    expect(kept).toBeGreaterThanOrEqual(3);

    const second = startAgent(args);
    await second.waitFor(new RegExp(`${kept} profile\\(s\\) from an earlier run`));
    await second.waitFor(/interval 2 /); // two more intervals while the ingest is still down
    await ingest.start();
    await second.waitFor(/ingest .* answers again/, 30_000);
    await eventually(
      async () => readdirSync(spool).filter((f) => f.endsWith(".spool")).length,
      (n) => n === 0,
      30_000,
    );
    const s2 = await second.stop();
    expect(s2.code, second.log()).toBe(0);
    const made = spooledCount(first.log(), service) + spooledCount(second.log(), service);
    const ids = await ingest.listIds({ service });
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(made);
    expect(readdirSync(join(spool, "rejected")).length).toBe(0);
  });

  it("a full spool drops the oldest profiles and says how many", async () => {
    const spool = mkdtempSync(join(tmpdir(), "perforator-spool-"));
    const dead = `http://127.0.0.1:${await freePort()}`;
    const agent = startAgent([
      ...pidAgentArgs({ url: dead, token: "x", pid: busy.pid, service: "e2e-full", interval: "1s", spool }),
      "--spool-max",
      "6KB",
    ]);
    try {
      const m = await agent.waitFor(
        /over its limit of 6\.0 KB: dropped the (\d+) oldest profiles? \([\d.]+ KB; (\d+) dropped since start\)/,
        30_000,
      );
      expect(Number(m[2])).toBeGreaterThan(0);
      const files = readdirSync(spool).filter((f) => f.endsWith(".spool"));
      const bytes = files.reduce((a, f) => a + readFileSync(join(spool, f)).length, 0);
      expect(bytes).toBeLessThanOrEqual(6 * 1024);
      expect(files.length).toBeGreaterThan(0);
    } finally {
      await agent.stop();
    }
  });

  it("a revoked token stops retries with one clear log line; the profiles stay for a restart with a valid token", async () => {
    const created = await ingest.admin([
      "token",
      "create",
      "--team",
      "default",
      "--scope",
      "ingest",
      "--name",
      "e2e-revoke",
    ]);
    const token = created.trim().split("\n").at(-1)!.trim();
    const id = /\(id ([^)\s]+)\)/.exec(created)![1]!;
    const spool = mkdtempSync(join(tmpdir(), "perforator-spool-"));
    const service = "e2e-revoked";
    const agent = startAgent(pidAgentArgs({ url: ingest.url, token, pid: busy.pid, service, interval: "2s", spool }));
    try {
      await agent.waitFor(/delivered e2e-revoked/);
      await ingest.admin(["token", "revoke", id]);
      await agent.waitFor(/upload refused: 401[^\n]*uploads stopped \(no retries\)/, 20_000);
      const before = await ingest.listIds({ service });
      await new Promise((r) => setTimeout(r, 5000)); // more intervals: spooled, not sent
      expect(agent.log().match(/upload refused/g)).toHaveLength(1);
      expect(readdirSync(join(spool, "rejected")).filter((f) => f.endsWith(".spool"))).toHaveLength(1);
      expect(readdirSync(spool).filter((f) => f.endsWith(".spool")).length).toBeGreaterThanOrEqual(2);
      expect(await ingest.listIds({ service })).toEqual(before);
    } finally {
      const s = await agent.stop();
      expect(s.code).toBe(1); // a refused token is an error for the service manager
    }
    // restarted with a valid token, it delivers what waited
    const waiting = readdirSync(spool).filter((f) => f.endsWith(".spool")).length;
    const once = await runCli([
      "agent",
      ...pidAgentArgs({ url: ingest.url, token: ingest.token, pid: busy.pid, service, interval: "1s", spool }),
      "--once",
    ]);
    expect(once.code, once.stderr).toBe(0);
    expect(once.stdout.trim().split("\n")).toHaveLength(waiting + 1);
  });
});
