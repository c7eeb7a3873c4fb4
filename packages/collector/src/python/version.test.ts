import { describe, expect, it } from "vitest";
import { PyVersion } from "./detect.js";
import { OFFSETS, offsetsFor } from "./offsets.js";

describe("PyVersion", () => {
  it("decodes PY_VERSION_HEX, including pre-releases", () => {
    const v = new PyVersion(0x030c01f0);
    expect([v.major, v.minor, v.micro, v.hex]).toEqual([3, 12, 1, 0x030c01f0]);
    expect(`${v}`).toBe("3.12.1");
    expect(String(new PyVersion(0x030d00c2))).toBe("3.13.0rc2");
    expect(String(new PyVersion(0x030e00a1))).toBe("3.14.0a1");
    expect(String(new PyVersion(0x030b02f0))).toBe("3.11.2");
  });
});

describe("offsets table", () => {
  it("has 3.11, 3.12 and 3.13 only, with per-version fields where CPython has them", () => {
    expect(Object.keys(OFFSETS).map(Number)).toEqual([11, 12, 13]);
    expect(offsetsFor(3, 10)).toBeUndefined();
    expect(offsetsFor(2, 12)).toBeUndefined();
    expect(OFFSETS[11]!.frame.isEntry).toBeGreaterThanOrEqual(0);
    expect(OFFSETS[11]!.code.version).toBe(-1);
    expect(OFFSETS[12]!.code.version).toBe(0x5c);
    expect(OFFSETS[13]!.cframeCurrentFrame).toBe(-1);
    // co_code_adaptive is the last field: the header read of a code object must cover every field we use.
    for (const o of Object.values(OFFSETS)) {
      const { codeAdaptive, ...rest } = o.code;
      for (const v of Object.values(rest)) expect(v).toBeLessThan(codeAdaptive);
    }
  });
});
