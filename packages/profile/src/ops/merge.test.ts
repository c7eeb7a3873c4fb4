import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { serializeProfile } from "../exporters/json.js";
import { parseProfile } from "../importers/json.js";
import { type Frame, frameKey, type Labels, labelsKey, type Profile, ProfileBuilder, totalValue } from "../model.js";
import { arbProfile, canonical } from "../test-utils/arb.js";
import { merge } from "./merge.js";

/**
 * The obvious merge, with string keys: frames in first-seen order over the inputs' frame tables, samples
 * in first-seen order of (labels, stack), values summed. ProfileMerger must give exactly this profile.
 */
function referenceMerge(profiles: readonly Profile[], keepLabels = true): Profile {
  const frames: Frame[] = [];
  const frameIdx = new Map<string, number>();
  const samples: { stack: number[]; values: number[]; labels: Labels }[] = [];
  const sampleIdx = new Map<string, number>();
  for (const p of profiles) {
    const remap = p.frames.map((f) => {
      const k = frameKey(f);
      let i = frameIdx.get(k);
      if (i === undefined) {
        i = frames.length;
        frames.push({ ...f });
        frameIdx.set(k, i);
      }
      return i;
    });
    for (const s of p.samples) {
      const stack = s.stack.map((i) => remap[i]!);
      const labels = keepLabels ? s.labels : {};
      const k = `${labelsKey(labels)}|${stack.join(",")}`;
      const i = sampleIdx.get(k);
      if (i === undefined) {
        sampleIdx.set(k, samples.length);
        samples.push({ stack, values: p.sampleTypes.map((_, j) => s.values[j] ?? 0), labels: { ...labels } });
      } else {
        const v = samples[i]!.values;
        for (let j = 0; j < v.length; j++) v[j] = v[j]! + (s.values[j] ?? 0);
      }
    }
  }
  return { ...merge(profiles, { keepLabels }), frames, samples };
}

describe("merge", () => {
  it("gives exactly the profile of a simple string-keyed merge (frame order, sample order, values, labels)", () => {
    const sampleTypes = [
      { type: "samples", unit: "count" },
      { type: "cpu", unit: "nanoseconds" },
    ];
    fc.assert(
      fc.property(
        fc.array(arbProfile({ sampleTypes, maxSamples: 60 }), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (profiles, keepLabels) => {
          const got = merge(profiles, { keepLabels });
          const want = referenceMerge(profiles, keepLabels);
          expect(got.frames).toEqual(want.frames);
          expect(got.samples.map((s) => ({ ...s, labels: { ...s.labels } }))).toEqual(want.samples);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("gives exactly the reference profile on many large profiles sharing stacks (table and pool growth)", () => {
    let x = 12345;
    const rnd = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % n;
    };
    const pool: Frame[] = Array.from({ length: 400 }, (_, i) => ({
      name: `f${i % 150}`,
      file: i % 3 === 0 ? "" : `/srv/m${i % 5}.py`,
      line: i % 3 === 0 ? 0 : 1 + (i % 11),
      kind: i % 3 === 0 ? ("native" as const) : ("python" as const),
      module: i % 3 === 0 ? "libpython3.12.so.1.0" : "",
    }));
    const universe: number[][] = [[]];
    for (let i = 0; i < 4000; i++) {
      const from = universe[rnd(universe.length)]!;
      const s = from.slice(0, rnd(from.length + 1));
      for (let k = 1 + rnd(6); k > 0; k--) s.push(rnd(pool.length));
      universe.push(s);
    }
    const profiles: Profile[] = [];
    for (let p = 0; p < 12; p++) {
      const b = new ProfileBuilder([{ type: "samples", unit: "count" }]);
      for (let i = 0; i < 1500; i++) {
        const t = rnd(3);
        b.addFrames(
          universe[rnd(universe.length)]!.map((f) => pool[f]!),
          [1 + rnd(9)],
          t === 0 ? {} : { tid: String(t), thread_name: `w${t}` },
        );
      }
      profiles.push(b.build());
    }
    const got = merge(profiles);
    const want = referenceMerge(profiles);
    expect(got.samples.length).toBeGreaterThan(5000);
    expect(got.frames).toEqual(want.frames);
    expect(got.samples.map((s) => ({ ...s, labels: { ...s.labels } }))).toEqual(want.samples);
  });

  it("is associative and keeps every total", () => {
    fc.assert(
      fc.property(arbProfile(), arbProfile(), arbProfile(), (a, b, c) => {
        const left = merge([merge([a, b]), c]);
        const right = merge([a, merge([b, c])]);
        const flat = merge([a, b, c]);
        expect(canonical(left)).toEqual(canonical(right));
        expect(canonical(flat)).toEqual(canonical(left));
        for (const vi of [0, 1]) {
          expect(totalValue(flat, vi)).toBe(totalValue(a, vi) + totalValue(b, vi) + totalValue(c, vi));
        }
      }),
      { numRuns: 150 },
    );
  });

  it("sums equal stacks with equal labels, keeps different labels apart", () => {
    fc.assert(
      fc.property(arbProfile(), (a) => {
        const twice = merge([a, a]);
        expect(twice.samples.length).toBe(a.samples.length);
        const doubled = canonical(a).map((line) => {
          const [k, v] = line.split(" => ");
          return `${k} => ${v!
            .split(",")
            .map((x) => 2 * Number(x))
            .join(",")}`;
        });
        expect(canonical(twice)).toEqual(doubled);
      }),
    );
  });

  it("works on profiles whose label objects are not shared (parsed from JSON)", () => {
    fc.assert(
      fc.property(arbProfile(), arbProfile(), (a, b) => {
        const a2 = parseProfile(serializeProfile(a));
        const unshared: Profile = { ...b, samples: b.samples.map((s) => ({ ...s, labels: { ...s.labels } })) };
        expect(canonical(merge([a2, unshared]))).toEqual(canonical(merge([a, b])));
      }),
      { numRuns: 50 },
    );
  });

  it("refuses profiles with different sample types and names both", () => {
    const cpu = new ProfileBuilder([{ type: "cpu", unit: "nanoseconds" }]).build();
    const wall = new ProfileBuilder([{ type: "wall", unit: "seconds" }]).build();
    expect(() => merge([cpu, wall])).toThrow(/profile 0 has \[cpu\/nanoseconds\], profile 1 has \[wall\/seconds\]/);
    expect(() => merge([])).toThrow(/at least one/);
  });

  it("names the sample of a malformed profile (a stack index outside its frame table) instead of merging garbage", () => {
    const b = new ProfileBuilder([{ type: "samples", unit: "count" }]);
    b.add([b.frame({ name: "main", file: "", line: 0, kind: "native", module: "" })], [1]);
    const good = b.build();
    const bad: Profile = { ...good, samples: [...good.samples, { stack: [0, 7], values: [1], labels: {} }] };
    expect(() => merge([good, bad])).toThrow(
      /cannot merge the profile: sample 1 refers to frame 7, but the profile has 1 frames/,
    );
  });

  it("covers the union of the time ranges and counts merged profiles", () => {
    const mk = (t: number) =>
      new ProfileBuilder([{ type: "samples", unit: "count" }], { timeNanos: t, durationNanos: 60e9 }).build();
    const m = merge([mk(120e9), mk(0.5e12), mk(60e9)]);
    expect(m.timeNanos).toBe(60e9);
    expect(m.durationNanos).toBe(0.5e12 + 60e9 - 60e9);
    expect(merge([m, mk(1e12)]).meta.merged_profiles).toBe("4");
  });

  it("can drop labels", () => {
    const b = new ProfileBuilder([{ type: "samples", unit: "count" }]);
    const f = { name: "f", file: "", line: 0, kind: "native" as const, module: "" };
    b.addFrames([f], [1], { tid: "1" });
    b.addFrames([f], [2], { tid: "2" });
    const m = merge([b.build()], { keepLabels: false });
    expect(m.samples).toHaveLength(1);
    expect(m.samples[0]!.values).toEqual([3]);
  });
});
