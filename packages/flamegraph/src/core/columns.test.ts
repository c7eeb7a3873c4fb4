import {
  buildFlameTree,
  type FlameTree,
  type Frame,
  type Profile,
  ProfileBuilder,
  topFunctions,
} from "@perforator/profile";
import { describe, expect, it } from "vitest";
import { serverProfile } from "../test-utils/profiles.js";
import { columnsFromProfile, columnsToProfile, decodeColumns, encodeColumns } from "./columns.js";
import { buildColumnsTree, topFunctionsColumns } from "./columns-tree.js";
import { LineResolver } from "./lines.js";

/** Deterministic pseudo-random profile: shared prefixes, recursion, several lines per function, three threads. */
function randomProfile(seed: number, samples: number): Profile {
  let x = seed;
  const rnd = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  const kinds = ["python", "native", "kernel"] as const;
  const fn = (i: number): Frame => {
    const kind = kinds[i % 3]!;
    return kind === "python"
      ? { name: `f${i % 17}`, file: `m${i % 4}.py`, line: 1 + rnd(3), kind, module: "" }
      : { name: `n${i % 13}`, file: "", line: 0, kind, module: kind === "kernel" ? "[kernel]" : "libc.so.6" };
  };
  const b = new ProfileBuilder([
    { type: "cpu", unit: "nanoseconds" },
    { type: "samples", unit: "count" },
  ]);
  for (let s = 0; s < samples; s++) {
    const depth = 1 + rnd(12);
    const stack: Frame[] = [];
    for (let d = 0; d < depth; d++) stack.push(fn(d < 3 ? d : rnd(40)));
    const v = 1 + rnd(1000);
    b.addFrames(stack, [v * 1000, v], { thread_name: `t${rnd(3)}`, tid: String(100 + rnd(3)) });
  }
  return b.build();
}

/** Every node as (path of frames, self, total): compares trees whatever the frame table's order. */
function nodes(t: FlameTree): string[] {
  const frame = (f: number) =>
    [
      t.strings[t.frameName[f]!],
      t.strings[t.frameFile[f]!],
      t.frameLine[f],
      t.frameKind[f],
      t.strings[t.frameModule[f]!],
    ].join(":");
  const out: string[] = [];
  const path: string[] = [];
  for (let i = 0; i < t.nodeFrame.length; i++) {
    path.length = t.nodeDepth[i]!;
    path.push(frame(t.nodeFrame[i]!));
    out.push(
      `${path.join(";")} p=${t.nodeParent[i]} d=${t.nodeDepth[i]} self=${t.nodeSelf[i]} total=${t.nodeTotal[i]}`,
    );
  }
  return out;
}

describe("ProfileColumns", () => {
  const profiles = [serverProfile({ search: 90, send: 7, idle: 3 }), randomProfile(1, 400), randomProfile(7, 3000)];

  it("builds the same tree as buildFlameTree: plain, split by thread, by line, another sample type", () => {
    for (const p of profiles) {
      const c = columnsFromProfile(p);
      for (const opts of [{}, { groupBy: "thread_name" }, { byLine: true }, { groupBy: "tid", byLine: true }]) {
        const want = buildFlameTree(p, opts);
        const got = buildColumnsTree(c, opts);
        expect(nodes(got)).toEqual(nodes(want));
        expect(got.nodeTotal[0]).toBe(want.nodeTotal[0]);
      }
      if (p.sampleTypes.length > 1) {
        expect(nodes(buildColumnsTree(c, { valueIndex: 1 }))).toEqual(nodes(buildFlameTree(p, { valueIndex: 1 })));
      }
    }
  });

  it("gives the same top table as topFunctions", () => {
    for (const p of profiles) {
      const c = columnsFromProfile(p);
      expect(topFunctionsColumns(c)).toEqual(topFunctions(p));
      expect(topFunctionsColumns(c, { byLine: true })).toEqual(topFunctions(p, { byLine: true }));
    }
  });

  it("survives encode/decode, including at an unaligned offset, and turns back into the same profile", () => {
    const p = randomProfile(3, 500);
    const c = columnsFromProfile(p);
    const bytes = encodeColumns(c);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    for (const b of [bytes, shifted.subarray(3)]) {
      const d = decodeColumns(b);
      expect(nodes(buildColumnsTree(d, { groupBy: "thread_name" }))).toEqual(
        nodes(buildFlameTree(p, { groupBy: "thread_name" })),
      );
      const back = columnsToProfile(d);
      expect(back.frames).toEqual(p.frames);
      expect(back.samples.map((s) => [s.stack, s.values, s.labels])).toEqual(
        p.samples.map((s) => [s.stack, s.values, s.labels]),
      );
      expect(back.sampleTypes).toEqual(p.sampleTypes);
    }
    expect(() => decodeColumns(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated/);
    expect(() => decodeColumns(new Uint8Array(16))).toThrow(/bad magic/);
  });

  it("an empty profile is an empty tree", () => {
    const p = new ProfileBuilder([{ type: "cpu", unit: "count" }]).build();
    const t = buildColumnsTree(decodeColumns(encodeColumns(columnsFromProfile(p))));
    expect(t.nodeTotal.length).toBe(1);
    expect(t.nodeTotal[0]).toBe(0);
  });

  it("LineResolver reads lines from columns as from the profile", () => {
    const p = randomProfile(11, 800);
    for (const groupBy of [undefined, "thread_name"]) {
      const tree = buildFlameTree(p, { groupBy });
      const fromProfile = new LineResolver(tree, [{ profile: p }], groupBy);
      const fromColumns = new LineResolver(tree, [{ profile: columnsFromProfile(p) }], groupBy);
      for (let n = 1; n < tree.nodeFrame.length; n += 7) expect(fromColumns.linesOf(n)).toEqual(fromProfile.linesOf(n));
    }
  });
});
