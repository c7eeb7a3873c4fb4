#!/usr/bin/env node
// Measures the CPython struct offsets the collector needs, for one CPython version, and prints them as a table in the
// format of src/python/offsets.ts. Adding a release (e.g. 3.14) = run this on its headers, paste the table, add it to
// OFFSETS, then run the live tests on that interpreter.
//
//   pnpm --filter @perforator/collector offsets -- <dir> [--raw]
//
// <dir>: a CPython source tree after ./configure (Include/, Include/internal/ and the generated pyconfig.h), an
// installed include dir (…/include/python3.X, e.g. "$(pyenv prefix 3.12.1)/include/python3.12"), or an install
// prefix holding include/python3.X. --raw prints the measured "<field> <value>" lines instead of the table.
// Needs gcc; compiles tools/offsets/offsets.c against those headers (internal ones, with Py_BUILD_CORE).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const SOURCE = fileURLToPath(new URL("./offsets.c", import.meta.url));

export class OffsetsToolError extends Error {
  name = "OffsetsToolError";
}

/** The -I directories for `dir` (see the header comment), or an error saying what is missing. */
export function includeDirs(dir) {
  const d = resolve(dir);
  if (existsSync(join(d, "Include/Python.h"))) {
    if (!existsSync(join(d, "pyconfig.h"))) {
      throw new OffsetsToolError(
        `${d} is a CPython source tree without pyconfig.h: run ./configure in it first (it generates pyconfig.h)`,
      );
    }
    return [join(d, "Include"), join(d, "Include/internal"), d];
  }
  if (existsSync(join(d, "Python.h"))) {
    if (!existsSync(join(d, "internal/pycore_frame.h"))) {
      throw new OffsetsToolError(
        `${d} has no internal/pycore_frame.h: the internal headers are needed (CPython ≥ 3.11)`,
      );
    }
    return [d, join(d, "internal")];
  }
  const inc = join(d, "include");
  const versions = existsSync(inc) ? readdirSync(inc).filter((n) => /^python3\.\d+$/.test(n)) : [];
  if (versions.length === 1) return includeDirs(join(inc, versions[0]));
  if (versions.length > 1) {
    throw new OffsetsToolError(`${d}/include holds ${versions.join(", ")}: name one of them`);
  }
  throw new OffsetsToolError(
    `${d} is not a CPython source tree (Include/Python.h), include dir (Python.h) or install prefix (include/python3.X)`,
  );
}

/** Compiles offsets.c against `dir`'s headers and runs it: { version, hex, minor, fields: Map<name, number> }. */
export function measureOffsets(dir) {
  const incs = includeDirs(dir);
  const work = mkdtempSync(join(tmpdir(), "perforator-offsets-"));
  try {
    const bin = join(work, "offsets");
    try {
      execFileSync("gcc", ["-O0", "-w", "-o", bin, SOURCE, ...incs.flatMap((i) => ["-I", i])], {
        stdio: ["ignore", "ignore", "pipe"],
      });
    } catch (err) {
      if (err.code === "ENOENT") throw new OffsetsToolError("gcc is not installed: apt-get install gcc");
      const msg = String(err.stderr ?? "").trim();
      throw new OffsetsToolError(
        `compiling tools/offsets/offsets.c against ${incs[0]} failed (a field this release renamed or moved: add a ` +
          `PY_VERSION_HEX branch for it in offsets.c):\n${msg}`,
      );
    }
    return parseOutput(execFileSync(bin, { encoding: "utf8" }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Parses offsets.c's output. */
export function parseOutput(text) {
  const lines = text.trim().split("\n");
  const head = /^PY_VERSION (\S+) (0x[0-9a-f]+)$/.exec(lines[0] ?? "");
  if (!head) throw new OffsetsToolError(`unexpected output of offsets.c: ${lines[0]}`);
  const fields = new Map();
  for (const line of lines.slice(1)) {
    const [name, value] = line.split(" ");
    fields.set(name, Number(value));
  }
  const minor = (Number.parseInt(head[2], 16) >> 16) & 0xff;
  return { version: head[1], hex: head[2], minor, fields };
}

/**
 * The measured numbers in src/python/offsets.ts's PyOffsets shape, each with the field it came from:
 * { key path → [value, source field] }. -1 marks a field the version does not have.
 */
export function tableEntries(m) {
  const f = (name) => {
    const v = m.fields.get(name);
    if (v === undefined) throw new OffsetsToolError(`offsets.c did not print ${name} for ${m.version}`);
    return [v, name];
  };
  const absent = (why) => [-1, why];
  const v313 = m.minor >= 13;
  const v312 = m.minor >= 12;
  return {
    runtime: {
      interpretersHead: f("_PyRuntimeState.interpreters.head"),
      autoTSSkey: v312 ? f("_PyRuntimeState.autoTSSkey") : f("_PyRuntimeState.gilstate.autoTSSkey"),
    },
    interp: { next: f("PyInterpreterState.next"), threadsHead: f("PyInterpreterState.threads.head") },
    tstate: {
      next: f("PyThreadState.next"),
      interp: f("PyThreadState.interp"),
      currentFrame: v313 ? f("PyThreadState.current_frame") : f("PyThreadState.cframe"),
      threadId: f("PyThreadState.thread_id"),
      nativeThreadId: f("PyThreadState.native_thread_id"),
    },
    cframeCurrentFrame: v313 ? absent("no _PyCFrame since 3.13") : f("_PyCFrame.current_frame"),
    frame: {
      code: v313 ? f("_PyInterpreterFrame.f_executable") : f("_PyInterpreterFrame.f_code"),
      previous: f("_PyInterpreterFrame.previous"),
      instr: v313 ? f("_PyInterpreterFrame.instr_ptr") : f("_PyInterpreterFrame.prev_instr"),
      owner: f("_PyInterpreterFrame.owner"),
      isEntry: v312
        ? absent("no is_entry since 3.12: activations end at shim frames")
        : f("_PyInterpreterFrame.is_entry"),
    },
    code: {
      firstLineNo: f("PyCodeObject.co_firstlineno"),
      version: v312 ? f("PyCodeObject.co_version") : absent("no co_version before 3.12"),
      filename: f("PyCodeObject.co_filename"),
      name: f("PyCodeObject.co_name"),
      qualname: f("PyCodeObject.co_qualname"),
      linetable: f("PyCodeObject.co_linetable"),
      firstTraceable: f("PyCodeObject._co_firsttraceable"),
      codeAdaptive: f("PyCodeObject.co_code_adaptive"),
    },
    obType: f("PyObject.ob_type"),
    bytes: { size: f("PyVarObject.ob_size"), sval: f("PyBytesObject.ob_sval") },
    unicode: {
      length: f("PyASCIIObject.length"),
      state: f("PyASCIIObject.state"),
      asciiData: f("sizeof(PyASCIIObject)"),
      compactData: f("sizeof(PyCompactUnicodeObject)"),
      nonCompactData: f("PyUnicodeObject.data"),
    },
    // 3.11 has frame owners 0..2 only: 3 is a value its frames never hold.
    ownerCStack: v312 ? f("FRAME_OWNED_BY_CSTACK") : [3, "FRAME_OWNED_BY_CSTACK does not exist before 3.12"],
  };
}

/** The PyOffsets object itself (numbers only). */
export function toPyOffsets(m) {
  const strip = (o) => (Array.isArray(o) ? o[0] : Object.fromEntries(Object.entries(o).map(([k, v]) => [k, strip(v)])));
  return strip(tableEntries(m));
}

// Byte sizes are written in decimal as in offsets.ts; offsets in hex.
const DECIMAL = new Set(["asciiData", "compactData", "nonCompactData", "ownerCStack"]);

/** The table as TypeScript, in the format of src/python/offsets.ts. */
export function formatTable(m, from) {
  const out = [
    `// CPython ${m.version} (${m.hex}), measured by tools/offsets (pnpm --filter @perforator/collector offsets -- ${from})`,
    `const PY3${m.minor}: PyOffsets = {`,
  ];
  const walk = (obj, indent) => {
    for (const [key, v] of Object.entries(obj)) {
      if (!Array.isArray(v)) {
        out.push(`${indent}${key}: {`);
        walk(v, `${indent}  `);
        out.push(`${indent}},`);
        continue;
      }
      const [value, source] = v;
      const text = value < 0 || DECIMAL.has(key) ? String(value) : `0x${value.toString(16)}`;
      out.push(`${indent}${key}: ${text}, // ${value < 0 ? source : `${source} (${value})`}`);
    }
  };
  walk(tableEntries(m), "  ");
  out.push("};");
  return out.join("\n");
}

function main(argv) {
  const args = argv.filter((a) => a !== "--");
  const raw = args.includes("--raw");
  const dirs = args.filter((a) => !a.startsWith("--"));
  if (dirs.length !== 1) {
    console.error(
      "usage: pnpm --filter @perforator/collector offsets -- <CPython source tree | include/python3.X dir | prefix> [--raw]",
    );
    return 64;
  }
  // pnpm runs package scripts in the package directory: resolve the path from where the command was typed.
  const dir = resolve(process.env.INIT_CWD ?? process.cwd(), dirs[0]);
  try {
    const m = measureOffsets(dir);
    if (raw) {
      console.log(`PY_VERSION ${m.version} ${m.hex}`);
      for (const [name, value] of m.fields) console.log(`${name} ${value}`);
    } else {
      console.log(formatTable(m, dirs[0]));
    }
    return 0;
  } catch (err) {
    if (!(err instanceof OffsetsToolError)) throw err;
    console.error(`offsets: ${err.message}`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
