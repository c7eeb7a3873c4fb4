import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toFolded } from "../exporters/folded.js";
import { parseFolded } from "../importers/folded.js";
import { ProfileBuilder, totalValue } from "../model.js";
import { arbProfile } from "../test-utils/arb.js";
import { type CallTreeNode, callTree } from "./call-tree.js";
import { topFunctionsDiff } from "./diff.js";
import { dropFrames, filterByLabel, groupByLabel } from "./filter.js";
import { sandwich } from "./sandwich.js";
import { topFunctions } from "./top.js";

const SERVER = parseFolded(`main (/srv/server.py:58);do_GET (/srv/server.py:33);search_user (/srv/server.py:22) 80
main (/srv/server.py:58);do_GET (/srv/server.py:33);search_user (/srv/server.py:21) 10
main (/srv/server.py:58);do_GET (/srv/server.py:40);send_response (/usr/lib/python3.12/http/server.py:498) 6
main (/srv/server.py:58);select (/usr/lib/python3.12/selectors.py:415);do_sys_poll_[k] 4
`);

// The fixed server: bisect instead of a linear scan.
const FIXED =
  parseFolded(`main (/srv/server.py:58);do_GET (/srv/server.py:33);search_user (/srv/server.py:20);bisect_left 2
main (/srv/server.py:58);do_GET (/srv/server.py:40);send_response (/usr/lib/python3.12/http/server.py:498) 6
main (/srv/server.py:58);select (/usr/lib/python3.12/selectors.py:415);do_sys_poll_[k] 12
`);

describe("topFunctions", () => {
  it("gives self and total per function, lines merged unless byLine", () => {
    const rows = topFunctions(SERVER);
    expect(rows[0]).toMatchObject({ name: "search_user", self: 90, total: 90, line: 0, kind: "python" });
    expect(rows.find((r) => r.name === "do_GET")).toMatchObject({ self: 0, total: 96 });
    expect(rows.find((r) => r.name === "main")).toMatchObject({ total: 100 });
    expect(rows.find((r) => r.name === "do_sys_poll")).toMatchObject({ kind: "kernel", self: 4 });
    const lines = topFunctions(SERVER, { byLine: true }).filter((r) => r.name === "search_user");
    expect(lines.map((r) => [r.line, r.self])).toEqual([
      [22, 80],
      [21, 10],
    ]);
  });

  it("counts a recursive function once per stack for total", () => {
    const p = parseFolded("main;fib;fib;fib 5\nmain;fib 1\n");
    const fib = topFunctions(p).find((r) => r.name === "fib")!;
    expect(fib.total).toBe(6);
    expect(fib.self).toBe(6);
  });

  it("never reports a total above the profile total or below self", () => {
    fc.assert(
      fc.property(arbProfile(), (p) => {
        const t = totalValue(p);
        for (const r of topFunctions(p)) {
          expect(r.total).toBeLessThanOrEqual(t);
          expect(r.self).toBeLessThanOrEqual(r.total);
        }
      }),
    );
  });
});

describe("topFunctionsDiff", () => {
  it("is all zero when a profile is compared with itself", () => {
    fc.assert(
      fc.property(arbProfile(), (p) => {
        for (const r of topFunctionsDiff(p, p)) {
          expect(r.selfDelta).toBe(0);
          expect(r.totalDelta).toBe(0);
        }
      }),
    );
  });

  it("shows the fix: search_user drops from 90% to 10% of the profile", () => {
    const rows = topFunctionsDiff(SERVER, FIXED);
    const search = rows.find((r) => r.name === "search_user")!;
    expect(search.beforeTotalShare).toBeCloseTo(0.9);
    expect(search.afterTotalShare).toBeCloseTo(0.1);
    expect(search.totalDelta).toBeCloseTo(-0.8);
    expect(rows[0]!.name === "search_user" || rows[0]!.name === "do_GET").toBe(true);
    const bisect = rows.find((r) => r.name === "bisect_left")!;
    expect(bisect.beforeTotal).toBe(0);
    expect(bisect.afterSelfShare).toBeCloseTo(0.1);
  });
});

describe("callTree", () => {
  it("has total = self + children everywhere and the profile total at the root", () => {
    fc.assert(
      fc.property(arbProfile(), (p) => {
        const root = callTree(p);
        expect(root.total).toBe(totalValue(p));
        const check = (n: CallTreeNode) => {
          expect(n.total).toBe(n.self + n.children.reduce((a, c) => a + c.total, 0));
          n.children.forEach(check);
        };
        check(root);
      }),
    );
  });

  it("sorts children by total", () => {
    const root = callTree(SERVER);
    const main = root.children[0]!;
    expect(main.children.map((c) => [c.name, c.total])).toEqual([
      ["do_GET", 96],
      ["select", 4],
    ]);
  });
});

describe("sandwich", () => {
  it("roots callees and callers at the function", () => {
    const { callers, callees } = sandwich(SERVER, { name: "do_GET" });
    expect(toFolded(callees)).toBe(
      "do_GET (/srv/server.py);search_user (/srv/server.py:21) 10\n" +
        "do_GET (/srv/server.py);search_user (/srv/server.py:22) 80\n" +
        "do_GET (/srv/server.py);send_response (/usr/lib/python3.12/http/server.py:498) 6\n",
    );
    expect(toFolded(callers)).toBe("do_GET (/srv/server.py);main (/srv/server.py:58) 96\n");
  });

  it("counts recursion once: callees from the outermost call, callers from the innermost", () => {
    const p = parseFolded("main;a;f;g;f;h 3\nmain;f 1\nmain;other 5\n");
    const { callers, callees } = sandwich(p, { name: "f" });
    expect(totalValue(callees)).toBe(4);
    expect(toFolded(callees)).toBe("f 1\nf;g;f;h 3\n");
    expect(toFolded(callers)).toBe("f;g;f;a;main 3\nf;main 1\n");
  });

  it("returns empty profiles for an unknown function and filters by file", () => {
    expect(totalValue(sandwich(SERVER, { name: "nope" }).callees)).toBe(0);
    expect(totalValue(sandwich(SERVER, { name: "do_GET", file: "/other.py" }).callers)).toBe(0);
  });
});

describe("filters", () => {
  const b = new ProfileBuilder([{ type: "samples", unit: "count" }]);
  const f = (name: string) => ({ name, file: "", line: 0, kind: "native" as const, module: "" });
  b.addFrames([f("main"), f("work")], [5], { tid: "1", thread_name: "MainThread" });
  b.addFrames([f("main"), f("poll")], [3], { tid: "2", thread_name: "worker-1" });
  b.addFrames([f("idle")], [2], {});
  const p = b.build();

  it("filterByLabel keeps the matching samples and only their frames", () => {
    const w = filterByLabel(p, "thread_name", ["worker-1"]);
    expect(totalValue(w)).toBe(3);
    expect(w.frames.map((x) => x.name).sort()).toEqual(["main", "poll"]);
    expect(totalValue(filterByLabel(p, "tid", (v) => v === undefined))).toBe(2);
  });

  it("dropFrames removes frames and keeps the values", () => {
    const d = dropFrames(p, /^(main|idle)$/);
    expect(totalValue(d)).toBe(10);
    expect(toFolded(d)).toBe(" 2\npoll 3\nwork 5\n");
  });

  it("groupByLabel splits by value", () => {
    const g = groupByLabel(p, "tid", "none");
    expect([...g.keys()]).toEqual(["1", "2", "none"]);
    expect([...g.values()].map((x) => totalValue(x))).toEqual([5, 3, 2]);
  });
});
