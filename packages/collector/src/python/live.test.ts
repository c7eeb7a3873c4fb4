import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcMem } from "../proc/mem.js";
import { PY_FRAME_ENTRY, PY_FRAME_SHIM } from "../sampler/types.js";
import { CodeObjectResolver } from "./code-resolver.js";
import { compareDebugOffsets, DEBUG_OFFSETS_SIZE_313, parseDebugOffsets313 } from "./debug-offsets.js";
import { detectPython, type PythonInfo } from "./detect.js";
import { requirePython } from "./interpreters.js";
import { OFFSETS } from "./offsets.js";
import { walkPythonThreads } from "./walker.js";

// A script whose stack is known: the main thread sleeps inside a chain of functions with ASCII, latin-1, UCS-2
// and UCS-4 names, entered through a C function (sorted → key lambda) so there are two interpreter activations;
// a second thread spins in pure Python.
const TARGET = `import sys, threading, time

def leaf_sleep():
    time.sleep(1000)  # MARK_SLEEP

def via_callback(cb):
    return cb()  # MARK_CB

class Outer:
    class Inner:
        def métödé(self):
            return via_callback(leaf_sleep)  # MARK_METHOD

def функция():
    return Outer.Inner().métödé()  # MARK_UCS2

def 𠀀():
    return функция()  # MARK_UCS4

def spinner():
    x = 0
    while True:
        x += 1  # MARK_SPIN

t = threading.Thread(target=spinner, name="spin", daemon=True)
t.start()
print("ready", t.native_id, flush=True)
sorted([3, 1, 2], key=lambda v: 𠀀() if v == 2 else v)  # MARK_TOP
`;

const line = (mark: string) => TARGET.split("\n").findIndex((l) => l.includes(mark)) + 1;

const EXPECTED_MAIN = [
  ["leaf_sleep", line("MARK_SLEEP")],
  ["via_callback", line("MARK_CB")],
  ["Outer.Inner.métödé", line("MARK_METHOD")],
  ["функция", line("MARK_UCS2")],
  ["𠀀", line("MARK_UCS4")],
  ["<lambda>", line("MARK_TOP")],
  // sorted() is C: a new interpreter activation starts below it
  ["<module>", line("MARK_TOP")],
] as const;

// [spec, the module holding the interpreter]: pyenv's shared builds and Debian's own python3.11 (interpreter linked
// into the executable). A missing interpreter fails its tests with the command that installs it.
const PYTHONS: [string, string][] = [
  ["3.11.7", "libpython3.11.so.1.0"],
  ["3.12.1", "libpython3.12.so.1.0"],
  ["3.13.0", "libpython3.13.so.1.0"],
  ["debian-3.11", "python3.11"],
];

const dir = mkdtempSync(join(tmpdir(), "pylive-"));
const sub = join(dir, "dir-ÿ-д");
const script = join(sub, "target.py");
const children: ChildProcess[] = [];

beforeAll(() => {
  mkdirSync(sub, { recursive: true });
  writeFileSync(script, TARGET);
});
afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

async function launch(python: string): Promise<{ pid: number; spinTid: number }> {
  const c = spawn(python, [script], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(c);
  const out = await new Promise<string>((resolve, reject) => {
    c.once("exit", (code) => reject(new Error(`${python} exited with ${code}`)));
    let buf = "";
    c.stdout!.on("data", (d: Buffer) => {
      buf += String(d);
      if (buf.includes("\n")) resolve(buf);
    });
  });
  // Give the main thread time to reach time.sleep().
  await new Promise((r) => setTimeout(r, 300));
  return { pid: c.pid!, spinTid: Number(out.trim().split(" ")[1]) };
}

describe.each(PYTHONS)("live CPython %s", (spec, module) => {
  let pid = 0;
  let spinTid = 0;
  let info: PythonInfo;
  let version = "";

  beforeAll(async () => {
    const python = requirePython(spec, { shared: module.startsWith("libpython") });
    version = python.version;
    ({ pid, spinTid } = await launch(python.executable));
    const d = detectPython(pid);
    if (!d || !("pid" in d)) throw new Error(`detectPython: ${JSON.stringify(d)}`);
    info = d;
  });

  it("detects the interpreter, version, _PyRuntime and a verified TSD layout", () => {
    expect(info.version.toString()).toBe(version);
    expect(`${info.version}`).toBe(version);
    expect(info.libPath.endsWith(`/${module}`)).toBe(true);
    expect(info.warnings).toEqual([]);
    const c = info.bpfConfig;
    expect(c.versionHex).toBe(info.version.hex);
    expect(c.tsdStaticOffset).toBe(0x310);
    expect(c.tsdDynamicOffset).toBe(0x510);
    expect(c.tssKey).toBe(info.version.minor === 13 ? 1 : 0);
    expect(c.frameIsEntry >= 0).toBe(info.version.minor === 11);
    if (info.version.minor === 13) expect(c.noneAddr).not.toBe(0n);
    // _PyRuntime is where /proc/PID/maps puts the .PyRuntime section.
    const maps = readFileSync(`/proc/${pid}/maps`, "utf8");
    expect(maps).toContain(module);
  });

  it("resolves the sleeping main thread's frames to qualnames, non-ASCII names, file and lines", () => {
    const threads = walkPythonThreads(info);
    const main = threads.find((t) => t.nativeThreadId === pid)!;
    expect(main).toBeDefined();
    const r = new CodeObjectResolver(pid, info);
    const got = main.frames
      .filter((f) => !(f.flags & PY_FRAME_SHIM))
      .map((f) => r.resolve(f))
      .map((x) => [x.qualname, x.line, x.filename] as const);
    expect(got.map(([q, l]) => [q, l])).toEqual(EXPECTED_MAIN.map(([q, l]) => [q, l]));
    expect(got.every(([, , f]) => f === script)).toBe(true);
    // Activation boundaries: two _PyEval_EvalFrameDefault activations (module → sorted → lambda).
    if (info.version.minor === 11) {
      const entries = main.frames.filter((f) => f.flags & PY_FRAME_ENTRY).length;
      expect(entries).toBe(2);
    } else {
      const shims = main.frames.filter((f) => f.flags & PY_FRAME_SHIM).length;
      expect(shims).toBe(2);
    }
    r.close();
  });

  it("resolves the spinning thread to its loop line", () => {
    const threads = walkPythonThreads(info);
    const spin = threads.find((t) => t.nativeThreadId === spinTid);
    expect(spin, `tid ${spinTid} not in ${threads.map((t) => t.nativeThreadId)}`).toBeDefined();
    if (!spin) return;
    const r = new CodeObjectResolver(pid, info);
    const top = r.resolve(spin.frames[0]!);
    expect(top.qualname).toBe("spinner");
    expect([line("MARK_SPIN"), line("MARK_SPIN") - 1]).toContain(top.line);
    const names = spin.frames.filter((f) => f.codeAddr).map((f) => r.resolve(f).qualname);
    expect(names[names.length - 1]).toBe("Thread._bootstrap");
  });

  it("refuses a reused code address (guard mismatch) and unreadable addresses", () => {
    const main = walkPythonThreads(info).find((t) => t.nativeThreadId === pid)!;
    const f = main.frames.find((x) => x.codeAddr !== 0n)!;
    const r = new CodeObjectResolver(pid, info);
    expect(r.resolve({ ...f, guard: f.guard + 1 }).qualname).toBe(
      `<unknown python frame 0x${f.codeAddr.toString(16)}>`,
    );
    expect(r.resolve(f).known).toBe(true);
    expect(r.resolve({ ...f, codeAddr: 0x10n }).known).toBe(false);
    expect(r.resolve({ ...f, instrOffset: -2 }).line).toBe(line("MARK_SLEEP") - 1); // def line
    expect(r.failures).toBe(2);
  });
});

describe("3.13 _Py_DebugOffsets", () => {
  it("agree with the table on a live 3.13.0, and a table that differs is refused", async () => {
    const { pid } = await launch(requirePython("3.13.0").executable);
    const info = detectPython(pid) as PythonInfo;
    const mem = new ProcMem(pid);
    const dbg = parseDebugOffsets313(mem.read(info.runtimeAddr, DEBUG_OFFSETS_SIZE_313)!)!;
    mem.close();
    expect(dbg).not.toBeNull();
    expect(dbg.version).toBe(BigInt(info.version.hex));
    expect(dbg.free_threaded).toBe(0n);
    expect(compareDebugOffsets(dbg, OFFSETS[13]!, info.version.hex)).toEqual([]);
    const tampered = structuredClone(OFFSETS[13]!);
    tampered.frame.instr = 0x40;
    tampered.code.qualname = 0x88;
    expect(compareDebugOffsets(dbg, tampered, info.version.hex)).toEqual([
      "interpreter_frame.instr_ptr: process says 56, table says 64",
      "code_object.qualname: process says 128, table says 136",
    ]);
    expect(compareDebugOffsets({ ...dbg, free_threaded: 1n }, OFFSETS[13]!, info.version.hex)[0]).toMatch(
      /free-threaded/,
    );
    expect(parseDebugOffsets313(Buffer.alloc(DEBUG_OFFSETS_SIZE_313))).toBeNull(); // no cookie
  });
});

describe("non-Python and unsupported processes", () => {
  it("returns null for a process without an interpreter", async () => {
    const c = spawn("sleep", ["30"]);
    children.push(c);
    await new Promise((r) => setTimeout(r, 100));
    expect(detectPython(c.pid!)).toBeNull();
  });

  it("reports an unsupported version (3.10) with a reason", async () => {
    const py310 = requirePython("3.10").executable;
    const c = spawn(py310, ["-c", "import time; print('r', flush=True); time.sleep(30)"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    children.push(c);
    await new Promise((r) => c.stdout!.once("data", r));
    const d = detectPython(c.pid!);
    expect(d).toMatchObject({ unsupported: "3.10.13" });
    expect((d as { reason: string }).reason).toMatch(/3\.11/);
  });

  it("throws when the process does not exist", () => {
    expect(() => detectPython(0x3ffffff)).toThrow(/ENOENT/);
  });
});
