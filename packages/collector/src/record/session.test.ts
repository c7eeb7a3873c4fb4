import { spawn } from "node:child_process";
import type { Frame } from "@perforator/profile";
import { describe, expect, it } from "vitest";
import { CliError } from "../errors.js";
import { processAlive } from "../proc/index.js";
import type { PythonDetection } from "../python/detect.js";
import type { RawStack } from "../sampler/types.js";
import type { SamplerFlush, SessionDeps } from "./deps.js";
import { flushIntervalAt } from "./flush-loop.js";
import { record } from "./session.js";

/**
 * A user-space stand-in for the eBPF sampler: it hands out scripted stacks for the pids it was
 * asked to sample, so the session's own logic (accumulation, labels, stop conditions, Python
 * detection, failures) is tested without the kernel. The e2e tests cover the real sampler.
 */
function fakeDeps(opts: {
  perFlush: (pids: Set<number>, flushNo: number) => RawStack[];
  python?: (pid: number) => PythonDetection;
  resolve?: (raw: RawStack) => Frame[];
  lostPerFlush?: number;
}) {
  const pids = new Set<number>();
  const pythonAdded: number[] = [];
  let flushes = 0;
  let stopped = false;
  const deps: SessionDeps = {
    startSampler: async (o) => {
      for (const p of o.pids ?? []) pids.add(p);
      return {
        addPid: (pid: number) => pids.add(pid),
        addPython: (pid: number) => {
          pids.add(pid);
          pythonAdded.push(pid);
        },
        flush: (): SamplerFlush => ({
          stacks: opts.perFlush(pids, flushes++),
          lost: opts.lostPerFlush ?? 0,
          drops: {},
        }),
        stop: () => {
          stopped = true;
        },
      };
    },
    detectPython: (pid) => (opts.python ? opts.python(pid) : null),
    createStackResolver: () => ({
      resolve:
        opts.resolve ??
        ((raw) =>
          raw.user
            .slice()
            .reverse()
            .map((a) => ({ name: `fn_${a.toString(16)}`, file: "", line: 0, kind: "native" as const, module: "app" }))),
    }),
  };
  return {
    deps,
    pids,
    pythonAdded,
    get flushes() {
      return flushes;
    },
    get stopped() {
      return stopped;
    },
  };
}

const stack = (pid: number, tid: number, user: bigint[], count = 1): RawStack => ({
  pid,
  tid,
  threadName: `t${tid}`,
  processName: "proc",
  count,
  kernel: [],
  user,
  python: [],
  pyStatus: 0,
});

const self = process.pid;

describe("record session", () => {
  it("accumulates resolved stacks with pid/tid/thread labels and cpu = count × period", async () => {
    const f = fakeDeps({
      perFlush: (pids) => [...pids].flatMap((p) => [stack(p, p, [0xb0n, 0xa0n], 2), stack(p, p + 1, [0xc0n])]),
    });
    const { profile, stats } = await record(
      { pids: [self], wholeSystem: false, freqHz: 100, durationMs: 120, flushIntervalMs: 20, skipPrivilegeCheck: true },
      f.deps,
    );
    expect(f.stopped).toBe(true);
    expect(profile.sampleTypes).toEqual([
      { type: "samples", unit: "count" },
      { type: "cpu", unit: "nanoseconds" },
    ]);
    expect(profile.period).toBe(1e7);
    const byTid = new Map<string, number[]>();
    for (const s of profile.samples) byTid.set(s.labels.tid!, s.values as number[]);
    const flushes = f.flushes;
    expect(flushes).toBeGreaterThanOrEqual(3);
    expect(byTid.get(String(self))).toEqual([2 * flushes, 2 * flushes * 1e7]);
    expect(byTid.get(String(self + 1))).toEqual([flushes, flushes * 1e7]);
    const s0 = profile.samples.find((s) => s.labels.tid === String(self))!;
    expect(s0.labels).toMatchObject({ pid: String(self), thread_name: `t${self}`, process_name: "proc" });
    expect(s0.stack.map((i) => profile.frames[i]!.name)).toEqual(["fn_a0", "fn_b0"]);
    expect(stats.samples).toBe(3 * flushes);
    expect(stats.threads.size).toBe(2);
    expect(stats.stopReason).toBe("duration");
    expect(profile.durationNanos).toBeGreaterThanOrEqual(120e6);
  });

  it("stops on the sampler's exit notice, without waiting for a flush or polling /proc", async () => {
    const child = spawn("sleep", ["0.05"]);
    const pid = child.pid!;
    const f = fakeDeps({ perFlush: () => [] });
    let listener: ((pid: number) => void) | undefined;
    const deps: SessionDeps = {
      ...f.deps,
      startSampler: async (o) => {
        const s = await f.deps.startSampler(o);
        return {
          ...s,
          watchExits: (l: (pid: number) => void) => {
            listener = l;
            return true;
          },
        };
      },
    };
    child.once("exit", () => setTimeout(() => listener?.(pid), 20)); // the notice comes once the process is gone
    // Flushes are a minute apart, so only the notice can end this recording before the test times out.
    const { stats } = await record(
      { pids: [pid], wholeSystem: false, freqHz: 99, flushIntervalMs: 60_000, skipPrivilegeCheck: true },
      deps,
    );
    expect(stats.stopReason).toBe("targets-exited");
    // Polling would have noticed at its first check, a second in; the notice ends it right after the exit.
    expect(stats.durationMs).toBeLessThan(900);
    expect(f.stopped).toBe(true);
  });

  it("stops when every target exits and keeps the samples taken while it ran", async () => {
    const child = spawn("sleep", ["0.3"]);
    const pid = child.pid!;
    let resolvedAfterDeath = 0;
    const f = fakeDeps({
      perFlush: (pids) =>
        pids.has(pid) && processAlive(pid) ? [stack(pid, pid, [0x10n])] : [stack(pid, pid, [0x20n])],
      resolve: (raw) => {
        if (!processAlive(raw.pid)) {
          resolvedAfterDeath++;
          throw new Error(`/proc/${raw.pid}/maps: ENOENT`);
        }
        return [{ name: "sleeping", file: "", line: 0, kind: "native", module: "sleep" }];
      },
    });
    const { profile, stats } = await record(
      { pids: [pid], wholeSystem: false, freqHz: 99, flushIntervalMs: 50, skipPrivilegeCheck: true },
      f.deps,
    );
    expect(stats.stopReason).toBe("targets-exited");
    const names = profile.samples.map((s) => s.stack.map((i) => profile.frames[i]!.name).join(";"));
    expect(names).toContain("sleeping");
    // Stacks flushed after the process died fall back to raw addresses instead of being dropped.
    expect(resolvedAfterDeath).toBeGreaterThan(0);
    expect(names).toContain("0x20");
    expect(stats.unresolved).toBe(resolvedAfterDeath);
  });

  it("enables Python walking for supported interpreters and warns once per unsupported version", async () => {
    const child = spawn("sleep", ["5"]);
    const warnings: string[] = [];
    try {
      const f = fakeDeps({
        perFlush: () => [],
        python: (pid) =>
          pid === self
            ? { version: "3.12.1", libPath: "/x/libpython3.12.so", runtimeAddr: 1n, bpfConfig: { versionHex: 1 } }
            : { unsupported: "3.10.13" },
      });
      const { stats, profile } = await record(
        {
          pids: [self, child.pid!],
          wholeSystem: false,
          freqHz: 99,
          durationMs: 60,
          flushIntervalMs: 20,
          skipPrivilegeCheck: true,
          warn: (m) => warnings.push(m),
        },
        f.deps,
      );
      expect(f.pythonAdded).toEqual([self]);
      expect([...stats.pythons]).toEqual([[self, "3.12.1"]]);
      expect(profile.meta.python_versions).toBe("3.12.1");
      expect(warnings.filter((w) => w.includes("3.10.13"))).toHaveLength(1);
      expect(warnings[0]).toMatch(/not supported.*native frames/);
    } finally {
      child.kill();
    }
  });

  it("refuses a pid that does not exist with exit code 2", async () => {
    const f = fakeDeps({ perFlush: () => [] });
    const err = await record(
      { pids: [4_000_000], wholeSystem: false, freqHz: 99, durationMs: 10, skipPrivilegeCheck: true },
      f.deps,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    expect((err as CliError).message).toMatch(/no process with PID 4000000/);
  });

  it("launches a command, stops when it exits and reports its exit code", async () => {
    const f = fakeDeps({ perFlush: (pids) => [...pids].map((p) => stack(p, p, [0x1n])) });
    const { stats } = await record(
      {
        pids: [],
        wholeSystem: false,
        freqHz: 99,
        command: ["sh", "-c", "sleep 0.2; exit 7"],
        flushIntervalMs: 50,
        skipPrivilegeCheck: true,
      },
      f.deps,
    );
    expect(stats.stopReason).toBe("command-exited");
    expect(stats.child?.code).toBe(7);
    expect(stats.samples).toBeGreaterThan(0);
  });

  it("returns what was collected when aborted (Ctrl-C)", async () => {
    const ac = new AbortController();
    const f = fakeDeps({ perFlush: () => [stack(self, self, [0x1n])] });
    setTimeout(() => ac.abort(), 80);
    const { stats } = await record(
      {
        pids: [self],
        wholeSystem: false,
        freqHz: 99,
        flushIntervalMs: 20,
        signal: ac.signal,
        skipPrivilegeCheck: true,
      },
      f.deps,
    );
    expect(stats.stopReason).toBe("signal");
    expect(stats.samples).toBeGreaterThan(0);
    expect(f.stopped).toBe(true);
  });
});

describe("flushIntervalAt", () => {
  it("flushes every 200 ms for 3 s, every second until 10 s, then at the steady interval", () => {
    expect([0, 2999, 3000, 9999, 10_000, 3_600_000].map((t) => flushIntervalAt(t, 5000))).toEqual([
      200, 200, 1000, 1000, 5000, 5000,
    ]);
    // An explicit shorter interval is never exceeded.
    expect([0, 5000, 60_000].map((t) => flushIntervalAt(t, 50))).toEqual([50, 50, 50]);
    expect([0, 5000, 60_000].map((t) => flushIntervalAt(t, 1000))).toEqual([200, 1000, 1000]);
  });
});
