import { describe, expect, it } from "vitest";
import { ProfileBuilder, totalValue } from "./model.js";

describe("ProfileBuilder", () => {
  it("interns frames and aggregates identical stacks with identical labels", () => {
    const b = new ProfileBuilder([{ type: "samples", unit: "count" }]);
    const main = { name: "main", file: "app.py", line: 3, kind: "python" as const, module: "" };
    const a = { name: "a", file: "app.py", line: 10, kind: "python" as const, module: "" };
    b.addFrames([main, a], [2], { tid: "1" });
    b.addFrames([main, a], [3], { tid: "1" });
    b.addFrames([main, a], [5], { tid: "2" });
    const p = b.build();
    expect(p.frames).toHaveLength(2);
    expect(p.samples).toHaveLength(2);
    expect(p.samples[0]!.values).toEqual([5]);
    expect(totalValue(p)).toBe(10);
  });

  it("rejects a sample whose value count does not match the sample types", () => {
    const b = new ProfileBuilder([{ type: "samples", unit: "count" }]);
    expect(() => b.add([], [1, 2])).toThrow(/2 values/);
  });
});
