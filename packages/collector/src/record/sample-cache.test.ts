import { type Frame, ProfileBuilder } from "@perforator/profile";
import { describe, expect, it } from "vitest";
import { processIdentity } from "../proc/index.js";
import type { RawStack } from "../sampler/types.js";
import type { SessionResolver } from "./deps.js";
import { rawStackKey, SampleCache } from "./sample-cache.js";

function raw(pid: number, user: bigint[], count = 1, tid = pid): RawStack {
  return {
    pid,
    tid,
    threadName: "main",
    processName: "app",
    count,
    kernel: [],
    user,
    python: [],
    pyStatus: 0,
  };
}

/** A resolver whose answers depend on a per-pid "library version", like a process that dlopen()s or exec()s. */
function fakeResolver() {
  const version = new Map<number, number>();
  const calls: number[] = [];
  const forgotten: number[] = [];
  const r: SessionResolver = {
    resolve: (s: RawStack): Frame[] => {
      calls.push(s.pid);
      const v = version.get(s.pid) ?? 0;
      return s.user.map((a) => ({ name: `f${a}_v${v}`, file: "", line: 0, kind: "native", module: "lib" }));
    },
    generation: (pid) => version.get(pid) ?? 0,
    forget: (pid) => {
      forgotten.push(pid);
    },
  };
  return { r, version, calls, forgotten };
}

function profileOf(b: ProfileBuilder) {
  const p = b.build();
  return p.samples
    .map((s) => `${s.labels.pid} ${s.stack.map((i) => p.frames[i]!.name).join(";")} ${s.values[0]}`)
    .sort();
}

const newBuilder = () => new ProfileBuilder([{ type: "samples", unit: "count" }]);

describe("SampleCache", () => {
  it("resolves a stack once and adds the counts of later flushes to it", () => {
    const b = newBuilder();
    const f = fakeResolver();
    const cache = new SampleCache(b, f.r, (n) => [n], { identity: () => "same" });
    const s = raw(10, [1n, 2n]);
    for (let flush = 0; flush < 5; flush++) {
      cache.add({ ...s, count: 3 }, rawStackKey(s), f.r.resolve);
      cache.endFlush();
    }
    cache.finish();
    expect(f.calls).toEqual([10]);
    expect(profileOf(b)).toEqual(["10 f1_v0;f2_v0 15"]);
  });

  it("resolves again after the process's mappings changed, keeping the counts taken before", () => {
    const b = newBuilder();
    const f = fakeResolver();
    const cache = new SampleCache(b, f.r, (n) => [n], { identity: () => "same" });
    const s = raw(10, [1n]);
    cache.add(s, rawStackKey(s), f.r.resolve);
    cache.add(s, rawStackKey(s), f.r.resolve);
    f.version.set(10, 1); // e.g. a dlopen: the same address now names another function
    cache.add(s, rawStackKey(s), f.r.resolve);
    cache.finish();
    expect(f.calls).toEqual([10, 10]);
    expect(profileOf(b)).toEqual(["10 f1_v0 2", "10 f1_v1 1"]);
  });

  it("forgets a pid that now belongs to another process (start time changed) but not other pids", () => {
    const b = newBuilder();
    const f = fakeResolver();
    const ids = new Map([
      [10, "start=100"],
      [11, "start=50"],
    ]);
    const cache = new SampleCache(b, f.r, (n) => [n], { identity: (pid) => ids.get(pid) });
    const a = raw(10, [1n]);
    const other = raw(11, [1n]);
    cache.add(a, rawStackKey(a), f.r.resolve);
    cache.add(other, rawStackKey(other), f.r.resolve);
    cache.endFlush();
    // pid 10 exits and the id is reused: its new stacks are resolved by a fresh resolver state.
    ids.set(10, "start=900");
    f.version.set(10, 7);
    const fresh = raw(10, [2n]);
    cache.add(fresh, rawStackKey(fresh), f.r.resolve);
    cache.add(a, rawStackKey(a), f.r.resolve);
    cache.add(other, rawStackKey(other), f.r.resolve);
    cache.finish();
    expect(f.forgotten).toEqual([10]);
    expect(profileOf(b)).toEqual(["10 f1_v0 1", "10 f1_v7 1", "10 f2_v7 1", "11 f1_v0 2"]);
  });

  it("checks a process's identity once per flush, and only when a stack is not cached", () => {
    const b = newBuilder();
    const f = fakeResolver();
    let checks = 0;
    const cache = new SampleCache(b, f.r, (n) => [n], {
      identity: () => {
        checks++;
        return "same";
      },
    });
    for (let flush = 0; flush < 3; flush++) {
      for (let i = 0; i < 4; i++) {
        const s = raw(10, [BigInt(flush * 10 + i)]);
        cache.add(s, rawStackKey(s), f.r.resolve);
      }
      cache.endFlush();
    }
    const old = raw(10, [0n]);
    cache.add(old, rawStackKey(old), f.r.resolve);
    expect(checks).toBe(3);
  });

  it("invalidate() keeps the counts so far and resolves the pid's stacks again (Python found later)", () => {
    const b = newBuilder();
    const f = fakeResolver();
    const cache = new SampleCache(b, f.r, (n) => [n], { identity: () => "same" });
    const s = raw(10, [5n], 2);
    cache.add(s, rawStackKey(s), f.r.resolve);
    cache.invalidate(10);
    expect(cache.size).toBe(0);
    cache.add(s, rawStackKey(s), f.r.resolve);
    cache.finish();
    expect(f.calls).toEqual([10, 10]);
    expect(profileOf(b)).toEqual(["10 f5_v0 4"]);
  });

  it("does not cache a stack whose resolution failed", () => {
    const b = newBuilder();
    const cache = new SampleCache(b, { resolve: () => [] }, (n) => [n], { identity: () => undefined });
    const s = raw(10, [5n]);
    const failing = () => {
      throw new Error("gone");
    };
    expect(() => cache.add(s, rawStackKey(s), failing)).toThrow("gone");
    expect(cache.size).toBe(0);
  });

  it("keys tell apart stacks that differ in any field but the count", () => {
    const s = raw(10, [1n, 2n]);
    const variants: RawStack[] = [
      { ...s, tid: 11 },
      { ...s, threadName: "worker" },
      { ...s, user: [1n, 3n] },
      { ...s, kernel: [1n] },
      { ...s, pyStatus: 5 },
      { ...s, python: [{ codeAddr: 0x10n, instrOffset: 4, guard: 1, flags: 0 }] },
      { ...s, python: [{ codeAddr: 0x10n, instrOffset: 4, guard: 2, flags: 0 }] },
    ];
    const keys = new Set([s, ...variants].map(rawStackKey));
    expect(keys.size).toBe(variants.length + 1);
    expect(rawStackKey({ ...s, count: 99 })).toBe(rawStackKey(s));
  });

  it("identifies a live process by start time and executable, and gives undefined for a missing one", () => {
    const me = processIdentity(process.pid);
    expect(me).toMatch(/^\d+:\/.*node/);
    expect(processIdentity(process.pid)).toBe(me);
    expect(processIdentity(2 ** 22 + 1)).toBeUndefined();
  });
});
