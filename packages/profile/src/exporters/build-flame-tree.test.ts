import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FlameTree, FRAME_KINDS } from "../flame-tree-format.js";
import { parseFolded } from "../importers/folded.js";
import { type Profile, ProfileBuilder, totalValue } from "../model.js";
import { type CallTreeNode, callTree } from "../ops/call-tree.js";
import { arbProfile } from "../test-utils/arb.js";
import { buildDiffFlameTree, buildFlameTree } from "./build-flame-tree.js";

const name = (t: FlameTree, i: number) => t.strings[t.frameName[t.nodeFrame[i]!]!]!;

/** Structural invariants every FlameTree must satisfy. */
function checkTree(t: FlameTree) {
  const n = t.nodeFrame.length;
  expect(t.strings[0]).toBe("");
  expect(name(t, 0)).toBe("all");
  expect(t.nodeParent[0]).toBe(-1);
  const childSum = new Float64Array(n);
  const lastChildName = new Map<number, string>();
  for (let i = 1; i < n; i++) {
    const p = t.nodeParent[i]!;
    expect(p).toBeLessThan(i); // pre-order: parent before child
    expect(t.nodeDepth[i]).toBe(t.nodeDepth[p]! + 1);
    childSum[p]! += t.nodeTotal[i]!;
    // siblings sorted by name
    const prev = lastChildName.get(p);
    if (prev !== undefined) expect(prev <= name(t, i)).toBe(true);
    lastChildName.set(p, name(t, i));
    // pre-order: the previous node is the parent or inside the previous sibling's subtree
    let q = i - 1;
    while (q !== p && q !== -1) q = t.nodeParent[q]!;
    expect(q).toBe(p);
  }
  for (let i = 0; i < n; i++) {
    expect(t.nodeTotal[i]).toBeCloseTo(t.nodeSelf[i]! + childSum[i]!, 6);
  }
}

/** path of frame texts → "total/self" (or the baseline's values) for every node. */
function treePaths(t: FlameTree, baseline = false): Map<string, string> {
  const out = new Map<string, string>();
  const path: string[] = [];
  for (let i = 0; i < t.nodeFrame.length; i++) {
    const f = t.nodeFrame[i]!;
    path.length = t.nodeDepth[i]!;
    path.push(
      `${FRAME_KINDS[t.frameKind[f]!]}:${name(t, i)}:${t.strings[t.frameFile[f]!]}:${t.frameLine[f]}:${t.strings[t.frameModule[f]!]}`,
    );
    const [total, self] = baseline ? [t.nodeBaseTotal![i]!, t.nodeBaseSelf![i]!] : [t.nodeTotal[i]!, t.nodeSelf[i]!];
    if (!baseline || total !== 0) out.set(path.join("/"), `${total}/${self}`);
  }
  return out;
}

function callTreePaths(p: Profile, byLine: boolean): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (n: CallTreeNode, prefix: string) => {
    const k = `${prefix}${prefix ? "/" : ""}${n.kind}:${n.name}:${n.file}:${n.line}:${n.module}`;
    out.set(k, `${n.total}/${n.self}`);
    for (const c of n.children) walk(c, k);
  };
  walk(callTree(p, { byLine }), "");
  return out;
}

/** Thousands of samples over 300 frames, stacks up to 400 deep sharing random prefixes, in random order. */
function bigProfile(seed: number): Profile {
  let x = seed;
  const rnd = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  const b = new ProfileBuilder([{ type: "samples", unit: "count" }]);
  const frames = Array.from({ length: 300 }, (_, i) => ({
    name: `fn_${i % 120}`,
    file: `/srv/m${i % 7}.py`,
    line: 1 + (i % 13),
    kind: "python" as const,
    module: "",
  }));
  const stacks: number[][] = [[0]];
  for (let i = 0; i < 3000; i++) {
    const from = stacks[rnd(stacks.length)]!;
    const s = from.slice(0, 1 + rnd(from.length));
    const add = 1 + rnd(i % 50 === 0 ? 300 : 8);
    for (let k = 0; k < add && s.length < 400; k++) s.push(rnd(frames.length));
    stacks.push(s);
  }
  for (const s of stacks) {
    b.addFrames(
      s.map((i) => frames[i]!),
      [1 + rnd(5)],
    );
  }
  return b.build();
}

describe("buildFlameTree", () => {
  it("totals equal the profile total; every node's total = self + sum(children)", () => {
    fc.assert(
      fc.property(
        arbProfile(),
        fc.boolean(),
        fc.constantFrom(undefined, "thread_name", "tid"),
        (p, byLine, groupBy) => {
          const t = buildFlameTree(p, { byLine, groupBy, valueIndex: 1 });
          expect(t.nodeTotal[0]).toBe(totalValue(p, 1));
          expect(t.sampleType).toBe("cpu");
          expect(t.unit).toBe("nanoseconds");
          checkTree(t);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("agrees with the object call tree (an independent implementation) on every path", () => {
    fc.assert(
      fc.property(arbProfile(), fc.boolean(), (p, byLine) => {
        expect(treePaths(buildFlameTree(p, { byLine }))).toEqual(callTreePaths(p, byLine));
      }),
      { numRuns: 200 },
    );
  });

  it("agrees with the call tree past the initial table and node capacity (thousands of nodes, deep stacks)", () => {
    const p = bigProfile(7);
    const t = buildFlameTree(p, { byLine: true });
    expect(t.nodeFrame.length).toBeGreaterThan(10_000);
    expect(treePaths(t)).toEqual(callTreePaths(p, true));
    const base = bigProfile(8);
    const diff = buildDiffFlameTree(base, p, { byLine: true });
    // Target side: every path of p with its values; the baseline-only paths are there with 0/0.
    expect(new Map([...treePaths(diff)].filter(([, v]) => v !== "0/0"))).toEqual(callTreePaths(p, true));
    expect(treePaths(diff, true)).toEqual(callTreePaths(base, true));
  });

  it("merges the lines of one function into one node unless byLine", () => {
    const p = parseFolded(
      "main (/srv/server.py:58);search_user (/srv/server.py:22) 80\nmain (/srv/server.py:58);search_user (/srv/server.py:21) 10\nmain (/srv/server.py:58);a_[k] 1\n",
    );
    const t = buildFlameTree(p);
    expect(Array.from(t.nodeFrame, (_, i) => name(t, i))).toEqual(["all", "main", "a", "search_user"]);
    expect(Array.from(t.nodeTotal)).toEqual([91, 91, 1, 90]);
    expect(t.frameLine[t.nodeFrame[3]!]).toBe(0);
    expect(FRAME_KINDS[t.frameKind[t.nodeFrame[2]!]!]).toBe("kernel");
    expect(t.strings[t.frameFile[t.nodeFrame[3]!]!]).toBe("/srv/server.py");
    const byLine = buildFlameTree(p, { byLine: true });
    expect(Array.from(byLine.nodeFrame, (_, i) => name(byLine, i))).toEqual([
      "all",
      "main",
      "a",
      "search_user",
      "search_user",
    ]);
    expect(Array.from(byLine.nodeFrame.subarray(3), (f) => byLine.frameLine[f])).toEqual([21, 22]);
  });

  it("groups by a label under the root", () => {
    const p = parseFolded("a;b 3\n");
    const withLabels: Profile = {
      ...p,
      samples: [
        { stack: p.samples[0]!.stack, values: [3], labels: { thread_name: "worker-1" } },
        { stack: p.samples[0]!.stack, values: [2], labels: { thread_name: "MainThread" } },
        { stack: p.samples[0]!.stack, values: [1], labels: {} },
      ],
    };
    const t = buildFlameTree(withLabels, { groupBy: "thread_name" });
    const rows = Array.from(t.nodeFrame, (_, i) => `${t.nodeDepth[i]}:${name(t, i)}:${t.nodeTotal[i]}`);
    expect(rows).toEqual([
      "0:all:6",
      "1:thread_name=(none):1",
      "2:a:1",
      "3:b:1",
      "1:thread_name=MainThread:2",
      "2:a:2",
      "3:b:2",
      "1:thread_name=worker-1:3",
      "2:a:3",
      "3:b:3",
    ]);
    expect(FRAME_KINDS[t.frameKind[t.nodeFrame[1]!]!]).toBe("other");
  });

  it("rejects a value index the profile does not have", () => {
    expect(() => buildFlameTree(parseFolded("a 1\n"), { valueIndex: 3 })).toThrow(/value index 3 .* 1 sample type/);
  });
});

describe("buildDiffFlameTree", () => {
  const before = parseFolded("main;do_GET;search_user 90\nmain;do_GET;send 6\nmain;select 4\n");
  const after = parseFolded("main;do_GET;search_user;bisect 2\nmain;do_GET;send 6\nmain;select 12\n");

  it("unions both trees: target values, raw baseline values, baseline-only nodes kept", () => {
    const t = buildDiffFlameTree(before, after);
    checkTree(t);
    expect(t.baseTotal).toBe(100);
    expect(t.nodeTotal[0]).toBe(20);
    const rows = Array.from(
      t.nodeFrame,
      (_, i) => `${name(t, i)} ${t.nodeTotal[i]}/${t.nodeSelf[i]} base ${t.nodeBaseTotal![i]}/${t.nodeBaseSelf![i]}`,
    );
    expect(rows).toEqual([
      "all 20/0 base 100/0",
      "main 20/0 base 100/0",
      "do_GET 8/0 base 96/0",
      "search_user 2/0 base 90/90",
      "bisect 2/2 base 0/0",
      "send 6/6 base 6/6",
      "select 12/12 base 4/4",
    ]);
  });

  it("keeps nodes that exist only in the baseline with target total 0", () => {
    const t = buildDiffFlameTree(after, before);
    const i = Array.from(t.nodeFrame, (_, k) => name(t, k)).indexOf("bisect");
    expect(t.nodeTotal[i]).toBe(0);
    expect(t.nodeBaseTotal![i]).toBe(2);
  });

  it("a profile diffed with itself has base values equal to target values", () => {
    fc.assert(
      fc.property(arbProfile(), (p) => {
        const t = buildDiffFlameTree(p, p);
        expect(Array.from(t.nodeBaseTotal!)).toEqual(Array.from(t.nodeTotal));
        expect(Array.from(t.nodeBaseSelf!)).toEqual(Array.from(t.nodeSelf));
        expect(t.baseTotal).toBe(t.nodeTotal[0]);
      }),
    );
  });
});
