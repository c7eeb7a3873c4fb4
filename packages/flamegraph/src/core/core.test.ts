import { describe, expect, it } from "vitest";
import { SLOW_SERVER, treeFromFolded } from "../test-utils/fixture.js";
import { DIFF_EPSILON, DIFF_GREY, diffColor, hslToRgb, kindColor } from "./color.js";
import { computeLayout, hitTest, nodeRect } from "./layout.js";
import { formatPercent, matchedValueWithin, searchTree } from "./search.js";
import { diffStatus, indexTree, namePath, nodeName, resolveNamePath } from "./tree.js";
import { DEFAULT_VIEW_STATE, parseViewState, type ViewState, writeViewState } from "./url-state.js";

const find = (ix: ReturnType<typeof indexTree>, name: string): number => {
  for (let i = 0; i < ix.n; i++) if (nodeName(ix.tree, i) === name) return i;
  throw new Error(`no node ${name}`);
};

describe("layout", () => {
  const ix = indexTree(treeFromFolded("a;b 30\na;c 10\nd 60"));
  it("packs siblings left to right proportionally to totals", () => {
    const l = computeLayout(ix, { zoom: 0, mode: "icicle", width: 1000, rowHeight: 20 });
    expect(l.rows).toBe(3);
    expect(nodeRect(l, find(ix, "a"))).toEqual({ x: 0, y: 20, w: 400, h: 20 });
    expect(nodeRect(l, find(ix, "c"))).toEqual({ x: 300, y: 40, w: 100, h: 20 });
    expect(nodeRect(l, find(ix, "d"))).toEqual({ x: 400, y: 20, w: 600, h: 20 });
  });
  it("puts the root at the bottom in flame mode and on top in icicle mode", () => {
    const f = computeLayout(ix, { zoom: 0, mode: "flame", width: 1000, rowHeight: 20 });
    const i = computeLayout(ix, { zoom: 0, mode: "icicle", width: 1000, rowHeight: 20 });
    expect(nodeRect(f, 0)!.y).toBe(40);
    expect(nodeRect(i, 0)!.y).toBe(0);
    expect(nodeRect(f, find(ix, "b"))!.y).toBe(0);
  });
  it("zoom stretches the subtree to full width, keeps ancestors full width, hides the rest", () => {
    const a = find(ix, "a");
    const l = computeLayout(ix, { zoom: a, mode: "icicle", width: 1000, rowHeight: 20 });
    expect(nodeRect(l, 0)).toEqual({ x: 0, y: 0, w: 1000, h: 20 });
    expect(nodeRect(l, a)!.w).toBe(1000);
    expect(nodeRect(l, find(ix, "b"))).toEqual({ x: 0, y: 40, w: 750, h: 20 });
    expect(nodeRect(l, find(ix, "d"))).toBeNull();
  });
  it("hit testing finds the frame under the pointer in both orientations", () => {
    for (const mode of ["flame", "icicle"] as const) {
      const l = computeLayout(ix, { zoom: 0, mode, width: 1000, rowHeight: 20 });
      for (const name of ["a", "b", "c", "d", "all"]) {
        const n = find(ix, name);
        const r = nodeRect(l, n)!;
        expect(hitTest(l, r.x + r.w / 2, r.y + r.h / 2)).toBe(n);
        expect(hitTest(l, r.x + 0.01, r.y + 0.01)).toBe(n);
      }
      // empty space to the right of b/c ("d" has no children)
      const d = nodeRect(l, find(ix, "d"))!;
      const childRowY = mode === "icicle" ? d.y + 20 : d.y - 20;
      expect(hitTest(l, d.x + 10, childRowY + 5)).toBe(-1);
      expect(hitTest(l, -1, 5)).toBe(-1);
      expect(hitTest(l, 5, 1e6)).toBe(-1);
    }
  });
  it("zoom path by names round-trips to the same node", () => {
    const c = find(ix, "c");
    expect(namePath(ix, c)).toEqual(["a", "c"]);
    expect(resolveNamePath(ix, ["a", "c"])).toEqual({ node: c, complete: true });
    expect(resolveNamePath(ix, ["a", "zz"])).toEqual({ node: find(ix, "a"), complete: false });
  });
});

describe("diff layout: frames only in the baseline stay visible", () => {
  // before (100): main;old 40, main;kept 60. after (200): main;kept 150, main;fresh 50.
  const ix = indexTree(treeFromFolded("main;kept 150\nmain;fresh 50", "main;old 40\nmain;kept 60"));
  const l = computeLayout(ix, { zoom: 0, mode: "icicle", width: 1000, rowHeight: 20 });
  const main = find(ix, "main");
  const old = find(ix, "old");
  it("a removed frame is as wide as its baseline share of the target total, ancestors widen to fit", () => {
    expect(ix.diffScale).toBe(2);
    // old had 40% of the baseline: 80 units in a 200-unit target; main widens from 200 to 280
    expect(ix.width[old]).toBe(80);
    expect(ix.width[main]).toBe(280);
    expect(ix.width[0]).toBe(280);
    const r = nodeRect(l, old)!;
    expect(r.w).toBeCloseTo((80 / 280) * 1000, 6);
    // siblings do not overlap and fill their parent exactly
    const names = ["fresh", "kept", "old"].map((n) => nodeRect(l, find(ix, n))!);
    expect(names[0]!.x).toBe(0);
    expect(names[1]!.x).toBeCloseTo(names[0]!.w, 6);
    expect(names[2]!.x).toBeCloseTo(names[0]!.w + names[1]!.w, 6);
    expect(names[2]!.x + names[2]!.w).toBeCloseTo(1000, 6);
  });
  it("the numbers stay real: totals, search share and status", () => {
    expect(ix.total).toBe(200);
    expect(ix.tree.nodeTotal[old]).toBe(0);
    expect(diffStatus(ix.tree, old)).toBe("removed");
    expect(diffStatus(ix.tree, find(ix, "fresh"))).toBe("new");
    expect(diffStatus(ix.tree, find(ix, "kept"))).toBe("both");
    expect(diffStatus(ix.tree, 0)).toBeNull();
    expect(searchTree(ix, { text: "kept", regex: false, caseSensitive: true })!.share).toBe(0.75);
    expect(searchTree(ix, { text: "old", regex: false, caseSensitive: true })!.share).toBe(0);
    expect(searchTree(ix, { text: "main", regex: false, caseSensitive: true })!.share).toBe(1);
  });
  it("hit testing and zoom work on the widened layout", () => {
    for (const n of [main, old, find(ix, "kept"), find(ix, "fresh")]) {
      const r = nodeRect(l, n)!;
      expect(hitTest(l, r.x + r.w / 2, r.y + r.h / 2)).toBe(n);
      expect(hitTest(l, r.x + r.w - 0.01, r.y + 1)).toBe(n);
    }
    const z = computeLayout(ix, { zoom: old, mode: "icicle", width: 1000, rowHeight: 20 });
    expect(nodeRect(z, old)).toEqual({ x: 0, y: 40, w: 1000, h: 20 });
    expect(nodeRect(z, find(ix, "kept"))).toBeNull();
    const zm = computeLayout(ix, { zoom: main, mode: "icicle", width: 1000, rowHeight: 20 });
    expect(nodeRect(zm, old)!.w).toBeCloseTo((80 / 280) * 1000, 6);
  });
  it("outside a diff the layout width is the total itself (no copy)", () => {
    const plain = indexTree(treeFromFolded("a;b 3"));
    expect(plain.width).toBe(plain.tree.nodeTotal);
    expect(plain.diffScale).toBe(0);
  });
});

describe("search", () => {
  const ix = indexTree(treeFromFolded(SLOW_SERVER));
  it("reports the share of the handler like the tutorial (substring, case-insensitive)", () => {
    const r = searchTree(ix, { text: "useridsearchhandler", regex: false, caseSensitive: false })!;
    expect(r.count).toBe(1);
    expect(r.share).toBeCloseTo(0.94);
    expect(formatPercent(r.share)).toBe("94.00%");
  });
  it("case-sensitive search misses wrong case", () => {
    expect(searchTree(ix, { text: "useridsearchhandler", regex: false, caseSensitive: true })!.count).toBe(0);
  });
  it("counts nested matches once", () => {
    // "_" matches _run_module_as_main, its descendants _handle_request_noblock, search_user, send_response...
    const r = searchTree(ix, { text: "_", regex: false, caseSensitive: false })!;
    expect(r.count).toBeGreaterThan(3);
    expect(r.share).toBe(1);
  });
  it("regex mode, and an invalid regex gives an actionable error", () => {
    const r = searchTree(ix, { text: "^(search|send)_", regex: true, caseSensitive: false })!;
    expect(r.share).toBeCloseTo(0.94);
    const bad = searchTree(ix, { text: "(", regex: true, caseSensitive: false })!;
    expect(bad.error).toMatch(/Invalid regular expression.*turn off regex/);
    expect(bad.count).toBe(0);
  });
  it("treats regex metacharacters literally in substring mode", () => {
    expect(searchTree(ix, { text: "do_GET.", regex: false, caseSensitive: false })!.count).toBe(0);
    expect(searchTree(ix, { text: "Handler.do_GET", regex: false, caseSensitive: false })!.count).toBe(1);
  });
  it("share within the zoomed frame", () => {
    const r = searchTree(ix, { text: "search_user", regex: false, caseSensitive: true })!;
    const h = find(ix, "UserIDSearchHandler.do_GET");
    expect(matchedValueWithin(ix, r, h) / ix.tree.nodeTotal[h]!).toBeCloseTo(90 / 94);
  });
  it("empty query means no search", () => {
    expect(searchTree(ix, { text: "", regex: false, caseSensitive: false })).toBeNull();
  });
});

describe("colours", () => {
  it("kind colours are stable per name and differ by kind family", () => {
    expect(kindColor("python", "search_user")).toBe(kindColor("python", "search_user"));
    const [pr, pg] = hslToRgb(kindColor("python", "search_user"));
    const [nr, ng] = hslToRgb(kindColor("native", "memcpy"));
    expect(pg).toBeGreaterThan(pr); // greenish
    expect(nr).toBeGreaterThan(ng); // warm
    const [, , kb] = hslToRgb(kindColor("kernel", "do_syscall_64"));
    const [kr] = hslToRgb(kindColor("kernel", "do_syscall_64"));
    expect(kb).toBeGreaterThan(kr); // blue
  });
  it("diff: grew is red, shrank is blue, tiny change is grey, saturation grows with magnitude", () => {
    expect(diffColor(0.5, 0.5 + DIFF_EPSILON / 2).color).toBe(DIFF_GREY);
    const grew = hslToRgb(diffColor(0.2, 0.5).color);
    expect(grew[0]).toBeGreaterThan(grew[2] + 100);
    const shrank = hslToRgb(diffColor(0.96, 0.26).color);
    expect(shrank[2]).toBeGreaterThan(shrank[0] + 100);
    const small = diffColor(0.2, 0.21);
    const big = diffColor(0.2, 0.25);
    expect(big.intensity).toBeGreaterThan(small.intensity);
    expect(diffColor(0.3, 0.1).intensity).toBe(-1);
  });
});

describe("URL state", () => {
  it("round-trips every field exactly, including awkward names", () => {
    const s: ViewState = {
      tab: "sandwich",
      mode: "flame",
      search: "a&b=c #?/ </script>",
      regex: true,
      caseSensitive: true,
      zoom: ["_run_module_as_main", "run", "UserIDSearchHandler.do_GET", "a;b", ""],
      groupBy: "thread_name",
      byLine: true,
      sandwich: "search_user",
      sort: "total",
      baseline: "prof-42",
    };
    const q = writeViewState(s, "other=1&x=%20y");
    expect(parseViewState(q)).toEqual(s);
    expect(new URLSearchParams(q).get("other")).toBe("1");
    expect(new URLSearchParams(q).get("x")).toBe(" y");
    expect(parseViewState(`?${q}`)).toEqual(s);
  });
  it("defaults produce an empty query and parse back to defaults", () => {
    expect(writeViewState({ ...DEFAULT_VIEW_STATE })).toBe("");
    expect(parseViewState("")).toEqual(DEFAULT_VIEW_STATE);
  });
  it("prefix isolates the viewer's keys from the host page's", () => {
    const s = { ...DEFAULT_VIEW_STATE, search: "x", zoom: ["a"] };
    const q = writeViewState(s, "q=host", "fg.");
    expect(new URLSearchParams(q).get("q")).toBe("host");
    expect(parseViewState(q, "fg.")).toEqual(s);
  });
  it("by-line mode is one short key, absent by default", () => {
    expect(writeViewState({ ...DEFAULT_VIEW_STATE, byLine: true })).toBe("line=1");
    expect(parseViewState("line=1").byLine).toBe(true);
    expect(parseViewState("line=0").byLine).toBe(false);
  });
  it("ignores invalid values", () => {
    expect(parseViewState("tab=bogus&mode=sideways").tab).toBe("flame");
  });
});
