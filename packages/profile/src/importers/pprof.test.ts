import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { gzipSync } from "fflate";
import {
  Label,
  Line,
  Location,
  Mapping,
  Function as PFunction,
  Profile as PProfile,
  Sample,
  StringTable,
  ValueType,
} from "pprof-format";
import { describe, expect, it } from "vitest";
import { toPprof } from "../exporters/pprof.js";
import { type Profile, ProfileBuilder, totalValue } from "../model.js";
import { arbProfile, canonical } from "../test-utils/arb.js";
import { parsePprof } from "./pprof.js";

/**
 * A profile laid out the way other tools write them: leaf-first location ids, an inlined
 * location (two lines, innermost first), a kernel mapping, an address-only location, and
 * string + numeric labels. Gzipped like `.pb.gz`.
 */
function fixture(): Uint8Array {
  const st = new StringTable();
  const s = (x: string) => st.dedup(x);
  const fn = (id: number, name: string, file: string) =>
    new PFunction({ id, name: s(name), systemName: s(name), filename: s(file) });
  const prof = new PProfile({
    sampleType: [
      new ValueType({ type: s("samples"), unit: s("count") }),
      new ValueType({ type: s("cpu"), unit: s("nanoseconds") }),
    ],
    mapping: [
      new Mapping({ id: 1, memoryStart: 0x400000, memoryLimit: 0x800000, filename: s("/usr/bin/python3.12") }),
      new Mapping({ id: 2, filename: s("[kernel.kallsyms]") }),
      new Mapping({ id: 3, memoryStart: 0x7f0000000000, fileOffset: 0x1000, filename: s("/usr/lib/libc.so.6") }),
    ],
    function: [
      fn(1, "<module>", "/srv/server.py"),
      fn(2, "UserIDSearchHandler.do_GET", "/srv/server.py"),
      fn(3, "search_user", "/srv/server.py"),
      fn(4, "PyObject_RichCompare", "Objects/object.c"),
      fn(5, "do_syscall_64", ""),
      fn(6, "long_richcompare", "Objects/longobject.c"),
    ],
    location: [
      new Location({ id: 1, line: [new Line({ functionId: 1, line: 58 })] }),
      new Location({ id: 2, line: [new Line({ functionId: 2, line: 33 })] }),
      new Location({ id: 3, line: [new Line({ functionId: 3, line: 22 })] }),
      // inlined: long_richcompare inlined into PyObject_RichCompare (innermost first)
      new Location({
        id: 4,
        mappingId: 1,
        address: 0x401234,
        line: [new Line({ functionId: 6, line: 3020 }), new Line({ functionId: 4, line: 790 })],
      }),
      new Location({ id: 5, mappingId: 2, line: [new Line({ functionId: 5, line: 0 })] }),
      new Location({ id: 6, mappingId: 3, address: 0x7f0000000abc }),
    ],
    sample: [
      new Sample({
        locationId: [4, 3, 2, 1],
        value: [7, 70_000_000],
        label: [new Label({ key: s("thread_name"), str: s("MainThread") }), new Label({ key: s("tid"), num: 4242 })],
      }),
      new Sample({ locationId: [5, 6, 1], value: [2, 20_000_000], label: [] }),
    ],
    stringTable: st,
    timeNanos: 1_700_000_000_000_000_000n,
    durationNanos: 60_000_000_000,
    periodType: new ValueType({ type: s("cpu"), unit: s("nanoseconds") }),
    period: 10_101_010,
    comment: [s("hostname=web-1")],
    defaultSampleType: s("cpu"),
  });
  return gzipSync(prof.encode());
}

describe("parsePprof", () => {
  it("reads a gzipped pprof written by another tool: root-first stacks, inlining, kinds, labels", () => {
    const p = parsePprof(fixture());
    expect(p.sampleTypes).toEqual([
      { type: "samples", unit: "count" },
      { type: "cpu", unit: "nanoseconds" },
    ]);
    expect(p.defaultSampleType).toBe(1);
    expect(totalValue(p)).toBe(90_000_000);
    expect(p.period).toBe(10_101_010);
    expect(p.durationNanos).toBe(60_000_000_000);
    expect(p.timeNanos).toBeCloseTo(1.7e18, -6);
    expect(p.meta.hostname).toBe("web-1");
    const s0 = p.samples[0]!;
    expect(s0.stack.map((i) => p.frames[i]!.name)).toEqual([
      "<module>",
      "UserIDSearchHandler.do_GET",
      "search_user",
      "PyObject_RichCompare",
      "long_richcompare",
    ]);
    expect(p.frames[s0.stack[2]!]).toEqual({
      name: "search_user",
      file: "/srv/server.py",
      line: 22,
      kind: "python",
      module: "",
    });
    expect(p.frames[s0.stack[4]!]).toMatchObject({ kind: "native", module: "/usr/bin/python3.12", line: 3020 });
    expect(s0.labels).toEqual({ thread_name: "MainThread", tid: "4242" });
    const s1 = p.samples[1]!;
    const names = s1.stack.map((i) => p.frames[i]!);
    expect(names[1]).toMatchObject({ name: "libc.so.6+0x1abc", kind: "native" });
    expect(names[2]).toMatchObject({ name: "do_syscall_64", kind: "kernel", module: "[kernel.kallsyms]" });
  });

  it("says what is wrong with bytes that are not pprof", () => {
    expect(() => parsePprof(new Uint8Array([0x1f, 0x8b, 1, 2, 3]))).toThrow(/gzip/);
    expect(() => parsePprof(new Uint8Array([0x0a, 0x50, 1]))).toThrow(/pprof/);
  });
});

describe("toPprof", () => {
  it("round-trips frames, values, labels and metadata through export → import", () => {
    fc.assert(
      fc.property(arbProfile(), (p) => {
        const back = parsePprof(toPprof(p));
        expect(canonical(back)).toEqual(canonical(p));
        expect(back.sampleTypes).toEqual(p.sampleTypes);
        expect(back.defaultSampleType).toBe(p.defaultSampleType);
        expect(back.period).toBe(p.period);
        expect(back.durationNanos).toBe(p.durationNanos);
      }),
      { numRuns: 150 },
    );
  });

  it("is read by `go tool pprof -raw` and `-top` with Python functions, files and lines", () => {
    const b = new ProfileBuilder([{ type: "cpu", unit: "nanoseconds" }], {
      period: 10_101_010,
      periodType: { type: "cpu", unit: "nanoseconds" },
      durationNanos: 60e9,
      timeNanos: 1_700_000_000_000_000_000,
    });
    const py = (name: string, line: number) => ({
      name,
      file: "/srv/server.py",
      line,
      kind: "python" as const,
      module: "",
    });
    const kernel = { name: "do_sys_poll", file: "", line: 0, kind: "kernel" as const, module: "" };
    b.addFrames([py("<module>", 58), py("UserIDSearchHandler.do_GET", 33), py("search_user", 22)], [8e8], {
      tid: "77",
      thread_name: "MainThread",
    });
    b.addFrames([py("<module>", 58), py("run", 53), kernel], [2e8], { tid: "77", thread_name: "MainThread" });
    const p: Profile = b.build();
    const dir = mkdtempSync(join(tmpdir(), "pprof-go-"));
    const file = join(dir, "cpu.pb.gz");
    writeFileSync(file, toPprof(p));
    const env = { ...process.env, HOME: process.env.HOME ?? dir, GOFLAGS: "", PPROF_TMPDIR: dir };
    let raw: string;
    try {
      raw = execFileSync("go", ["tool", "pprof", "-raw", file], {
        encoding: "utf8",
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      throw new Error(`go tool pprof failed (is golang-go installed?): ${(e as Error).message}`);
    }
    expect(raw).toMatch(/PeriodType: cpu nanoseconds/);
    expect(raw).toMatch(/Period: 10101010/);
    // Each location prints "id: 0x0 M=.. function file:line"; lines survive.
    expect(raw).toMatch(/search_user \/srv\/server\.py:22/);
    expect(raw).toMatch(/UserIDSearchHandler\.do_GET \/srv\/server\.py:33/);
    expect(raw).toMatch(/do_sys_poll_\[k\]/);
    expect(raw).toMatch(/thread_name:\[MainThread\]/);
    expect(raw).toMatch(/tid:\[77\]/);
    const top = execFileSync("go", ["tool", "pprof", "-top", "-nodecount=10", file], {
      encoding: "utf8",
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // search_user: 800ms flat of 1000ms total; do_GET 800ms cumulative.
    expect(top).toMatch(/Total samples = 1000ms/);
    expect(top).toMatch(/800ms\s+80\.00%\s+80\.00%\s+800ms\s+80\.00%\s+search_user\n/);
    expect(top).toMatch(/0\s+0%\s+100%\s+800ms\s+80\.00%\s+UserIDSearchHandler\.do_GET\n/);
    // No "<unknown>": pprof must not demangle Python's "<module>" away.
    expect(top).toMatch(/1000ms\s+100%\s+<module>\n/);
    expect(raw).toMatch(/<module> \/srv\/server\.py:58/);
    expect(top).toMatch(/Duration: 60s/);
  });
});
