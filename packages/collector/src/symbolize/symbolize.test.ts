import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openElf } from "../elf/cache.js";
import { findMapping, moduleName, parseMaps } from "../proc/maps.js";
import { requirePython } from "../python/interpreters.js";
import { findKernelSymbol, parseKallsyms } from "./kallsyms.js";
import { KernelSymbolizer, loadBias, ProcessSymbolizer, symbolSource } from "./symbolizer.js";

const MAPS = `00400000-0041f000 r--p 00000000 08:01 1234  /usr/bin/python3.11
0041f000-006d2000 r-xp 0001f000 08:01 1234  /usr/bin/python3.11
7f0000000000-7f0000001000 rw-p 00000000 00:00 0
7f0000001000-7f0000002000 r-xp 00000000 00:00 0 
7f1000000000-7f1000010000 r-xp 00002000 08:01 99   /tmp/my lib.so (deleted)
7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
`;

describe("parseMaps", () => {
  it("parses file, anonymous, deleted and pseudo mappings", () => {
    const maps = parseMaps(MAPS);
    expect(maps).toHaveLength(7);
    expect(maps[1]).toMatchObject({
      start: 0x41f000n,
      offset: 0x1f000n,
      path: "/usr/bin/python3.11",
      executable: true,
    });
    expect(maps[2]).toMatchObject({ path: "", executable: false, pseudo: false });
    expect(maps[4]).toMatchObject({ path: "/tmp/my lib.so", deleted: true, offset: 0x2000n });
    expect(maps[5]).toMatchObject({ path: "[vdso]", pseudo: true });
    expect(moduleName(maps[4]!)).toBe("my lib.so");
    expect(moduleName(maps[3]!)).toBe("[anon]");
    expect(moduleName(maps[5]!)).toBe("[vdso]");
    expect(findMapping(maps, 0x41f000n)).toBe(maps[1]);
    expect(findMapping(maps, 0x6d1fffn)).toBe(maps[1]);
    expect(findMapping(maps, 0x6d2000n)).toBeUndefined();
    expect(findMapping(maps, 0xffffffffff600010n)).toBe(maps[6]);
  });
});

describe("kallsyms", () => {
  it("detects hidden (all-zero) addresses and warns once", () => {
    const dir = mkdtempSync(join(tmpdir(), "ks-"));
    writeFileSync(join(dir, "ks"), "0000000000000000 T _text\n0000000000000000 t schedule\n");
    expect(parseKallsyms(readFileSync(join(dir, "ks"), "utf8")).hidden).toBe(true);
    const warnings: string[] = [];
    const k = new KernelSymbolizer({ kallsymsPath: join(dir, "ks"), warn: (m) => warnings.push(m) });
    expect(k.symbolize(0xffffffff81000010n).name).toBe("[kernel]+0xffffffff81000010");
    expect(k.symbolize(0xffffffff81000020n).known).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/kptr_restrict/);
    rmSync(dir, { recursive: true });
  });

  it("resolves real kernel text addresses (root)", () => {
    const ks = parseKallsyms(readFileSync("/proc/kallsyms", "utf8"));
    expect(ks.hidden).toBe(false);
    const sched = ks.symbols.find((s) => s.name === "schedule")!;
    expect(findKernelSymbol(ks, sched.addr + 5n)?.sym.name).toBe("schedule");
    const k = new KernelSymbolizer();
    expect(k.symbolize(sched.addr + 5n)).toMatchObject({ name: "schedule", offset: 5n, known: true });
  });
});

describe("ProcessSymbolizer on a live process", () => {
  const dir = mkdtempSync(join(tmpdir(), "sym-"));
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  const C_SRC = `#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((noinline)) int hot_function(int x) { volatile int y = x; return y * 3; }
static __attribute__((noinline)) int local_helper(int x) { volatile int y = x; return y + 1; }
int main(void) {
  int *heap = malloc(64);
  printf("%p %p %p %p\\n", (void *)hot_function, (void *)local_helper, (void *)getpid, (void *)heap);
  fflush(stdout);
  for (;;) pause();
}
`;

  async function start(bin: string): Promise<{ pid: number; addrs: bigint[] }> {
    const c = spawn(bin, [], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(c);
    const line = await new Promise<string>((resolve) => c.stdout!.once("data", (d: Buffer) => resolve(String(d))));
    return {
      pid: c.pid!,
      addrs: line
        .trim()
        .split(" ")
        .map((s) => BigInt(s)),
    };
  }

  it("names functions of a PIE executable and of libc, and drops heap addresses", async () => {
    writeFileSync(join(dir, "t.c"), C_SRC);
    execFileSync("gcc", ["-O1", "-fPIE", "-pie", "-o", join(dir, "pie"), join(dir, "t.c")]);
    const { pid, addrs } = await start(join(dir, "pie"));
    const s = new ProcessSymbolizer(pid);
    expect(s.symbolize(addrs[0]! + 2n)).toMatchObject({ name: "hot_function", offset: 2, module: "pie", known: true });
    expect(s.symbolize(addrs[1]!)).toMatchObject({ name: "local_helper", offset: 0 });
    const libc = s.symbolize(addrs[2]! + 1n)!;
    expect(libc.module).toMatch(/^libc\.so/);
    expect(libc.name).toMatch(/getpid$/);
    expect(s.symbolize(addrs[3]!)).toBeNull(); // heap: not executable
    expect(s.symbolize(8n)).toBeNull(); // unmapped
  });

  it("shows module+0xvaddr for a stripped binary, and still reads a deleted one", async () => {
    const bin = join(dir, "stripped");
    // -O2: a build-id of its own (not shared with the unstripped binary of the previous test).
    execFileSync("gcc", ["-O2", "-fPIE", "-pie", "-o", bin, join(dir, "t.c")]);
    const nm = execFileSync("nm", [bin], { encoding: "utf8" });
    const vaddr = BigInt(`0x${/^([0-9a-f]+) T hot_function$/m.exec(nm)![1]}`);
    execFileSync("strip", ["-s", bin]);
    const { pid, addrs } = await start(bin);
    rmSync(bin); // the mapping becomes "(deleted)"
    const s = new ProcessSymbolizer(pid);
    const m = s.mappingFor(addrs[0]!)!;
    expect(m.deleted).toBe(true);
    const r = s.symbolize(addrs[0]! + 4n)!;
    expect(r.known).toBe(false);
    expect(r.name).toBe(`stripped+0x${(vaddr + 4n).toString(16)}`);
    // libc is still symbolized in the same process.
    expect(s.symbolize(addrs[2]!)?.known).toBe(true);
  });

  it("finds symbols of a stripped binary in a separate debug file by build-id", async () => {
    const bin = join(dir, "withdebug");
    execFileSync("gcc", ["-O3", "-fPIE", "-pie", "-o", bin, join(dir, "t.c")]);
    const id = /Build ID: ([0-9a-f]+)/.exec(execFileSync("readelf", ["-n", bin], { encoding: "utf8" }))![1]!;
    const dbgDir = join(dir, "debug");
    mkdirSync(join(dbgDir, id.slice(0, 2)), { recursive: true });
    execFileSync("objcopy", ["--only-keep-debug", bin, join(dbgDir, id.slice(0, 2), `${id.slice(2)}.debug`)]);
    execFileSync("strip", ["-s", bin]);
    const { pid, addrs } = await start(bin);
    expect(new ProcessSymbolizer(pid).symbolize(addrs[1]!)?.known).toBe(false); // static function: not in .dynsym
    const s = new ProcessSymbolizer(pid, { debugDirs: [dbgDir] });
    expect(s.symbolize(addrs[1]! + 1n)).toMatchObject({ name: "local_helper", offset: 1, known: true });
    expect(s.symbolize(addrs[0]!)).toMatchObject({ name: "hot_function", known: true });
  });

  it("names libc-internal functions through the installed libc6-dbg debug files", async () => {
    const { pid } = await start(join(dir, "pie"));
    const s = new ProcessSymbolizer(pid);
    const libc = s.mappings().find((m) => /\/libc\.so\.6$/.test(m.path) && m.executable)!;
    const f = openElf(libc.path)!;
    expect(f.hasSymtab).toBe(false);
    const dbg = symbolSource(f);
    expect(dbg, "no debug file for libc: apt-get install libc6-dbg (scripts/setup.sh installs it)").not.toBe(f);
    // A local (non-exported) libc function, only in the debug file.
    const local = dbg.functions.find((x) => x.bind === 0 && x.size > 16 && !f.symbolsByName.has(x.name))!;
    const bias = loadBias(f, libc)!;
    expect(s.symbolize(local.value + bias + 3n)).toMatchObject({ name: local.name, offset: 3, known: true });
  });

  it("names [vdso] functions from the image in the process's memory", async () => {
    const c = spawn("sleep", ["30"]);
    children.push(c);
    await new Promise((r) => setTimeout(r, 100));
    const s = new ProcessSymbolizer(c.pid!);
    const vdso = s.mappings().find((m) => m.path === "[vdso]")!;
    const img = s.elfFor(vdso)!;
    const sym = img.symbolsByName.get("__vdso_clock_gettime")!;
    expect(sym.type).toBe(2);
    const r = s.symbolize(vdso.start + sym.value + 4n)!;
    expect(r).toMatchObject({ module: "[vdso]", offset: 4, known: true });
    expect(r.name).toMatch(/clock_gettime$/);
  });

  it("counts a new mapping version only when a re-read finds other mappings, and then names the new code", async () => {
    // A process that maps /usr/bin/ls executable when told to (like a dlopen).
    const py = spawn(requirePython("debian-3.11").executable, [
      "-c",
      "import mmap, sys\nsys.stdin.readline()\nf = open('/usr/bin/ls', 'rb')\n" +
        "m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ | mmap.PROT_EXEC)\nprint('mapped', flush=True)\nsys.stdin.readline()",
    ]);
    children.push(py);
    await new Promise((r) => setTimeout(r, 300));
    const s = new ProcessSymbolizer(py.pid!, { reloadIntervalMs: 0 });
    expect(s.mapsVersion).toBe(0);
    expect(s.mappings().some((m) => m.path === "/usr/bin/ls")).toBe(false);
    // Re-reading unchanged maps (an address in no mapping triggers it) is not a change.
    expect(s.mappingFor(8n)).toBeUndefined();
    expect(s.mapsVersion).toBe(0);
    const mapped = new Promise((r) => py.stdout.once("data", r));
    py.stdin.write("\n");
    await mapped;
    const line = readFileSync(`/proc/${py.pid}/maps`, "utf8")
      .split("\n")
      .find((l) => l.endsWith("/usr/bin/ls"))!;
    const ls = BigInt(`0x${line.split("-")[0]}`);
    expect(s.mappingFor(ls)?.path).toBe("/usr/bin/ls");
    expect(s.mapsVersion).toBe(1);
    expect(s.symbolize(ls + 16n)?.module).toBe("ls");
    py.stdin.end("\n");
  });

  it("reports an error instead of throwing when the process is gone", () => {
    const s = new ProcessSymbolizer(0x3ffffff);
    expect(s.error).toMatch(/cannot read \/proc\/\d+\/maps/);
    expect(s.symbolize(0x400000n)).toBeNull();
  });
});
