import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Frame, frameKey, labelsKey, type Profile, ProfileBuilder, totalValue } from "../model.js";
import { merge } from "../ops/merge.js";
import { arbProfile } from "../test-utils/arb.js";
import { mergeStored } from "./merge-stored.js";
import { StackStore, type StoredProfile } from "./stack-store.js";

const TYPES = [
  { type: "samples", unit: "count" },
  { type: "cpu", unit: "nanoseconds" },
];

/** Samples with frames resolved to objects and labels copied: what a user of the merged profile sees. */
const resolved = (p: Profile) =>
  p.samples.map((s) => ({ stack: s.stack.map((i) => p.frames[i]!), values: s.values, labels: { ...s.labels } }));

const header = (p: Profile) => ({
  sampleTypes: p.sampleTypes,
  defaultSampleType: p.defaultSampleType,
  timeNanos: p.timeNanos,
  durationNanos: p.durationNanos,
  period: p.period,
  periodType: p.periodType,
  meta: p.meta,
});

/** Throws (an expect failure) unless `got` is merge(profiles) sample for sample, with only used frames. */
function expectSameAsMerge(got: Profile, profiles: readonly Profile[], keepLabels: boolean): void {
  const want = merge(profiles, { keepLabels });
  expect(header(got)).toEqual(header(want));
  expect(resolved(got)).toEqual(resolved(want));
  const used = new Set(got.samples.flatMap((s) => s.stack));
  expect(used.size).toBe(got.frames.length);
  expect(new Set(got.frames.map(frameKey)).size).toBe(got.frames.length);
}

/** Profiles with random sample types picked from two, random times, meta and merged_profiles. */
const arbProfiles = fc.array(
  fc.record({
    p: arbProfile({ sampleTypes: TYPES, maxSamples: 40 }),
    t: fc.constantFrom(0, 1_700_000_000_000_000_000, 1_700_000_060_000_000_000),
    merged: fc.constantFrom(undefined, "3"),
    host: fc.constantFrom(undefined, "a", "b"),
    dup: fc.boolean(),
    frac: fc.boolean(),
  }),
  { minLength: 1, maxLength: 6 },
);
/**
 * `dup`: every sample twice, the copies with unshared label objects (a profile not built by ProfileBuilder).
 * `frac`: fractional values, whose float sums depend on the order of the additions.
 */
const toProfiles = (
  xs: { p: Profile; t: number; merged: string | undefined; host: string | undefined; dup: boolean; frac: boolean }[],
): Profile[] =>
  xs.map(({ p, t, merged, host, dup, frac }) => {
    const meta: Record<string, string> = { ...p.meta };
    if (merged !== undefined) meta.merged_profiles = merged;
    if (host !== undefined) meta.host = host;
    let samples = dup ? [...p.samples, ...p.samples.map((s) => ({ ...s, labels: { ...s.labels } }))] : p.samples;
    if (frac) samples = samples.map((s, i) => ({ ...s, values: s.values.map((v) => v / 7 + 0.1 * (i % 3)) }));
    return { ...p, timeNanos: t, meta, samples };
  });

describe("StackStore + mergeStored", () => {
  it("gives merge()'s samples (same order, stacks, labels, values) and header, with and without labels", () => {
    fc.assert(
      fc.property(arbProfiles, fc.boolean(), (xs, keepLabels) => {
        const profiles = toProfiles(xs);
        const store = new StackStore();
        const stored = profiles.map((p) => store.intern(p));
        expectSameAsMerge(mergeStored(store, stored, { keepLabels }), profiles, keepLabels);
        // An early profile alone, after the store has grown past it.
        expectSameAsMerge(mergeStored(store, stored.slice(0, 1), { keepLabels }), profiles.slice(0, 1), keepLabels);
      }),
      { numRuns: 300 },
    );
  });

  it("the property catches an off-by-one in the summation (a last sample skipped or a first one counted twice)", () => {
    const dropLast = (sp: StoredProfile): StoredProfile => {
      const n = Math.max(0, sp.series.length - 1);
      return { ...sp, series: sp.series.subarray(0, n), values: sp.values.subarray(0, n * sp.sampleTypes.length) };
    };
    const firstTwice = (sp: StoredProfile): StoredProfile => {
      if (sp.series.length === 0) return sp;
      const nt = sp.sampleTypes.length;
      return {
        ...sp,
        series: Int32Array.from([sp.series[0]!, ...sp.series]),
        values: Float64Array.from([...sp.values.subarray(0, nt), ...sp.values]),
      };
    };
    for (const bug of [dropLast, firstTwice]) {
      expect(() =>
        fc.assert(
          fc.property(arbProfiles, (xs) => {
            const profiles = toProfiles(xs);
            const store = new StackStore();
            const stored = profiles.map((p) => bug(store.intern(p)));
            expectSameAsMerge(mergeStored(store, stored), profiles, true);
          }),
          { numRuns: 200 },
        ),
      ).toThrow();
    }
  });

  it("keeps every total on many large profiles sharing stacks (table and pool growth)", () => {
    let x = 99;
    const rnd = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    const pool: Frame[] = Array.from({ length: 300 }, (_, i) => ({
      name: `f${i % 120}`,
      file: i % 3 === 0 ? "" : `/srv/m${i % 5}.py`,
      line: i % 3 === 0 ? 0 : 1 + (i % 11),
      kind: i % 3 === 0 ? ("native" as const) : ("python" as const),
      module: i % 3 === 0 ? "libpython3.12.so.1.0" : "",
    }));
    const profiles: Profile[] = [];
    for (let p = 0; p < 10; p++) {
      const b = new ProfileBuilder(TYPES, { timeNanos: 1e18 + p * 60e9, durationNanos: 60e9 });
      for (let i = 0; i < 2000; i++) {
        const stack = Array.from({ length: 1 + rnd(12) }, () => pool[rnd(pool.length)]!);
        const c = 1 + rnd(5);
        b.addFrames(stack, [c, c * 10101010], { tid: String(rnd(3)) });
      }
      profiles.push(b.build());
    }
    const store = new StackStore();
    const got = mergeStored(
      store,
      profiles.map((p) => store.intern(p)),
    );
    expect(store.seriesCount).toBeGreaterThan(5000);
    expectSameAsMerge(got, profiles, true);
    expect(totalValue(got, 1)).toBe(profiles.reduce((a, p) => a + totalValue(p, 1), 0));
  });

  it("gives dense ids that never change: the same profile interns to the same column, before and after others", () => {
    fc.assert(
      fc.property(arbProfile(), fc.array(arbProfile(), { maxLength: 4 }), (a, others) => {
        const store = new StackStore();
        const first = store.intern(a);
        expect(store.intern(a).series).toEqual(first.series);
        const snapshot = (s: StackStore) => ({
          frames: Array.from({ length: s.frameCount }, (_, i) => s.frame(i)),
          labels: Array.from({ length: s.labelSetCount }, (_, i) => s.labels(i)),
          stacks: Array.from({ length: s.stackCount }, (_, i) => s.stack(i)),
          series: Array.from({ length: s.seriesCount }, (_, i) => s.series(i)),
        });
        const before = snapshot(store);
        for (const o of others) store.intern(o);
        const after = snapshot(store);
        expect(after.frames.slice(0, before.frames.length)).toEqual(before.frames);
        expect(after.labels.slice(0, before.labels.length)).toEqual(before.labels);
        expect(after.stacks.slice(0, before.stacks.length)).toEqual(before.stacks);
        expect(after.series.slice(0, before.series.length)).toEqual(before.series);
        expect(store.intern(a).series).toEqual(first.series);
        // Dense and unique: every id below the count is a distinct entry.
        expect(new Set(after.frames.map(frameKey)).size).toBe(store.frameCount);
        expect(new Set(after.labels.map(labelsKey)).size).toBe(store.labelSetCount);
        expect(new Set(after.stacks.map((s) => s.join(","))).size).toBe(store.stackCount);
        expect(new Set(after.series.map((s) => `${s.labelSet}/${s.stack}`)).size).toBe(store.seriesCount);
        // Each sample's series resolves to that sample's stack and labels.
        a.samples.forEach((s, i) => {
          const { labelSet, stack } = store.series(first.series[i]!);
          expect(store.stack(stack).map((f) => store.frame(f))).toEqual(s.stack.map((f) => a.frames[f]));
          expect(labelsKey(store.labels(labelSet))).toBe(labelsKey(s.labels));
        });
      }),
      { numRuns: 150 },
    );
  });

  it("refuses stored profiles of another store, naming both stores", () => {
    const p = new ProfileBuilder(TYPES).build();
    const a = new StackStore("store-a");
    const b = new StackStore("store-b");
    expect(() => mergeStored(a, [a.intern(p), b.intern(p)])).toThrow(
      /stored profile 1: it was interned in store store-b, not in this store \(store-a\)/,
    );
  });

  it("refuses different sample types with merge()'s message, and an empty list", () => {
    const store = new StackStore();
    const cpu = store.intern(new ProfileBuilder([{ type: "cpu", unit: "nanoseconds" }]).build());
    const wall = store.intern(new ProfileBuilder([{ type: "wall", unit: "seconds" }]).build());
    expect(() => mergeStored(store, [cpu, wall])).toThrow(
      /profile 0 has \[cpu\/nanoseconds\], profile 1 has \[wall\/seconds\]/,
    );
    expect(() => mergeStored(store, [])).toThrow(/at least one/);
  });

  it("refuses a stored profile whose series the store does not have yet", () => {
    const writer = new StackStore("w");
    const b = new ProfileBuilder(TYPES);
    b.addFrames([{ name: "f", file: "", line: 0, kind: "native", module: "" }], [1, 2]);
    const early = writer.encode();
    const sp = writer.intern(b.build());
    const reader = StackStore.decode(early);
    expect(() => mergeStored(reader, [sp])).toThrow(
      /interned when store w had 1 series, this copy has 0; append the store segments/,
    );
    expect(mergeStored(reader.append(writer.encode(reader.mark())), [sp]).samples).toHaveLength(1);
  });

  it("refuses a stored profile from a fork of its store (same id, other entries under the same ids)", () => {
    const f = (name: string) => ({ name, file: "/srv/app.py", line: 1, kind: "python" as const, module: "" });
    const profileOf = (name: string) => {
      const b = new ProfileBuilder(TYPES);
      b.addFrames([f("main"), f(name)], [1, 10]);
      return b.build();
    };
    const primary = new StackStore();
    primary.intern(profileOf("a"));
    const backup = primary.encode();
    const sp = primary.intern(profileOf("search_user")); // series 1 = main;search_user
    // A restart from the backup, which then interns another profile: series 1 = main;other here.
    const restored = StackStore.decode(backup);
    restored.intern(profileOf("other"));
    expect(restored.seriesCount).toBe(primary.seriesCount);
    expect(() => mergeStored(restored, [sp])).toThrow(/has a different history than the one that interned it \(a fork/);
    // The primary and an exact copy of it are fine.
    expect(mergeStored(StackStore.decode(primary.encode()), [sp]).frames.map((x) => x.name)).toEqual([
      "main",
      "search_user",
    ]);
  });

  it("refuses a stored profile whose series ids exceed what its store had (corrupted columns)", () => {
    const store = new StackStore();
    const b = new ProfileBuilder(TYPES);
    b.addFrames([{ name: "f", file: "", line: 0, kind: "native", module: "" }], [1, 2]);
    const sp = store.intern(b.build());
    store.intern(otherProfile());
    expect(() => mergeStored(store, [{ ...sp, series: Int32Array.of(1) }])).toThrow(
      /sample 0 refers to series 1, but the store had 1 when it was interned/,
    );
  });

  it("adds nothing to the store when a profile is malformed", () => {
    const store = new StackStore();
    const good = new ProfileBuilder(TYPES);
    good.addFrames([{ name: "a", file: "", line: 0, kind: "native", module: "" }], [1, 1]);
    store.intern(good.build());
    const before = store.mark();
    const bad: Profile = {
      ...good.build(),
      frames: [{ name: "new", file: "x.py", line: 3, kind: "python", module: "" }],
      samples: [
        { stack: [0], values: [1, 1], labels: { tid: "9" } },
        { stack: [0, 7], values: [1, 1], labels: {} },
      ],
    };
    expect(() => store.intern(bad)).toThrow(/sample 1 refers to frame 7, but the profile has 1 frames/);
    expect(store.mark()).toEqual(before);
    // The undone entries are really gone: interning them again gives the next ids.
    const ok = store.intern({ ...bad, samples: bad.samples.slice(0, 1) });
    expect(store.series(ok.series[0]!)).toEqual({ labelSet: before.labelSets, stack: before.stacks });
    expect(store.frame(before.frames).name).toBe("new");
  });

  it("interns frames by frameKey identity and label sets by content, not by object", () => {
    const store = new StackStore();
    const f = { name: "h", file: "/srv/app.py", line: 10, kind: "python" as const, module: "" };
    expect(store.internFrame({ ...f })).toBe(store.internFrame({ ...f }));
    expect(store.internFrame({ ...f, line: 11 })).not.toBe(store.internFrame(f));
    expect(store.internFrame({ ...f, kind: "native" })).not.toBe(store.internFrame(f));
    expect(store.internLabels({ a: "1", b: "2" })).toBe(store.internLabels({ b: "2", a: "1" }));
    expect(store.internLabels({ a: "1" })).not.toBe(store.internLabels({ a: "2" }));
  });

  it("says which id or mark is wrong on direct use", () => {
    const store = new StackStore("s1");
    expect(() => new StackStore("not a valid id!")).toThrow(/store id "not a valid id!" is not valid/);
    expect(() => store.internStack([0])).toThrow(/frame id 0, but the store has 0 frames/);
    const f = store.internFrame({ name: "f", file: "", line: 0, kind: "native", module: "" });
    const st = store.internStack([f, f]);
    expect(store.internStack([f, f])).toBe(st);
    expect(() => store.internSeries(0, st)).toThrow(/label set id 0 is not in the store \(it has 0\)/);
    const li = store.internLabels({});
    expect(store.internSeries(li, st)).toBe(0);
    expect(() => store.internSeries(li, 5)).toThrow(/stack id 5 is not in the store/);
    expect(() => store.frame(9)).toThrow(/frame id 9 is not in the store \(it has 1\)/);
    expect(() => store.encode({ frames: 2, labelSets: 0, stacks: 0, series: 0 })).toThrow(
      /since.frames = 2 is not a mark of this store \(it has 1 frames\)/,
    );
  });
});

/** A small profile with a stack no other test profile has. */
function otherProfile(): Profile {
  const b = new ProfileBuilder(TYPES);
  b.addFrames([{ name: "g", file: "", line: 0, kind: "native", module: "" }], [1, 1]);
  return b.build();
}
