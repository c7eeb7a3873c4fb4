import { spawn } from "node:child_process";
import type { Profile } from "@perforator/profile";
import { describe, expect, it } from "vitest";
import type { RawStack } from "../sampler/types.js";
import type { SamplerFlush, SessionDeps } from "./deps.js";
import { record } from "./session.js";

/** A user-space sampler: every flush, one stack (count 1) per sampled pid; counts resolutions. */
function fakeDeps() {
  const pids = new Set<number>();
  let resolved = 0;
  let flushes = 0;
  const stack = (pid: number): RawStack => ({
    pid,
    tid: pid,
    threadName: "main",
    processName: `proc${pid}`,
    count: 1,
    kernel: [],
    user: [0xa0n, 0xb0n],
    python: [],
    pyStatus: 0,
  });
  const deps: SessionDeps = {
    startSampler: async () => ({
      addPid: (pid: number) => pids.add(pid),
      addPython: () => {},
      flush: (): SamplerFlush => {
        flushes++;
        return { stacks: [...pids].map(stack), lost: 0, drops: {} };
      },
      stop: () => {},
    }),
    detectPython: () => null,
    createStackResolver: () => ({
      resolve: (raw) => {
        resolved++;
        return raw.user.map((a) => ({ name: `fn_${a}`, file: "", line: 0, kind: "native" as const, module: "m" }));
      },
    }),
  };
  return {
    deps,
    pids,
    get resolved() {
      return resolved;
    },
    get flushes() {
      return flushes;
    },
  };
}

const total = (p: Profile) => p.samples.reduce((a, s) => a + s.values[0]!, 0);

describe("continuous recording (agent seam)", () => {
  it("hands over one profile per interval, each with its own window, and counts every sample once", async () => {
    const f = fakeDeps();
    const got: Profile[] = [];
    const ac = new AbortController();
    const done = record(
      {
        pids: [process.pid],
        wholeSystem: false,
        freqHz: 100,
        flushIntervalMs: 20,
        skipPrivilegeCheck: true,
        signal: ac.signal,
        intervals: { everyMs: 150, onProfile: (p) => got.push(p) },
      },
      f.deps,
    );
    await new Promise((r) => setTimeout(r, 520));
    ac.abort();
    const { profile } = await done;
    expect(got.length).toBe(4); // 3 full intervals and the one cut by the stop
    expect(got[3]).toBe(profile);
    for (let i = 1; i < got.length; i++) {
      // back to back (nanoseconds of this size are exact to ~256 ns in a double)
      expect(Math.abs(got[i]!.timeNanos - (got[i - 1]!.timeNanos + got[i - 1]!.durationNanos))).toBeLessThan(1000);
    }
    for (const p of got.slice(0, 3)) expect(p.durationNanos / 1e6).toBeGreaterThanOrEqual(150);
    expect(got.map(total).reduce((a, b) => a + b, 0)).toBe(f.flushes);
    for (const p of got.slice(0, 3)) expect(total(p)).toBeGreaterThan(0);
    // frames of each profile are its own (not a shared, growing table)
    for (const p of got) expect(p.frames.map((fr) => fr.name)).toEqual(["fn_160", "fn_176"]);
    // a stack seen in every interval is resolved once, not once per interval
    expect(f.resolved).toBe(1);
  });

  it("adds the pids discovery finds while recording, and goes on when targets exit", async () => {
    const f = fakeDeps();
    const child = spawn("sleep", ["30"]);
    const found: number[] = [];
    const ac = new AbortController();
    let calls = 0;
    const done = record(
      {
        pids: [],
        wholeSystem: false,
        freqHz: 100,
        flushIntervalMs: 20,
        skipPrivilegeCheck: true,
        signal: ac.signal,
        discover: {
          everyMs: 50,
          find: () => {
            calls++;
            return calls >= 3 && child.exitCode === null ? [child.pid!] : [];
          },
        },
      },
      f.deps,
    );
    await new Promise((r) => setTimeout(r, 300));
    found.push(...f.pids);
    child.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    ac.abort();
    const { stats, profile } = await done;
    expect(found).toEqual([child.pid]);
    expect(stats.stopReason).toBe("signal"); // not "targets-exited"
    expect(calls).toBeGreaterThanOrEqual(8);
    expect(profile.samples.some((s) => s.labels.pid === String(child.pid))).toBe(true);
  });
});
