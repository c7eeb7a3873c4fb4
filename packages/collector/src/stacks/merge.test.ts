import type { Frame } from "@perforator/profile";
import { describe, expect, it } from "vitest";
import type { PyFrameInfo } from "../python/code-resolver.js";
import { type PythonInfo, PyVersion } from "../python/detect.js";
import { OFFSETS } from "../python/offsets.js";
import { PY_FRAME_ENTRY, PY_FRAME_SHIM, type RawPyFrame, type RawStack } from "../sampler/types.js";
import type { UserSymbol } from "../symbolize/symbolizer.js";
import { type MergeContext, type MergeStats, mergeStack, splitActivations } from "./merge.js";
import { createStackResolver } from "./resolver.js";

// A fake process: addresses → symbols. Addresses ending in 0xbad are not after a call instruction.
const SYMS: Record<string, [string, string]> = {
  "0x1000": ["main", "python3.12"],
  "0x1100": ["Py_RunMain", "libpython3.12.so.1.0"],
  "0x1200": ["_PyEval_EvalFrameDefault", "libpython3.12.so.1.0"],
  "0x1300": ["cfunction_call", "libpython3.12.so.1.0"],
  "0x1400": ["_PyEval_EvalFrameDefault.cold", "libpython3.12.so.1.0"],
  "0x1500": ["PyObject_RichCompare", "libpython3.12.so.1.0"],
  "0x1600": ["deflate", "libz.so.1"],
  "0x1bad": ["PyObject_Malloc", "libpython3.12.so.1.0"],
};

function fakeSymbolize(addr: bigint): UserSymbol | null {
  // Return addresses are looked up at addr-1: map any address in [base, base+0x100) to the base symbol.
  const base = `0x${(addr & ~0xffn).toString(16)}`;
  const bad = `0x${(addr & ~0xfn).toString(16).slice(0, -2)}bad`;
  const hit = SYMS[base] ?? (SYMS[bad] && (addr & 0xfffn) >= 0xba0n ? SYMS[bad] : undefined);
  if (!hit) return null;
  return { name: hit[0], module: hit[1], path: `/x/${hit[1]}`, offset: Number(addr & 0xffn), known: true };
}

const CODES: Record<string, string> = {
  "0xa1": "search_user",
  "0xa2": "UserIDSearchHandler.do_GET",
  "0xa3": "<module>",
  "0xa4": "handle",
  "0xa5": "serve_forever",
};

function fakeResolve(f: RawPyFrame): PyFrameInfo {
  const q = CODES[`0x${f.codeAddr.toString(16)}`];
  if (!q)
    return { qualname: `<unknown python frame 0x${f.codeAddr.toString(16)}>`, filename: "", line: 0, known: false };
  return { qualname: q, filename: "server.py", line: 10 + f.instrOffset, known: true };
}

const ctx = (minor?: number): MergeContext => ({
  symbolize: (a, isReturn) => fakeSymbolize(isReturn ? a - 1n : a),
  isCallSite: (a) => (a & 0xfffn) < 0xba0n && fakeSymbolize(a - 1n) !== null,
  kernel: (a) => ({
    name: a === 0xffffffff81000010n ? "do_syscall_64" : "entry_SYSCALL_64",
    offset: 0n,
    kmodule: "",
    known: true,
  }),
  python: minor === undefined ? undefined : { minor, resolve: fakeResolve },
});

const py = (code: number, instr = 0, flags = 0): RawPyFrame => ({
  codeAddr: BigInt(code),
  instrOffset: instr,
  guard: 1,
  flags,
});
const SHIM: RawPyFrame = { codeAddr: 0n, instrOffset: 0, guard: 0, flags: PY_FRAME_SHIM };

function raw(user: bigint[], python: RawPyFrame[] = [], kernel: bigint[] = []): RawStack {
  return {
    pid: 42,
    tid: 42,
    threadName: "python3",
    processName: "python3",
    count: 3,
    kernel,
    user,
    python,
    pyStatus: 0,
  };
}

const names = (fs: Frame[]) => fs.map((f) => f.name);

describe("mergeStack", () => {
  it("keeps a fully walked native stack root first, with kernel frames leaf-side", () => {
    const fs = mergeStack(raw([0x1610n, 0x1310n, 0x1010n], [], [0xffffffff81000010n, 0xffffffff81000020n]), ctx());
    expect(names(fs)).toEqual(["main", "cfunction_call", "deflate", "entry_SYSCALL_64", "do_syscall_64"]);
    expect(fs[0]).toEqual({ name: "main", file: "", line: 0, kind: "native", module: "python3.12" });
    expect(fs[4]).toEqual({ name: "do_syscall_64", file: "", line: 0, kind: "kernel", module: "[kernel]" });
  });

  it("ends the native stack at the first address that is not after a call or not mapped", () => {
    const stats: MergeStats = { droppedNative: 0, unknownPython: 0, unplacedGroups: 0 };
    // 0x1bb0: maps to PyObject_Malloc (executable) but is not a return address; the rest is garbage too.
    expect(names(mergeStack(raw([0x1510n, 0x1bb0n, 0x1010n]), ctx(), stats))).toEqual(["PyObject_RichCompare"]);
    expect(stats.droppedNative).toBe(2);
    expect(names(mergeStack(raw([0x1510n, 0x9999n, 0x1010n]), ctx(), stats))).toEqual(["PyObject_RichCompare"]);
    // The sampled IP is always kept, even unmapped.
    expect(names(mergeStack(raw([0x9999n]), ctx()))).toEqual(["[unknown] 0x9999"]);
  });

  it("replaces each interpreter activation (hot and .cold) by its Python group (3.12 shims)", () => {
    const user = [0x1510n, 0x1210n, 0x1310n, 0x1410n, 0x1110n, 0x1010n];
    const python = [py(0xa1, 4), py(0xa2, 2), SHIM, py(0xa3), SHIM];
    const fs = mergeStack(raw(user, python), ctx(12));
    expect(names(fs)).toEqual([
      "main",
      "Py_RunMain",
      "<module>",
      "cfunction_call",
      "UserIDSearchHandler.do_GET",
      "search_user",
      "PyObject_RichCompare",
    ]);
    expect(fs[5]).toEqual({ name: "search_user", file: "server.py", line: 14, kind: "python", module: "" });
  });

  it("groups 3.11 frames by the ENTRY flag", () => {
    const python = [py(0xa1), py(0xa2, 0, PY_FRAME_ENTRY), py(0xa3, 0, PY_FRAME_ENTRY)];
    expect(splitActivations(python, 11).map((g) => g.length)).toEqual([2, 1]);
    const fs = mergeStack(raw([0x1210n, 0x1310n, 0x1210n, 0x1010n], python), ctx(11));
    expect(names(fs)).toEqual(["main", "<module>", "cfunction_call", "UserIDSearchHandler.do_GET", "search_user"]);
  });

  it("without the version, infers shim grouping from shim markers", () => {
    expect(splitActivations([py(0xa1), SHIM, py(0xa2), py(0xa3), SHIM], undefined).map((g) => g.length)).toEqual([
      1, 2,
    ]);
  });

  it("puts Python frames root-side of the native leaf when the walk lost the interpreter (no frame pointers)", () => {
    const python = [py(0xa1), py(0xa2), SHIM, py(0xa5), py(0xa3), SHIM];
    // Leaf in zlib called from Python; the rest of the FP walk is garbage.
    const stats: MergeStats = { droppedNative: 0, unknownPython: 0, unplacedGroups: 0 };
    const fs = mergeStack(raw([0x1610n, 0x1bb0n, 0x7777n], python), ctx(12), stats);
    expect(names(fs)).toEqual(["<module>", "serve_forever", "UserIDSearchHandler.do_GET", "search_user", "deflate"]);
    expect(stats.unplacedGroups).toBe(2);
  });

  it("places outer groups the native stack has no activation for between the last activation and the native root", () => {
    const python = [py(0xa1), SHIM, py(0xa3), SHIM];
    const fs = mergeStack(raw([0x1210n, 0x1110n, 0x1010n], python), ctx(13));
    expect(names(fs)).toEqual(["main", "Py_RunMain", "<module>", "search_user"]);
  });

  it("keeps interpreter activations it has no Python frames for as native frames", () => {
    const fs = mergeStack(raw([0x1210n, 0x1310n, 0x1410n, 0x1010n], [py(0xa1), SHIM]), ctx(12));
    expect(names(fs)).toEqual(["main", "_PyEval_EvalFrameDefault.cold", "cfunction_call", "search_user"]);
  });

  it("shows unreadable code objects as unknown Python frames instead of dropping them", () => {
    const stats: MergeStats = { droppedNative: 0, unknownPython: 0, unplacedGroups: 0 };
    const fs = mergeStack(raw([0x1210n], [py(0xdead), py(0xa3), SHIM]), ctx(12), stats);
    expect(names(fs)).toEqual(["<module>", "<unknown python frame 0xdead>"]);
    expect(fs[1]!.kind).toBe("python");
    expect(stats.unknownPython).toBe(1);
  });

  it("ignores Python frames of a process without supported Python", () => {
    expect(names(mergeStack(raw([0x1510n], [py(0xa1)]), ctx()))).toEqual(["PyObject_RichCompare"]);
  });
});

describe("createStackResolver", () => {
  it("caches per process, describes it, and warns once about an unsupported Python", () => {
    const warnings: string[] = [];
    let created = 0;
    const r = createStackResolver({
      warn: (m) => warnings.push(m),
      userSymbolizer: () => {
        created++;
        return { symbolize: fakeSymbolize, isCallSite: () => true };
      },
      kernelSymbolizer: { symbolize: () => ({ name: "k", offset: 0n, kmodule: "", known: true }) },
      python: (pid) =>
        pid === 42
          ? { minor: 12, version: "3.12.1", module: "libpython3.12.so.1.0", resolve: fakeResolve }
          : { unsupported: "3.10.13", reason: "Python 3.10.13 is not supported (supported: 3.11, 3.12, 3.13)" },
    });
    const s = raw([0x1210n], [py(0xa1), SHIM]);
    expect(names(r.resolve(s))).toEqual(["search_user"]);
    expect(names(r.resolve(s))).toEqual(["search_user"]);
    r.resolve({ ...s, pid: 7 });
    r.resolve({ ...s, pid: 7 });
    expect(created).toBe(2);
    expect(warnings).toEqual([
      "Python 3.10.13 is not supported (supported: 3.11, 3.12, 3.13): pid 7 is shown with native frames only",
    ]);
    expect(r.describe(42)).toBe("Python 3.12.1 (libpython3.12.so.1.0): 6 of 6 samples with Python frames");
    expect(r.describe(7)).toBe("Python 3.10.13 (unsupported): native frames only");
    expect(r.processes().map((p) => [p.pid, p.python, p.samples])).toEqual([
      [42, "3.12.1", 6],
      [7, undefined, 6],
    ]);
    r.close();
  });

  it("closes the least recently used processes beyond maxOpenProcesses and keeps their summary", () => {
    const closed: number[] = [];
    const r = createStackResolver({
      maxOpenProcesses: 2,
      userSymbolizer: (pid) => ({ symbolize: fakeSymbolize, isCallSite: () => true, close: () => closed.push(pid) }),
      kernelSymbolizer: { symbolize: () => ({ name: "k", offset: 0n, kmodule: "", known: true }) },
      python: (pid) =>
        pid === 1 ? { minor: 12, version: "3.12.1", module: "libpython3.12.so.1.0", resolve: fakeResolve } : null,
    });
    const s = raw([0x1210n], [py(0xa1), SHIM]);
    expect(names(r.resolve({ ...s, pid: 1 }))).toEqual(["search_user"]);
    r.resolve({ ...s, pid: 2 });
    r.resolve({ ...s, pid: 1 }); // 1 is now the most recently used
    r.resolve({ ...s, pid: 3 }); // evicts 2
    expect(closed).toEqual([2]);
    r.resolve({ ...s, pid: 2 }); // reopened, evicts 1
    expect(closed).toEqual([2, 1]);
    expect(names(r.resolve({ ...s, pid: 1 }))).toEqual(["search_user"]); // Python support comes back
    expect(r.describe(1)).toBe("Python 3.12.1 (libpython3.12.so.1.0): 9 of 9 samples with Python frames");
    expect(r.describe(2)).toBe("native");
    expect(r.processes()).toHaveLength(3);
    r.close();
  });

  it("sets a process seen without Python up again when addPython hands over its interpreter", () => {
    let created = 0;
    const r = createStackResolver({
      userSymbolizer: () => {
        created++;
        return { symbolize: fakeSymbolize, isCallSite: () => true };
      },
      kernelSymbolizer: { symbolize: () => ({ name: "k", offset: 0n, kmodule: "", known: true }) },
      detect: () => null, // its interpreter is not loaded yet when its first stack comes in
    });
    const s = { ...raw([0x1210n]), pid: 5 };
    r.resolve(s);
    expect(r.describe(5)).toBe("native");
    const before = r.generation(5);
    const info = {
      pid: 5,
      version: new PyVersion(0x030c01f0),
      libPath: "/opt/python/lib/libpython3.12.so.1.0",
      offsets: OFFSETS[12],
      bias: 0n,
      warnings: [] as string[],
    } as PythonInfo; // no code object is read: the stacks carry no Python frames
    r.addPython(5, info);
    expect(r.generation(5)).not.toBe(before); // stacks resolved so far are stale
    r.resolve(s);
    expect(created).toBe(2); // maps read again: libpython is mapped by now
    expect(r.describe(5)).toMatch(/^Python 3\.12\.1 \(libpython3\.12\.so\.1\.0\): /);
    const after = r.generation(5);
    r.addPython(5, info); // it has Python already: nothing to redo
    r.resolve(s);
    expect(r.generation(5)).toBe(after);
    expect(created).toBe(2);
    r.close();
  });

  it("keeps raw addresses of a process that exited before it could be inspected", () => {
    const r = createStackResolver({
      python: () => null,
      kernelSymbolizer: { symbolize: () => ({ name: "k", offset: 0n, kmodule: "", known: true }) },
    });
    const fs = r.resolve({ ...raw([0x401000n, 0x401234n]), pid: 0x3ffffff });
    expect(fs.map((f) => [f.name, f.kind])).toEqual([
      ["0x401234", "native"],
      ["0x401000", "native"],
    ]);
    r.close();
  });
});
