import fc from "fast-check";
import { gzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { toPprof } from "../exporters/pprof.js";
import { type Profile, ProfileBuilder } from "../model.js";
import { arbProfile } from "../test-utils/arb.js";
import {
  encodeWire,
  encodeWithPprofFormat,
  hasEmptyMessage,
  type Int,
  type RawPprof,
} from "../test-utils/pprof-wire.js";
import { parsePprof, scanPprof } from "./pprof.js";
import { parsePprofWithPprofFormat } from "./pprof-oracle.js";
import { decodePprofMessage, scanPprofMessage } from "./pprof-reader.js";

/** The new decoder's profile equals the former importer's: same values, same key order, same label sharing. */
function expectSameAsOracle(bytes: Uint8Array): Profile {
  const got = parsePprof(bytes);
  const want = parsePprofWithPprofFormat(bytes);
  expect(got).toEqual(want);
  expect(JSON.stringify(got)).toBe(JSON.stringify(want));
  for (let i = 0; i < got.samples.length; i++) {
    expect(Object.isFrozen(got.samples[i]!.labels)).toBe(true);
    for (let j = 0; j < i; j++) {
      expect(got.samples[i]!.labels === got.samples[j]!.labels).toBe(
        want.samples[i]!.labels === want.samples[j]!.labels,
      );
    }
  }
  return got;
}

/** scanPprof agrees with the decoded profile. */
function expectScanAgrees(bytes: Uint8Array, p: Profile, rawSamples: number): void {
  const scan = scanPprof(bytes);
  expect(scan.sampleTypes).toEqual(p.sampleTypes);
  expect(scan.defaultSampleType).toBe(p.defaultSampleType);
  expect(scan.period).toBe(p.period);
  expect(scan.periodType).toEqual(p.periodType);
  expect(scan.timeNanos).toBe(p.timeNanos);
  expect(scan.durationNanos).toBe(p.durationNanos);
  expect(scan.sampleCount).toBe(rawSamples);
  expect(p.samples.length).toBeLessThanOrEqual(scan.sampleCount);
  expect(scan.sampleCount === 0).toBe(p.samples.length === 0);
  for (let k = 0; k < p.sampleTypes.length; k++) {
    let sum = 0;
    for (const s of p.samples) sum += s.values[k]!;
    // Exact while the sums are exact in float64 (any real profile); past 2^53 the order of additions may round.
    if (Math.abs(sum) < 2 ** 52 && Math.abs(scan.totals[k]!) < 2 ** 52) expect(scan.totals[k]).toBe(sum);
    else expect(Math.abs(scan.totals[k]! - sum)).toBeLessThanOrEqual(Math.abs(sum) * 1e-12 + 2 ** 12 * rawSamples);
  }
}

/** Decoder and scan fail with the same message or both succeed. (Plain checks first: expect() is slow in loops.) */
function outcome(bytes: Uint8Array): string {
  let decoded: string;
  let scanned: string;
  try {
    decoded = `ok ${decodePprofMessage(bytes).samples.length}`;
  } catch (e) {
    if (!(e instanceof Error)) throw new Error(`threw a non-Error: ${String(e)}`);
    decoded = e.message;
  }
  try {
    scanned = `ok ${scanPprofMessage(bytes).sampleCount}`;
  } catch (e) {
    scanned = (e as Error).message;
  }
  if (decoded.startsWith("ok") && scanned.startsWith("ok")) return "ok";
  if (scanned !== decoded || !decoded.startsWith("pprof: ")) {
    expect(scanned).toBe(decoded);
    expect(decoded).toMatch(/^pprof: /);
  }
  return decoded;
}

const S = {
  "": 0,
  samples: 1,
  count: 2,
  cpu: 3,
  nanoseconds: 4,
  "<module>": 5,
  "/srv/server.py": 6,
  search_user: 7,
  PyObject_RichCompare: 8,
  "Objects/object.c": 9,
  do_syscall_64: 10,
  long_richcompare: 11,
  "/usr/bin/python3.12": 12,
  "[kernel.kallsyms]": 13,
  "/usr/lib/libc.so.6": 14,
  thread_name: 15,
  MainThread: 16,
  tid: 17,
  "hostname=web-1": 18,
  "free text": 19,
  "entry_SYSCALL_64_[k]": 20,
  "<frozen runpy>": 21,
  _start: 22,
  bytes: 23,
};
const strings = Object.keys(S);

/** Inlined lines, mappings (kernel, binary, libc), address-only locations, string and num labels, comments. */
function richProfile(): RawPprof {
  return {
    sampleType: [
      { type: S.samples, unit: S.count },
      { type: S.cpu, unit: S.nanoseconds },
    ],
    mapping: [
      { id: 1, memoryStart: 0x400000, memoryLimit: 0x800000, filename: S["/usr/bin/python3.12"] },
      { id: 2, filename: S["[kernel.kallsyms]"] },
      { id: 3, memoryStart: 0x7f0000000000, fileOffset: 0x1000, filename: S["/usr/lib/libc.so.6"] },
    ],
    function: [
      { id: 1, name: S["<module>"], systemName: S["<module>"], filename: S["/srv/server.py"] },
      { id: 3, name: S.search_user, filename: S["/srv/server.py"], startLine: 20 },
      { id: 4, name: S.PyObject_RichCompare, filename: S["Objects/object.c"] },
      { id: 5, systemName: S.do_syscall_64 }, // no name: the system name is used
      { id: 6, name: S.long_richcompare, filename: S["Objects/object.c"] },
      { id: 7 }, // no name at all
      { id: 8, name: S["entry_SYSCALL_64_[k]"] },
      { id: 9, name: S["<module>"], filename: S["<frozen runpy>"] },
    ],
    location: [
      { id: 1, line: [{ functionId: 1, line: 58 }] },
      { id: 3, line: [{ functionId: 3, line: 22 }] },
      {
        id: 4,
        mappingId: 1,
        address: 0x401234,
        line: [
          { functionId: 6, line: 3020, column: 7 },
          { functionId: 4, line: 790 },
          { functionId: 4, line: 791 },
        ],
      },
      { id: 5, mappingId: 2, line: [{ functionId: 5 }, { functionId: 8 }] },
      { id: 6, mappingId: 3, address: 0x7f0000000abc },
      { id: 7, address: 0xdeadbeef },
      { id: 8, mappingId: 9, line: [{ functionId: 7, line: 1 }] }, // mapping 9 is not defined
      { id: 9, mappingId: 2, address: 0xffffffff81000000 },
      { id: 10, line: [{ functionId: 9, line: 1 }], isFolded: true },
    ],
    sample: [
      {
        locationId: [4, 3, 1],
        value: [7, 70_000_000],
        label: [
          { key: S.thread_name, str: S.MainThread },
          { key: S.tid, num: 4242 },
        ],
      },
      { locationId: [5, 6, 1], value: [2, 20_000_000], label: [] },
      { locationId: [4, 3, 1], value: [1, 10_000_000], label: [{ key: S.tid, num: 4242 }] },
      // same stack and labels as the first (other label order): merged into it
      {
        locationId: [4, 3, 1],
        value: [3, 30_000_000],
        label: [
          { key: S.tid, num: 4242, numUnit: S.count },
          { key: S.thread_name, str: S.MainThread },
        ],
      },
      { locationId: [7, 8, 9, 10], value: [0, 0], label: [{ key: S.bytes, num: -5 }] },
      { locationId: [], value: [1, 1], label: [] },
    ],
    stringTable: strings,
    timeNanos: 1_700_000_000_000_000_000n,
    durationNanos: 60_000_000_000,
    periodType: { type: S.cpu, unit: S.nanoseconds },
    period: 10_101_010,
    comment: [S["hostname=web-1"], S["free text"]],
    defaultSampleType: S.cpu,
  };
}

/** A Python server's CPU profile shaped like the ingest bench's uploads, with thread labels. */
function realisticProfile(seed: number, stacks = 400): Profile {
  const b = new ProfileBuilder([{ type: "cpu", unit: "nanoseconds" }], {
    timeNanos: 1.764e18 + seed * 1e10,
    durationNanos: 10e9,
    period: 1e9 / 99,
  });
  let a = seed >>> 0;
  const rnd = (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  const fr = (i: number) =>
    i % 7 === 0
      ? { name: `sys_${i}`, file: "", line: 0, kind: "kernel" as const, module: "[kernel]" }
      : {
          name: `mod${i % 40}.f${i}`,
          file: `/srv/app/mod${i % 40}.py`,
          line: 1 + (i % 200),
          kind: "python" as const,
          module: "",
        };
  for (let s = 0; s < stacks; s++) {
    const stack = [fr(1)];
    let f = 1;
    for (let d = 1; d < 8 + rnd(10); d++) {
      f = 2 + ((f * 31 + rnd(3) * 977 + d) % 300);
      stack.push(fr(f));
    }
    const t = rnd(3);
    b.addFrames(stack, [(1 + rnd(20)) * 10_101_010], { tid: String(100 + t), thread_name: `worker-${t}` });
  }
  return b.build();
}

const safeInt = fc.integer({ min: -(2 ** 40), max: 2 ** 40 });
const anyInt64 = fc.oneof(safeInt, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));

/** Random pprof messages as other tools may write them: ids in any order (0 and duplicates too), big numbers, … */
const arbRaw: fc.Arbitrary<RawPprof> = fc
  .record({
    extra: fc.uniqueArray(
      fc.oneof(
        fc.constantFrom("a\u0000b", "\uFEFFbom", "ünïcødé", "\u{1F600}", "x_[k]", "[kernel]", "lib.py", "k=v", "=v"),
        fc.string({ maxLength: 6 }),
      ),
      { maxLength: 10 },
    ),
    nTypes: fc.integer({ min: 1, max: 3 }),
    idx: fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
    mapIds: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
    fnIds: fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 6 }),
    locs: fc.array(
      fc.record({
        id: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.constant(2 ** 40)),
        mappingId: fc.integer({ min: 0, max: 5 }),
        address: fc.oneof(fc.constantFrom(0, 0x401234, 2 ** 48 + 5), anyInt64),
        lines: fc.array(fc.record({ fn: fc.nat(), line: fc.oneof(fc.integer({ min: -5, max: 5000 }), anyInt64) }), {
          maxLength: 3,
        }),
      }),
      { minLength: 1, maxLength: 8 },
    ),
    samples: fc.array(
      fc.record({
        locs: fc.array(fc.nat(), { maxLength: 6 }),
        values: fc.array(fc.oneof(fc.integer({ min: 0, max: 1e9 }), anyInt64), { minLength: 3, maxLength: 3 }),
        labels: fc.array(fc.record({ key: fc.nat(), str: fc.option(fc.nat()), num: anyInt64, numUnit: fc.nat() }), {
          maxLength: 3,
        }),
      }),
      { maxLength: 12 },
    ),
    time: anyInt64,
    duration: anyInt64,
    period: anyInt64,
    periodType: fc.boolean(),
    comments: fc.array(fc.nat(), { maxLength: 3 }),
    defaultType: fc.nat(),
  })
  .map((g): RawPprof => {
    const table = ["", ...new Set([...strings.slice(1), ...g.extra.filter((s) => s !== "")])];
    let k = 0;
    const str = () => g.idx[k++ % g.idx.length]! % table.length;
    const fns = g.fnIds.map((id) => ({ id, name: str(), systemName: str(), filename: str(), startLine: str() }));
    return {
      sampleType: Array.from({ length: g.nTypes }, () => ({ type: str(), unit: str() })),
      mapping: g.mapIds.map((id) => ({
        id,
        memoryStart: 0x1000 * id,
        memoryLimit: 0x100000,
        fileOffset: 0x10 * id,
        filename: str(),
        buildId: str(),
      })),
      function: fns,
      location: g.locs.map((l) => ({
        id: l.id,
        mappingId: l.mappingId,
        address: l.address,
        line: l.lines.map((x) => ({ functionId: fns[x.fn % fns.length]!.id, line: x.line })),
      })),
      sample: g.samples.map((s) => ({
        locationId: s.locs.map((i) => g.locs[i % g.locs.length]!.id),
        value: s.values.slice(0, g.nTypes),
        label: s.labels.map((l) => ({
          key: l.key % table.length,
          str: l.str === null ? 0 : l.str % table.length,
          num: l.num,
          numUnit: l.numUnit % table.length,
        })),
      })),
      stringTable: table,
      timeNanos: g.time,
      durationNanos: g.duration,
      period: g.period,
      periodType: g.periodType ? { type: str(), unit: str() } : undefined,
      comment: g.comments.map((c) => c % table.length),
      defaultSampleType: g.defaultType % table.length,
    };
  });

describe("pprof reader: same profiles as the pprof-format importer", () => {
  it("reads a rich profile (inlining, mappings, kernel, address-only and num labels, comments) as before", () => {
    const raw = richProfile();
    const p = expectSameAsOracle(encodeWithPprofFormat(raw));
    expect(p.samples.length).toBe(5); // the fourth sample merged into the first
    expect(p.samples[0]!.values).toEqual([10, 100_000_000]);
    expect(p.samples[0]!.labels).toEqual({ thread_name: "MainThread", tid: "4242" });
    expect(p.samples[0]!.stack.map((i) => p.frames[i]!.name)).toEqual([
      "<module>",
      "search_user",
      "PyObject_RichCompare",
      "PyObject_RichCompare",
      "long_richcompare",
    ]);
    const names = p.samples[3]!.stack.map((i) => p.frames[i]!);
    // The kernel address is an int64 like every varint, so it is negative here: the former importer's name, kept.
    expect(names.map((f) => f.name)).toEqual(["<module>", "[kernel.kallsyms]+0x-7f000000", "", "0xdeadbeef"]);
    expect(names[1]).toMatchObject({ kind: "kernel", module: "[kernel.kallsyms]" });
    expect(names[0]).toMatchObject({ kind: "python", file: "<frozen runpy>" });
    expect(p.samples[3]!.labels).toEqual({ bytes: "-5" });
    expect(p.meta).toEqual({ hostname: "web-1", "comment.1": "free text" });
    expectScanAgrees(encodeWithPprofFormat(raw), p, raw.sample.length);
  });

  it("reads packed and unpacked repeated fields, explicit zeros and unknown fields of every wire type alike", () => {
    const raw = richProfile();
    const want = parsePprof(encodeWithPprofFormat(raw));
    for (const packed of [true, false]) {
      for (const zeros of [false, true]) {
        const bytes = encodeWire(raw, { packed, zeros });
        expect(expectSameAsOracle(bytes)).toEqual(want);
        const withUnknown = encodeWire(raw, { packed, zeros, unknown: true });
        expect(parsePprof(withUnknown)).toEqual(want);
        expectScanAgrees(withUnknown, want, raw.sample.length);
      }
    }
  });

  it("reads what our exporter writes exactly as before, and the scan counts its samples", () => {
    fc.assert(
      fc.property(arbProfile(), fc.boolean(), (p, gz) => {
        const bytes = toPprof(p, { gzip: gz });
        const back = expectSameAsOracle(bytes);
        expectScanAgrees(bytes, back, p.samples.length);
        expect(scanPprof(bytes).sampleCount).toBe(back.samples.length);
      }),
      { numRuns: 150 },
    );
    for (const seed of [1, 2, 3]) {
      const p = realisticProfile(seed);
      const bytes = toPprof(p);
      expectScanAgrees(bytes, expectSameAsOracle(bytes), p.samples.length);
    }
  });

  it("matches the former importer on random messages: id 0, duplicate ids, big and negative numbers, odd strings", () => {
    fc.assert(
      fc.property(arbRaw, fc.boolean(), (raw, packed) => {
        const viaWire = encodeWire(raw, { packed, zeros: !packed });
        const p = expectSameAsOracle(viaWire);
        expectScanAgrees(viaWire, p, raw.sample.length);
        expect(parsePprof(encodeWire(raw, { packed, unknown: true }))).toEqual(p);
        if (!hasEmptyMessage(raw)) expect(expectSameAsOracle(encodeWithPprofFormat(raw))).toEqual(p);
      }),
      { numRuns: 300 },
    );
  });

  it("reads int64 and uint64 varints like the former importer (nearest double of the int64)", () => {
    const cases: Int[] = [
      0,
      1,
      127,
      128,
      2 ** 28 - 1,
      2 ** 28,
      2 ** 31,
      2 ** 32 + 1,
      2 ** 53 - 1,
      2n ** 53n + 1n,
      2n ** 62n + 12345n,
      2n ** 63n - 1n,
      -1,
      -(2 ** 31),
      -(2n ** 63n),
      2n ** 64n - 2n, // uint64 → -2
    ];
    for (const v of cases) {
      const raw = richProfile();
      raw.timeNanos = v;
      raw.sample[0]!.value = [v, 1];
      raw.sample[0]!.label[1]!.num = v;
      raw.location[0]!.line![0]!.line = v;
      const p = expectSameAsOracle(encodeWire(raw));
      expect(p.timeNanos).toBe(Number(BigInt.asIntN(64, BigInt(v))));
    }
    // A 10-byte varint's bits beyond 64 are dropped, as asIntN(64) did.
    const tenBytes = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
    const msg = Uint8Array.from([...encodeWire({ ...richProfile(), timeNanos: 0 }), 0x48, ...tenBytes]);
    expect(parsePprof(msg).timeNanos).toBe(-1);
    expect(parsePprofWithPprofFormat(msg).timeNanos).toBe(-1);
  });

  it("decodes strings as before: invalid UTF-8 becomes U+FFFD, a leading BOM is dropped", () => {
    const raw = richProfile();
    raw.stringTable = [...strings];
    raw.stringTable[S.search_user] = Uint8Array.from([0x66, 0xff, 0xc3, 0x28, 0x6f]);
    raw.stringTable[S.MainThread] = Uint8Array.from([0xef, 0xbb, 0xbf, 0x4d]);
    const p = expectSameAsOracle(encodeWire(raw));
    expect(p.frames.map((f) => f.name)).toContain("f\uFFFD\uFFFD(o");
    expect(p.samples[0]!.labels.thread_name).toBe("M");
  });
});

describe("pprof reader: malformed input", () => {
  const rejects = (mutate: (raw: RawPprof) => void, message: RegExp | string) => {
    const raw = richProfile();
    mutate(raw);
    const bytes = encodeWire(raw);
    expect(outcome(bytes)).not.toBe("ok");
    expect(() => parsePprof(bytes)).toThrow(message);
    expect(() => scanPprof(gzipSync(bytes))).toThrow(message);
  };

  it("names the problem and where", () => {
    rejects(
      (r) => r.sample[2]!.locationId.push(99),
      "pprof: sample 2 refers to location 99, which the profile does not define",
    );
    rejects(
      (r) => r.location[2]!.line!.push({ functionId: 42 }),
      "pprof: line 3 refers to function 42, which the profile does not define (in location 2)",
    );
    rejects(
      (r) => r.sample[1]!.value.push(5),
      "pprof: the sample has 3 value(s), but the profile has 2 sample type(s) (in sample 1)",
    );
    rejects(
      (r) => (r.sample[4]!.value = [1]),
      /has 1 value\(s\), but the profile has 2 sample type\(s\) \(in sample 4\)/,
    );
    rejects(
      (r) => (r.function[1]!.filename = 500),
      `pprof: filename refers to string 500, but the string table has ${strings.length} entries (in function 1)`,
    );
    rejects((r) => (r.sample[0]!.label[0]!.str = 77), /a label value refers to string 77.*\(in sample 0\)/);
    rejects((r) => (r.sampleType[1]!.unit = 99), /unit refers to string 99.*\(in sample_type 1\)/);
    rejects((r) => (r.comment = [3, -1]), /comment 1 refers to string -1/);
    rejects((r) => (r.defaultSampleType = 2 ** 40), /default_sample_type refers to string 1099511627776/);
    rejects(
      (r) => (r.stringTable = ["x", ...strings.slice(1)]),
      /string_table\[0\] must be the empty string, found "x"/,
    );
    rejects((r) => (r.sampleType = []), /no sample_type/);
  });

  it("rejects broken framing with the byte offset", () => {
    const ok = encodeWire(richProfile());
    const cases: [number[], RegExp][] = [
      [[0x48, 0x80], /^pprof: truncated varint at byte \d+$/],
      [[0x48, ...Array(11).fill(0x80), 0x01], /varint longer than 10 bytes at byte \d+/],
      [[0x00, 0x01], /field number 0 at byte \d+/],
      [[0xa3, 0x01], /unsupported wire type 3 \(field 20\) at byte \d+/],
      [[0x0b], /field 1 \(sample_type\) at byte \d+ has wire type start-group, expected length-delimited/],
      [[0x6a, 0x05, 0x01], /field 13 \(comment\) at byte \d+ claims 5 bytes, 1 left/],
      [[0x49, 1, 2, 3], /field 9 \(time_nanos\) at byte \d+ has wire type fixed64, expected varint/],
      [[0x12, 0x02, 0x18, 0x01], /field 3 \(label\) at byte \d+ has wire type varint, expected length-delimited/],
      [[0x12, 0x02, 0x0d, 0x01], /wire type fixed32, expected length-delimited \(in sample \d+\)/],
      [[0x8d, 0x01, 1, 2], /field 17 at byte \d+ needs 4 bytes, 2 left/],
    ];
    for (const [tail, re] of cases) {
      const bytes = Uint8Array.from([...ok, ...tail]);
      expect(outcome(bytes)).toMatch(re);
    }
    expect(outcome(Uint8Array.from([0x0a, 0xff, 0xff, 0x01, 0x02, 0x00, 0x01]))).toMatch(/claims 32767 bytes/);
  });

  it("fails, never crashes or hangs, on a truncation at every byte; scan fails with the same message", () => {
    for (const bytes of [encodeWire(richProfile()), encodeWire(richProfile(), { packed: false, unknown: true })]) {
      // Top-level field boundaries: a message cut there is complete, maybe valid (e.g. without its comments).
      const boundaries = new Set<number>();
      let failures = 0;
      for (let n = 0; n < bytes.length; n++) {
        const cut = bytes.subarray(0, n);
        const o = outcome(cut);
        if (o === "ok") boundaries.add(n);
        else failures++;
      }
      expect(failures).toBeGreaterThan(bytes.length * 0.9);
      // A cut accepted is one between whole top-level fields after the string table: it loses only trailing header
      // fields (times, period, comments, …), never a frame or a sample.
      const full = decodePprofMessage(bytes);
      for (const n of boundaries) {
        const p = decodePprofMessage(bytes.subarray(0, n));
        expect(p.frames).toEqual(full.frames);
        expect(p.samples).toEqual(full.samples);
      }
      // gzip: a truncated stream is an error too, the same for both.
      const gz = gzipSync(bytes);
      // A cut stream's "trailer" is 4 arbitrary bytes: refused before inflating (fflate sizes its output by it).
      expect(() => parsePprof(Uint8Array.from([...gz.subarray(0, 40), 0xff, 0xff, 0xff, 0x7f]))).toThrow(
        /^pprof: the gzip stream is corrupt or truncated \(its trailer claims 2147483647 bytes from 44 compressed\)$/,
      );
      for (let n = 0; n < gz.length; n++) {
        const cut = gz.subarray(0, n);
        let a = "";
        let b = "";
        try {
          parsePprof(cut);
        } catch (e) {
          a = (e as Error).message;
        }
        try {
          scanPprof(cut);
        } catch (e) {
          b = (e as Error).message;
        }
        if (b !== a || !a.startsWith("pprof: ")) {
          expect(b).toBe(a);
          expect(a).toMatch(/^pprof: /);
        }
      }
    }
  });

  it("agrees with the scan on random corruptions (flipped, inserted, deleted bytes)", () => {
    fc.assert(
      fc.property(
        arbRaw,
        fc.array(
          fc.record({ at: fc.nat(), op: fc.integer({ min: 0, max: 2 }), byte: fc.integer({ min: 0, max: 255 }) }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (raw, edits) => {
          const b = [...encodeWire(raw, { packed: edits.length % 2 === 0 })];
          for (const e of edits) {
            const at = e.at % (b.length + 1);
            if (e.op === 0 && at < b.length) b[at] = e.byte;
            else if (e.op === 1) b.splice(at, 0, e.byte);
            else b.splice(at, 1);
          }
          const bytes = Uint8Array.from(b);
          if (outcome(bytes) === "ok") {
            const p = decodePprofMessage(bytes);
            const s = scanPprofMessage(bytes);
            expect(p.samples.length).toBeLessThanOrEqual(s.sampleCount);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
