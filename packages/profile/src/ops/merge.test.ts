import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { serializeProfile } from "../exporters/json.js";
import { parseProfile } from "../importers/json.js";
import { type Profile, ProfileBuilder, totalValue } from "../model.js";
import { arbProfile, canonical } from "../test-utils/arb.js";
import { merge } from "./merge.js";

describe("merge", () => {
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
