import { buildDiffFlameTree, buildFlameTree, type Profile, ProfileBuilder } from "@perforator/profile";
import { describe, expect, it } from "vitest";
import { pyAt as py } from "../test-utils/profiles.js";
import { LineResolver, matchingValueIndex } from "./lines.js";
import { indexTree, nodeName, pathTo } from "./tree.js";

/** do_GET calls search_user from line 48; search_user spends 80 samples on line 24 and 20 on line 25. */
function profile(opts: { line24: number; line25: number; callerLine?: number; extra?: number }): Profile {
  const b = new ProfileBuilder([{ type: "cpu", unit: "count" }]);
  const caller = py("do_GET", opts.callerLine ?? 48);
  if (opts.line24) b.addFrames([py("run", 60), caller, py("search_user", 24)], [opts.line24], { thread_name: "main" });
  if (opts.line25) b.addFrames([py("run", 60), caller, py("search_user", 25)], [opts.line25], { thread_name: "main" });
  // the same function under another caller, always at line 30
  b.addFrames([py("run", 61), py("warmup", 10), py("search_user", 30)], [opts.extra ?? 5], { thread_name: "warm" });
  return b.build();
}

function nodeAt(ix: ReturnType<typeof indexTree>, names: string[]): number {
  for (let i = 1; i < ix.n; i++) {
    if (
      pathTo(ix, i)
        .map((n) => nodeName(ix.tree, n))
        .join(";") === names.join(";")
    )
      return i;
  }
  throw new Error(`no node ${names.join(";")}`);
}

describe("LineResolver (per-function trees)", () => {
  const p = profile({ line24: 80, line25: 20 });
  const ix = indexTree(buildFlameTree(p));
  const r = new LineResolver(ix.tree, [{ profile: p }]);
  it("gives each line's value for a node whose samples hit several lines, heaviest first", () => {
    expect(r.linesOf(nodeAt(ix, ["run", "do_GET", "search_user"]))).toEqual({
      lines: [
        { line: 24, value: 80 },
        { line: 25, value: 20 },
      ],
      value: 100,
    });
  });
  it("gives the one line when all of a node's samples share it, per path (not per function)", () => {
    expect(r.linesOf(nodeAt(ix, ["run", "warmup", "search_user"]))).toEqual({
      lines: [{ line: 30, value: 5 }],
      value: 5,
    });
    expect(r.linesOf(nodeAt(ix, ["run", "do_GET"]))!.lines).toEqual([{ line: 48, value: 100 }]);
    // "run" is at line 60 under do_GET and 61 under warmup
    expect(r.linesOf(nodeAt(ix, ["run"]))!.lines.map((l) => l.line)).toEqual([60, 61]);
    expect(r.linesOf(0)).toBeNull();
  });
  it("follows a split by thread (synthetic first level)", () => {
    const g = indexTree(buildFlameTree(p, { groupBy: "thread_name" }));
    const rg = new LineResolver(g.tree, [{ profile: p }], "thread_name");
    expect(rg.linesOf(nodeAt(g, ["thread_name=warm", "run"]))!.lines).toEqual([{ line: 61, value: 5 }]);
    expect(rg.linesOf(nodeAt(g, ["thread_name=main", "run"]))!.lines).toEqual([{ line: 60, value: 100 }]);
    expect(rg.linesOf(nodeAt(g, ["thread_name=main"]))).toBeNull();
  });
  it("in a diff, reads lines from the target first", () => {
    const before = profile({ line24: 0, line25: 50, callerLine: 47 });
    const after = profile({ line24: 30, line25: 0 });
    const d = indexTree(buildDiffFlameTree(before, after));
    const rd = new LineResolver(d.tree, [
      { profile: after },
      { profile: before, valueIndex: matchingValueIndex(before, after) },
    ]);
    const su = nodeAt(d, ["run", "do_GET", "search_user"]);
    expect(rd.linesOf(su)!.lines).toEqual([{ line: 24, value: 30 }]);
    expect(rd.linesOf(nodeAt(d, ["run", "do_GET"]))!.lines).toEqual([{ line: 48, value: 30 }]);
  });
  it("in a diff, reads a removed frame's lines from the baseline", () => {
    const b = new ProfileBuilder([{ type: "cpu", unit: "count" }]);
    b.addFrames([py("run", 60), py("legacy_lookup", 70)], [40]);
    b.addFrames([py("run", 60), py("legacy_lookup", 71)], [10]);
    const before = b.build();
    const after = profile({ line24: 30, line25: 0 });
    const d = indexTree(buildDiffFlameTree(before, after));
    const rd = new LineResolver(d.tree, [
      { profile: after },
      { profile: before, valueIndex: matchingValueIndex(before, after) },
    ]);
    const legacy = nodeAt(d, ["run", "legacy_lookup"]);
    expect(d.tree.nodeTotal[legacy]).toBe(0);
    expect(rd.linesOf(legacy)).toEqual({
      lines: [
        { line: 70, value: 40 },
        { line: 71, value: 10 },
      ],
      value: 50,
    });
  });
});
