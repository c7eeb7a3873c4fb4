import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toFolded } from "../exporters/folded.js";
import { ProfileBuilder, totalValue } from "../model.js";
import { arbProfile } from "../test-utils/arb.js";
import { parseFolded } from "./folded.js";

// What py-spy's raw output and stackcollapse-perf give for the tutorial server.
const FIXTURE = `# recorded with perforator, 99 Hz
<module> (/srv/server.py:58);run (/srv/server.py:53);serve_forever (/usr/lib/python3.12/socketserver.py:235);_handle_request_noblock (/usr/lib/python3.12/socketserver.py:318);do_GET (/srv/server.py:33);search_user (/srv/server.py:22) 812
<module> (/srv/server.py:58);run (/srv/server.py:53);serve_forever (/usr/lib/python3.12/socketserver.py:235);_handle_request_noblock (/usr/lib/python3.12/socketserver.py:318);do_GET (/srv/server.py:33);search_user (/srv/server.py:21) 170
<module> (/srv/server.py:58);run (/srv/server.py:53);serve_forever (/usr/lib/python3.12/socketserver.py:235);select (/usr/lib/python3.12/selectors.py:415);__poll;entry_SYSCALL_64_[k];do_sys_poll_[k] 9
<module> (/srv/server.py:58);run (/srv/server.py:53);serve_forever (/usr/lib/python3.12/socketserver.py:235);select (/usr/lib/python3.12/selectors.py:415);__poll;entry_SYSCALL_64_[k];do_sys_poll_[k] 3
`;

describe("parseFolded", () => {
  it("reads python, native and kernel frames with files and lines", () => {
    const p = parseFolded(FIXTURE);
    expect(totalValue(p)).toBe(994);
    expect(p.samples).toHaveLength(3); // duplicate line merged
    const search = p.frames.filter((f) => f.name === "search_user");
    expect(search.map((f) => f.line).sort()).toEqual([21, 22]);
    expect(search[0]).toMatchObject({ kind: "python", file: "/srv/server.py" });
    expect(p.frames.find((f) => f.name === "__poll")).toMatchObject({ kind: "native", file: "", line: 0 });
    expect(p.frames.find((f) => f.name === "do_sys_poll")).toMatchObject({ kind: "kernel" });
    const kernelSample = p.samples.find((s) => s.stack.some((i) => p.frames[i]!.name === "do_sys_poll"))!;
    expect(kernelSample.values).toEqual([12]);
    // root first
    expect(p.frames[kernelSample.stack[0]!]!.name).toBe("<module>");
  });

  it("names the line and shows the text of a malformed line", () => {
    expect(() => parseFolded("a;b 3\na;b;c\n", { filename: "x.folded" })).toThrow(/x\.folded, line 2: .*"a;b;c"/);
    expect(() => parseFolded("a;b -4\n")).toThrow(/line 1/);
  });

  it("accepts CRLF, blank lines and bytes", () => {
    const p = parseFolded(new TextEncoder().encode("a;b 2\r\n\r\na 1\r\n"));
    expect(totalValue(p)).toBe(3);
    expect(toFolded(p)).toBe("a 1\na;b 2\n");
  });

  it("round-trips folded → model → folded exactly", () => {
    fc.assert(
      fc.property(arbProfile(), (p) => {
        const text = toFolded(p, { valueIndex: 0 });
        expect(toFolded(parseFolded(text))).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it("round-trips the fixture after normalisation", () => {
    const once = toFolded(parseFolded(FIXTURE));
    expect(toFolded(parseFolded(once))).toBe(once);
    expect(once.split("\n")[0]).toMatch(/^<module> \(\/srv\/server\.py:58\);run/);
    expect(once).toContain(";__poll;entry_SYSCALL_64_[k];do_sys_poll_[k] 12\n");
  });
});

describe("toFolded", () => {
  it("sums stacks that print the same (one symbol in two modules, different labels)", () => {
    const b = new ProfileBuilder([{ type: "samples", unit: "count" }]);
    const f = (module: string) => ({ name: "PyObject_Call", file: "", line: 0, kind: "native" as const, module });
    b.addFrames([f("libpython3.12.so.1.0")], [2], { tid: "1" });
    b.addFrames([f("")], [3], { tid: "2" });
    b.addFrames([f("")], [4], { tid: "3" });
    expect(toFolded(b.build())).toBe("PyObject_Call 9\n");
  });
});
