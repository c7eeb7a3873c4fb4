import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { requirePython } from "./interpreters.js";
import { decodeLineTable, displayLine, lineForOffset } from "./linetable.js";

/** Dumps co_linetable + co_lines() of every code object of the first stdlib modules, as JSON. */
const DUMP = `
import glob, json, os, sys, types
def codes(co):
    yield co
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            yield from codes(c)
lib = os.path.dirname(os.__file__)
out = []
for path in sorted(glob.glob(lib + "/*.py"))[:int(sys.argv[1])]:
    try:
        top = compile(open(path, "rb").read(), path, "exec")
    except Exception:
        continue
    for co in codes(top):
        out.append([co.co_qualname, co.co_linetable.hex(), co.co_firstlineno, len(co.co_code),
                    [[s, e, l] for s, e, l in co.co_lines()]])
json.dump({"version": sys.version.split()[0], "codes": out}, sys.stdout)
`;

// The interpreters this suite covers (a missing one fails its test with the command that installs it).
const PYTHONS = ["3.11.7", "3.12.1", "3.13.0", "debian-3.11"];

type Dump = { version: string; codes: [string, string, number, number, [number, number, number | null][]][] };

describe.each(PYTHONS)("location table decoder vs co_lines() of %s", (spec) => {
  it("gives co_lines()'s line for every code unit of stdlib code objects", () => {
    const python = requirePython(spec).executable;
    const dump = JSON.parse(execFileSync(python, ["-c", DUMP, "50"], { encoding: "utf8", maxBuffer: 1 << 30 })) as Dump;
    let units = 0;
    let noLocation = 0;
    let mismatches = 0;
    const examples: string[] = [];
    for (const [qualname, hex, first, codeLen, lines] of dump.codes) {
      const entries = decodeLineTable(Buffer.from(hex, "hex"), first);
      // The table covers exactly co_code.
      expect(entries.length === 0 ? 0 : entries[entries.length - 1]!.end).toBe(codeLen);
      for (const [start, end, line] of lines) {
        for (let off = start; off < end; off += 2) {
          units++;
          if (line === null) noLocation++;
          const got = lineForOffset(entries, off, first);
          if (got !== line) {
            mismatches++;
            if (examples.length < 5) examples.push(`${qualname}@${off}: got ${got}, co_lines ${line}`);
          }
          // What the profiler shows is always a real line.
          const shown = displayLine(entries, off, first);
          if (!(shown > 0) && examples.length < 5) examples.push(`${qualname}@${off}: shows ${shown}`);
        }
      }
    }
    expect(examples).toEqual([]);
    expect(mismatches).toBe(0);
    expect(dump.codes.length).toBeGreaterThan(1000);
    expect(units).toBeGreaterThan(50_000);
    expect(noLocation).toBeGreaterThan(0); // the tricky code-15 entries were exercised
  });
});

describe("displayLine", () => {
  it("uses co_firstlineno for a frame that has not started (-2) and the running line for no-location units", () => {
    // firstlineno 10; entry 1: one-line form delta +2 (line 12), 2 units; entry 2: no location, 1 unit;
    // entry 3: short form (line 12 again), 1 unit.
    const table = Uint8Array.from([0x80 | (12 << 3) | 1, 0, 0, 0x80 | (15 << 3) | 0, 0x80 | (0 << 3) | 0, 0]);
    const e = decodeLineTable(table, 10);
    expect(e.map((x) => x.line)).toEqual([12, null, 12]);
    expect(displayLine(e, -2, 10)).toBe(10);
    expect(displayLine(e, 0, 10)).toBe(12);
    expect(lineForOffset(e, 4, 10)).toBeNull();
    expect(displayLine(e, 4, 10)).toBe(12);
    expect(displayLine(e, 100, 10)).toBe(10);
  });

  it("decodes negative and multi-byte svarint deltas (long form)", () => {
    // no-columns form (13) with delta +100 → svarint 200 = 0b11_001000: chunks 8 | 64 (continue), 3
    // then no-columns with delta -7 → svarint 15
    const table = Uint8Array.from([0x80 | (13 << 3), 8 | 64, 3, 0x80 | (14 << 3), 15, 0, 1, 1]);
    const e = decodeLineTable(table, 1);
    expect(e.map((x) => x.line)).toEqual([101, 94]);
  });
});
