import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { serializeProfile } from "../exporters/json.js";
import { arbProfile } from "../test-utils/arb.js";
import { parseProfile } from "./json.js";

describe("perforator-profile JSON", () => {
  it("round-trips exactly (deep equality, including frame order, labels and meta)", () => {
    fc.assert(
      fc.property(arbProfile(), (p) => {
        const withMeta = { ...p, meta: { hostname: "web-1", "python.version": "3.12.1" } };
        const text = serializeProfile(withMeta);
        expect(JSON.parse(text)).toMatchObject({ format: "perforator-profile", version: 1 });
        const back = parseProfile(text);
        expect(back).toEqual(withMeta);
        expect(serializeProfile(back)).toBe(text);
      }),
      { numRuns: 150 },
    );
  });

  it("explains what is wrong", () => {
    expect(() => parseProfile("not json")).toThrow(/not JSON/);
    expect(() => parseProfile('{"format":"x"}')).toThrow(/"format" is "x"/);
    expect(() => parseProfile('{"format":"perforator-profile","version":9}')).toThrow(/version.*9.*upgrade/);
    const ok = JSON.parse(
      serializeProfile({
        sampleTypes: [{ type: "samples", unit: "count" }],
        defaultSampleType: 0,
        frames: [{ name: "a", file: "", line: 0, kind: "native", module: "" }],
        samples: [{ stack: [0], values: [1], labels: {} }],
        timeNanos: 0,
        durationNanos: 0,
        period: 0,
        periodType: { type: "cpu", unit: "nanoseconds" },
        meta: {},
      }),
    );
    ok.samples[0][0] = [5];
    expect(() => parseProfile(JSON.stringify(ok))).toThrow(/frame 5, but there are 1 frames/);
  });
});
