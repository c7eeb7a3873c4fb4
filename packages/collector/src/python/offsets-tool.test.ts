import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { requirePython } from "./interpreters.js";
import { OFFSETS } from "./offsets.js";

// tools/offsets measures the table of offsets.ts from a CPython version's headers: it must reproduce every row.
const TOOL = fileURLToPath(new URL("../../tools/offsets/offsets.mjs", import.meta.url));
const tool = await import(TOOL);

const tmp = mkdtempSync(join(tmpdir(), "offsets-tool-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.each(["3.11.7", "3.12.1", "3.13.0"])("tools/offsets on the headers of %s", (spec) => {
  it("measures exactly the numbers of src/python/offsets.ts", () => {
    const prefix = dirname(dirname(requirePython(spec).executable));
    const minor = Number(spec.split(".")[1]);
    const include = join(prefix, `include/python3.${minor}`);
    const m = tool.measureOffsets(include);
    expect(m.version).toBe(spec);
    expect(m.minor).toBe(minor);
    expect(tool.toPyOffsets(m)).toEqual(OFFSETS[minor]);
  });

  it("prints the table as TypeScript (the `offsets` package script), given the install prefix", () => {
    const prefix = dirname(dirname(requirePython(spec).executable));
    const minor = spec.split(".")[1];
    const out = execFileSync(process.execPath, [TOOL, "--", prefix], { encoding: "utf8" });
    expect(out).toMatch(
      new RegExp(
        `^// CPython ${spec.replace(/\./g, "\\.")} \\(0x030${minor === "11" ? "b" : minor === "12" ? "c" : "d"}`,
      ),
    );
    expect(out).toContain(`const PY3${minor}: PyOffsets = {`);
    const o = OFFSETS[Number(minor)]!;
    expect(out).toContain(
      `    threadsHead: 0x${o.interp.threadsHead.toString(16)}, // PyInterpreterState.threads.head (${o.interp.threadsHead})`,
    );
    expect(out).toContain(`    asciiData: ${o.unicode.asciiData}, // sizeof(PyASCIIObject) (${o.unicode.asciiData})`);
    expect(out.trimEnd().endsWith("};")).toBe(true);
  });
});

describe("tools/offsets input errors", () => {
  it("explains what it needs (exit 1) and how to use it (exit 64)", () => {
    const run = (args: string[]) => {
      try {
        execFileSync(process.execPath, [TOOL, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
        return { code: 0, stderr: "" };
      } catch (e) {
        const err = e as { status: number; stderr: string };
        return { code: err.status, stderr: err.stderr };
      }
    };
    expect(run([])).toEqual({
      code: 64,
      stderr: expect.stringMatching(/^usage: pnpm --filter @perforator\/collector offsets/),
    });
    expect(run([tmp]).stderr).toMatch(/is not a CPython source tree \(Include\/Python\.h\), include dir/);
    // A source tree that was not configured lacks the generated pyconfig.h.
    mkdirSync(join(tmp, "src/Include"), { recursive: true });
    writeFileSync(join(tmp, "src/Include/Python.h"), "");
    expect(run([join(tmp, "src")])).toEqual({
      code: 1,
      stderr: expect.stringMatching(/run \.\/configure in it first/),
    });
  });
});
