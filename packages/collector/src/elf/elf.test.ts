import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { requirePython } from "../python/interpreters.js";
import { clearElfCache, openElf } from "./cache.js";
import {
  ET_DYN,
  ET_EXEC,
  fileOffsetToVaddr,
  findFunction,
  isExecutableVaddr,
  parseElfFile,
  sectionByName,
  vaddrToFileOffset,
} from "./elf.js";

// Real binaries: pyenv's shared 3.12.1 and Debian's python3.11 (a missing one fails the test with the command that
// installs it). Looked up when a test needs them, so the other tests still run.
const lib312 = () => requirePython("3.12.1", { shared: true }).runtimeFile;
const debian311 = () => requirePython("debian-3.11").executable;

function readelf(args: string[]): string {
  return execFileSync("readelf", ["-W", ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
}

/** readelf's symbol table as name → [value, size, type] for defined symbols of one table. */
function readelfSymbols(path: string, table: string): Map<string, [bigint, number, string]> {
  const out = new Map<string, [bigint, number, string]>();
  let current = "";
  for (const line of readelf(["-s", path]).split("\n")) {
    const m = /^Symbol table '([^']+)'/.exec(line);
    if (m) current = m[1]!;
    if (current !== table) continue;
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^\d+:$/.test(f[0]!) || f[6] === "UND") continue;
    const name = f[7]!.replace(/@.*$/, "");
    const size = f[2]!.startsWith("0x") ? Number.parseInt(f[2]!, 16) : Number(f[2]);
    if (!out.has(name)) out.set(name, [BigInt(`0x${f[1]}`), size, f[3]!]);
  }
  return out;
}

describe("parseElfFile on real binaries", () => {
  it("reads libpython3.12's headers, build-id, DT_NEEDED and .PyRuntime like readelf does", () => {
    const f = parseElfFile(lib312());
    expect(f.problems).toEqual([]);
    expect(f.type).toBe(ET_DYN);
    expect(f.hasSymtab).toBe(true);
    const note = readelf(["-n", lib312()]);
    expect(f.buildId).toBe(/Build ID: ([0-9a-f]+)/.exec(note)![1]);
    const dyn = readelf(["-d", lib312()]);
    const needed = [...dyn.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
    expect(f.needed).toEqual(needed);
    expect(f.needed).toContain("libc.so.6");
    const secs = readelf(["-S", lib312()]);
    const m = /\.PyRuntime\s+PROGBITS\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)/.exec(secs)!;
    const pr = sectionByName(f, ".PyRuntime")!;
    expect(pr.addr).toBe(BigInt(`0x${m[1]}`));
    expect(pr.offset).toBe(Number.parseInt(m[2]!, 16));
    expect(pr.size).toBe(Number.parseInt(m[3]!, 16));
  });

  it("finds every .dynsym function and object of libpython3.12 with readelf's value and size", () => {
    const f = parseElfFile(lib312());
    const expected = readelfSymbols(lib312(), ".dynsym");
    let checked = 0;
    for (const [name, [value, size, type]] of expected) {
      if (type !== "FUNC" && type !== "OBJECT") continue;
      const s = f.symbolsByName.get(name);
      expect(s, name).toBeDefined();
      expect(s!.value, name).toBe(value);
      expect(s!.size, name).toBe(size);
      checked++;
    }
    expect(checked).toBeGreaterThan(1500);
    const rt = f.symbolsByName.get("_PyRuntime")!;
    expect(rt.value).toBe(sectionByName(f, ".PyRuntime")!.addr);
  });

  it("symbolizes addresses inside functions, including local .cold parts from .symtab", () => {
    const f = parseElfFile(lib312());
    const ev = f.symbolsByName.get("_PyEval_EvalFrameDefault")!;
    expect(findFunction(f, ev.value + 100n)).toEqual({ sym: ev, offset: 100 });
    expect(findFunction(f, ev.value + BigInt(ev.size))?.sym.name).not.toBe("_PyEval_EvalFrameDefault");
    const cold = f.symbolsByName.get("_PyEval_EvalFrameDefault.cold")!;
    expect(cold.table).toBe(".symtab");
    expect(findFunction(f, cold.value + 2n)?.sym.name).toBe("_PyEval_EvalFrameDefault.cold");
    // Every function symbol of readelf's .symtab resolves to a symbol at the same address.
    const all = readelfSymbols(lib312(), ".symtab");
    let n = 0;
    for (const [name, [value, size, type]] of all) {
      if (type !== "FUNC" || size === 0) continue;
      const hit = findFunction(f, value + BigInt(size - 1));
      expect(hit?.sym.value, name).toBe(value);
      n++;
    }
    expect(n).toBeGreaterThan(5000);
  });

  it("maps file offsets to vaddrs through PT_LOAD (data segment has offset != vaddr)", () => {
    const f = parseElfFile(lib312());
    const pr = sectionByName(f, ".PyRuntime")!;
    expect(pr.addr).not.toBe(BigInt(pr.offset));
    expect(fileOffsetToVaddr(f, pr.offset)).toBe(pr.addr);
    expect(vaddrToFileOffset(f, pr.addr)).toBe(pr.offset);
    const ev = f.symbolsByName.get("_PyEval_EvalFrameDefault")!;
    expect(isExecutableVaddr(f, ev.value)).toBe(true);
    expect(isExecutableVaddr(f, pr.addr)).toBe(false);
  });

  it("reads Debian's stripped, non-PIE /usr/bin/python3.11 from .dynsym alone", () => {
    const f = parseElfFile(debian311());
    expect(f.type).toBe(ET_EXEC);
    expect(f.hasSymtab).toBe(false);
    expect(f.buildId).toMatch(/^[0-9a-f]{40}$/);
    expect(f.symbolsByName.get("_PyRuntime")?.value).toBe(sectionByName(f, ".PyRuntime")!.addr);
    expect(f.symbolsByName.get("Py_Version")?.size).toBe(8);
    expect(f.needed.some((n) => n.startsWith("libpython"))).toBe(false);
  });
});

describe("odd files never throw", () => {
  const dir = mkdtempSync(join(tmpdir(), "elf-test-"));

  it("returns problems for a missing file, a text file and an empty file", () => {
    expect(parseElfFile(join(dir, "missing")).problems[0]).toMatch(/cannot open/);
    writeFileSync(join(dir, "text"), "#!/bin/sh\necho hi\n");
    expect(parseElfFile(join(dir, "text")).problems).toEqual(["not an ELF file"]);
    writeFileSync(join(dir, "empty"), "");
    expect(parseElfFile(join(dir, "empty")).functions).toEqual([]);
  });

  it("keeps what it could read from a truncated library", () => {
    const whole = readFileSync(lib312());
    // Cut in the middle: headers and .dynsym are at the start, section headers at the end are lost.
    writeFileSync(join(dir, "trunc.so"), whole.subarray(0, 1 << 20));
    const f = parseElfFile(join(dir, "trunc.so"));
    expect(f.type).toBe(ET_DYN);
    expect(f.segments.length).toBeGreaterThan(3);
    expect(f.sections).toEqual([]);
    expect(f.problems.length).toBeGreaterThan(0);
  });

  it("survives garbage section headers", () => {
    const buf = Buffer.from(readFileSync(debian311()).subarray(0, 1 << 16));
    buf.writeBigUInt64LE(0x7fffffffffffn, 40); // e_shoff far away
    writeFileSync(join(dir, "garbage"), buf);
    const f = parseElfFile(join(dir, "garbage"));
    expect(f.type).toBe(ET_EXEC);
    expect(f.sections).toEqual([]);
  });

  it("reads a binary built without a build-id and caches it by path+inode+mtime", () => {
    const src = join(dir, "nobid.c");
    writeFileSync(src, "int hot(int x){return x*3;}\nint main(void){return hot(1)-3;}\n");
    const out = join(dir, "nobid");
    execFileSync("gcc", ["-O1", "-Wl,--build-id=none", "-o", out, src]);
    clearElfCache();
    const f = openElf(out)!;
    expect(f.buildId).toBeNull();
    expect(f.symbolsByName.get("hot")?.type).toBe(2);
    expect(openElf(out)).toBe(f);
    // Same bytes under another path with a build-id-less file: a separate entry (stat key differs).
    copyFileSync(out, `${out}2`);
    expect(openElf(`${out}2`)).not.toBe(f);
    expect(openElf(join(dir, "missing"))).toBeNull();
  });

  it("shares one parse between two paths of a file with a build-id", () => {
    clearElfCache();
    copyFileSync(lib312(), join(dir, "copy.so"));
    const a = openElf(lib312())!;
    const b = openElf(join(dir, "copy.so"))!;
    expect(b).toBe(a);
  });
});
