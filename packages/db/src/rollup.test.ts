import { merge } from "@perforator/profile";
import { describe, expect, it } from "vitest";
import {
  ColumnMerger,
  decodeRollup,
  encodeRollup,
  PROFILE_LABEL_PREFIX,
  rollupToProfile,
  splitProfileLabels,
  withProfileLabels,
} from "./rollup.js";
import { canonical, randomProfile } from "./test-utils/profiles.js";

describe("rollups", () => {
  it("hold exactly merge() of their profiles, through the codec, gzip or not, and merge further", () => {
    for (let seed = 0; seed < 20; seed++) {
      const ps = Array.from({ length: 2 + (seed % 7) }, (_, i) =>
        randomProfile(seed * 100 + i, 1e12 + i * 60_000, 5 + seed * 3),
      );
      const half = Math.ceil(ps.length / 2);
      const a = new ColumnMerger(ps[0]!.sampleTypes);
      for (const p of ps.slice(0, half)) a.addProfile(p);
      const b = new ColumnMerger(ps[0]!.sampleTypes);
      for (const p of ps.slice(half)) b.addProfile(p);
      const ra = decodeRollup(encodeRollup(a.build(), { gzip: seed % 2 === 0 }));
      const rb = decodeRollup(encodeRollup(b.build()));
      const both = new ColumnMerger(ps[0]!.sampleTypes).addRollup(ra).addRollup(rb);
      const got = rollupToProfile(both.build());
      const want = merge(ps);
      expect(canonical(got), `seed ${seed}`).toEqual(canonical(want));
      expect({ t: got.timeNanos, d: got.durationNanos, m: got.meta, period: got.period }).toEqual({
        t: want.timeNanos,
        d: want.durationNanos,
        m: want.meta,
        period: want.period,
      });
    }
  });

  it("keep profile labels apart from sample labels and let a mapper filter and strip them", () => {
    const p = randomProfile(1, 1e12, 30);
    const m = new ColumnMerger(p.sampleTypes).addProfile(p, withProfileLabels({ host: "h1", thread_name: "clash" }));
    const r = m.build();
    for (const l of r.labelSets) {
      expect(l[`${PROFILE_LABEL_PREFIX}host`]).toBe("h1");
      const { profile, sample } = splitProfileLabels(l);
      expect(profile).toEqual({ host: "h1", thread_name: "clash" });
      expect(sample.thread_name).not.toBe("clash");
    }
    const onlyMain = new ColumnMerger(p.sampleTypes).addRollup(r, (l) => {
      const { sample } = splitProfileLabels(l);
      return sample.thread_name === "MainThread" ? sample : null;
    });
    const want = merge([{ ...p, samples: p.samples.filter((s) => s.labels.thread_name === "MainThread") }]);
    expect(canonical(rollupToProfile(onlyMain.build()))).toEqual(canonical(want));
  });

  it("refuses different sample types and damaged bytes with a reason", () => {
    const p = randomProfile(2, 1e12);
    const other = { ...p, sampleTypes: [p.sampleTypes[0]!, { type: "wall", unit: "nanoseconds" }] };
    expect(() => new ColumnMerger(p.sampleTypes).addProfile(p).addProfile(other)).toThrow(/different sample types/);
    const bytes = encodeRollup(new ColumnMerger(p.sampleTypes).addProfile(p).build(), { gzip: false });
    expect(() => decodeRollup(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated/);
    const bad = bytes.slice();
    bad[0] = 0;
    expect(() => decodeRollup(bad)).toThrow(/bad magic/);
    const gz = encodeRollup(new ColumnMerger(p.sampleTypes).addProfile(p).build());
    expect(() => decodeRollup(gz.subarray(0, gz.length - 10))).toThrow(/not valid gzip/);
  });
});
