/**
 * A small ELF64 (little-endian) reader: headers, sections, program headers, symbol tables, the GNU
 * build-id note, DT_NEEDED and file-offset ↔ vaddr mapping. It reads only the parts it needs through a
 * file handle (libpython is 20–30 MB) and never throws on odd input: whatever it could not read is
 * left empty and described in `problems`.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { lastAtOrBelow } from "../sorted.js";

export const ET_EXEC = 2;
export const ET_DYN = 3;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_NOTE = 4;
export const PF_X = 1;
export const SHT_SYMTAB = 2;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_TLS = 6;
export const STT_GNU_IFUNC = 10;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_STRSZ = 10;
const NT_GNU_BUILD_ID = 3;

export interface ElfSection {
  name: string;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  filesz: number;
  memsz: number;
}

export interface ElfSymbol {
  name: string;
  /** st_value: a link-time virtual address (add the load bias for a runtime address). */
  value: bigint;
  size: number;
  type: number;
  /** STB_LOCAL=0, STB_GLOBAL=1, STB_WEAK=2 */
  bind: number;
  /** ".symtab" or ".dynsym" */
  table: string;
}

export interface ElfFile {
  path: string;
  /** ET_EXEC=2, ET_DYN=3; 0 when the header could not be read. */
  type: number;
  machine: number;
  sections: ElfSection[];
  segments: ElfSegment[];
  /** Lowercase hex of the NT_GNU_BUILD_ID note, or null. */
  buildId: string | null;
  /** DT_NEEDED entries of the dynamic section. */
  needed: string[];
  /** Function symbols (FUNC / IFUNC) sorted by address, duplicates at one address removed. */
  functions: ElfSymbol[];
  /** Every defined, named symbol by name (.symtab wins over .dynsym). */
  symbolsByName: Map<string, ElfSymbol>;
  /** True when the file had a .symtab (not stripped). */
  hasSymtab: boolean;
  /** What could not be read (empty on a well-formed file). */
  problems: string[];
}

interface Reader {
  readonly size: number;
  read(offset: number, length: number): Buffer;
}

class BufferReader implements Reader {
  private readonly buf: Buffer;
  readonly size: number;
  constructor(buf: Buffer) {
    this.buf = buf;
    this.size = buf.length;
  }
  read(offset: number, length: number): Buffer {
    if (offset < 0 || length <= 0 || offset >= this.size) return Buffer.alloc(0);
    return this.buf.subarray(offset, Math.min(this.size, offset + length));
  }
}

class FileReader implements Reader {
  private readonly fd: number;
  readonly size: number;
  constructor(fd: number, size: number) {
    this.fd = fd;
    this.size = size;
  }
  read(offset: number, length: number): Buffer {
    if (offset < 0 || length <= 0 || offset >= this.size) return Buffer.alloc(0);
    const n = Math.min(length, this.size - offset);
    const buf = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      const r = readSync(this.fd, buf, got, n - got, offset + got);
      if (r <= 0) break;
      got += r;
    }
    return got === n ? buf : buf.subarray(0, got);
  }
}

function cstr(buf: Buffer, at: number): string {
  if (at < 0 || at >= buf.length) return "";
  let end = buf.indexOf(0, at);
  if (end < 0) end = buf.length;
  return buf.toString("utf8", at, end);
}

/** An ElfFile with nothing read yet past the header. */
const blank = (path: string, type: number, machine: number): ElfFile => ({
  path,
  type,
  machine,
  sections: [],
  segments: [],
  buildId: null,
  needed: [],
  functions: [],
  symbolsByName: new Map(),
  hasSymtab: false,
  problems: [],
});

const EMPTY = (path: string, problem: string): ElfFile => ({ ...blank(path, 0, 0), problems: [problem] });

/** Parses the ELF file at `path`. Never throws: unreadable or non-ELF files give an empty result with `problems`. */
export function parseElfFile(path: string, fileSize?: number): ElfFile {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (err) {
    return EMPTY(path, `cannot open: ${(err as Error).message}`);
  }
  try {
    const size = fileSize ?? fstatSync(fd).size;
    return parseWith(new FileReader(fd, size), path);
  } catch (err) {
    return EMPTY(path, `unexpected: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** Parses an ELF image held in memory (e.g. the [vdso] read from a process). Never throws. */
export function parseElfBuffer(buf: Buffer, name: string): ElfFile {
  try {
    return parseWith(new BufferReader(buf), name);
  } catch (err) {
    return EMPTY(name, `unexpected: ${(err as Error).message}`);
  }
}

function parseWith(r: Reader, path: string): ElfFile {
  const eh = r.read(0, 64);
  if (eh.length < 64 || eh.readUInt32BE(0) !== 0x7f454c46) return EMPTY(path, "not an ELF file");
  if (eh[4] !== 2) return EMPTY(path, "not a 64-bit ELF file");
  if (eh[5] !== 1) return EMPTY(path, "not a little-endian ELF file");
  const out = blank(path, eh.readUInt16LE(16), eh.readUInt16LE(18));
  const phoff = Number(eh.readBigUInt64LE(32));
  const shoff = Number(eh.readBigUInt64LE(40));
  const phentsize = eh.readUInt16LE(54);
  const phnum = eh.readUInt16LE(56);
  const shentsize = eh.readUInt16LE(58);
  let shnum = eh.readUInt16LE(60);
  let shstrndx = eh.readUInt16LE(62);

  // Program headers.
  if (phoff > 0 && phentsize >= 56 && phnum > 0) {
    const ph = r.read(phoff, phentsize * phnum);
    for (let i = 0; i + 1 <= phnum && (i + 1) * phentsize <= ph.length; i++) {
      const o = i * phentsize;
      out.segments.push({
        type: ph.readUInt32LE(o),
        flags: ph.readUInt32LE(o + 4),
        offset: Number(ph.readBigUInt64LE(o + 8)),
        vaddr: ph.readBigUInt64LE(o + 16),
        filesz: Number(ph.readBigUInt64LE(o + 32)),
        memsz: Number(ph.readBigUInt64LE(o + 40)),
      });
    }
    if (out.segments.length < phnum) out.problems.push("program headers truncated");
  }

  // Section headers (shnum / shstrndx may be escaped into section 0).
  if (shoff > 0 && shentsize >= 64) {
    if (shnum === 0 || shstrndx === 0xffff) {
      const s0 = r.read(shoff, 64);
      if (s0.length === 64) {
        if (shnum === 0) shnum = Number(s0.readBigUInt64LE(32));
        if (shstrndx === 0xffff) shstrndx = s0.readUInt32LE(40);
      }
    }
    shnum = Math.min(shnum, 65536);
    const sh = r.read(shoff, shentsize * shnum);
    const raw: Omit<ElfSection, "name">[] = [];
    const nameOffs: number[] = [];
    for (let i = 0; (i + 1) * shentsize <= sh.length && i < shnum; i++) {
      const o = i * shentsize;
      nameOffs.push(sh.readUInt32LE(o));
      raw.push({
        type: sh.readUInt32LE(o + 4),
        flags: sh.readBigUInt64LE(o + 8),
        addr: sh.readBigUInt64LE(o + 16),
        offset: Number(sh.readBigUInt64LE(o + 24)),
        size: Number(sh.readBigUInt64LE(o + 32)),
        link: sh.readUInt32LE(o + 40),
        entsize: Number(sh.readBigUInt64LE(o + 56)),
      });
    }
    if (raw.length < shnum) out.problems.push("section headers truncated");
    const strs = shstrndx < raw.length ? r.read(raw[shstrndx]!.offset, raw[shstrndx]!.size) : Buffer.alloc(0);
    out.sections = raw.map((s, i) => ({ ...s, name: cstr(strs, nameOffs[i]!) }));
  }

  out.buildId = readBuildId(r, out);
  out.needed = readNeeded(r, out);
  readSymbols(r, out);
  return out;
}

function parseNotes(buf: Buffer): string | null {
  let o = 0;
  while (o + 12 <= buf.length) {
    const namesz = buf.readUInt32LE(o);
    const descsz = buf.readUInt32LE(o + 4);
    const type = buf.readUInt32LE(o + 8);
    const nameStart = o + 12;
    const descStart = nameStart + ((namesz + 3) & ~3);
    const next = descStart + ((descsz + 3) & ~3);
    if (descStart + descsz > buf.length) return null;
    const name = buf.toString("latin1", nameStart, nameStart + Math.max(0, namesz - 1));
    if (type === NT_GNU_BUILD_ID && name === "GNU" && descsz > 0) {
      return buf.toString("hex", descStart, descStart + descsz);
    }
    o = next;
  }
  return null;
}

function readBuildId(r: Reader, f: ElfFile): string | null {
  for (const s of f.sections) {
    if (s.type === SHT_NOTE && s.size > 0 && s.size < 1 << 20) {
      const id = parseNotes(r.read(s.offset, s.size));
      if (id) return id;
    }
  }
  for (const p of f.segments) {
    if (p.type === PT_NOTE && p.filesz > 0 && p.filesz < 1 << 20) {
      const id = parseNotes(r.read(p.offset, p.filesz));
      if (id) return id;
    }
  }
  return null;
}

function readNeeded(r: Reader, f: ElfFile): string[] {
  let dyn: Buffer | null = null;
  const dynSec = f.sections.find((s) => s.name === ".dynamic" && s.type !== SHT_NOBITS);
  if (dynSec) dyn = r.read(dynSec.offset, dynSec.size);
  else {
    const seg = f.segments.find((p) => p.type === PT_DYNAMIC);
    if (seg) dyn = r.read(seg.offset, seg.filesz);
  }
  if (!dyn) return [];
  const needed: number[] = [];
  let strtab = 0n;
  let strsz = 0;
  for (let o = 0; o + 16 <= dyn.length; o += 16) {
    const tag = dyn.readBigInt64LE(o);
    const val = dyn.readBigUInt64LE(o + 8);
    if (tag === 0n) break;
    if (tag === BigInt(DT_NEEDED)) needed.push(Number(val));
    else if (tag === BigInt(DT_STRTAB)) strtab = val;
    else if (tag === BigInt(DT_STRSZ)) strsz = Number(val);
  }
  if (needed.length === 0) return [];
  // DT_STRTAB is a vaddr: prefer the .dynstr section, else translate through PT_LOAD.
  let strs: Buffer = Buffer.alloc(0);
  const dynstr = f.sections.find((s) => s.name === ".dynstr");
  if (dynstr) strs = r.read(dynstr.offset, dynstr.size);
  else {
    const off = vaddrToFileOffset(f, strtab);
    if (off !== null && strsz > 0) strs = r.read(off, strsz);
  }
  if (strs.length === 0) {
    f.problems.push("DT_NEEDED present but the dynamic string table is unreadable");
    return [];
  }
  return needed.map((o) => cstr(strs, o)).filter((s) => s.length > 0);
}

function readSymbols(r: Reader, f: ElfFile): void {
  const funcs: ElfSymbol[] = [];
  // .symtab first so that its (more complete, e.g. `.cold`) entries win by name.
  const tables = f.sections
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.type === SHT_SYMTAB || s.type === SHT_DYNSYM)
    .sort((a, b) => (a.s.type === SHT_SYMTAB ? 0 : 1) - (b.s.type === SHT_SYMTAB ? 0 : 1));
  for (const { s } of tables) {
    if (s.type === SHT_SYMTAB) f.hasSymtab = true;
    const table = s.type === SHT_SYMTAB ? ".symtab" : ".dynsym";
    const strSec = f.sections[s.link];
    if (!strSec || s.size === 0 || s.size > 1 << 30) continue;
    const data = r.read(s.offset, s.size);
    const strs = r.read(strSec.offset, strSec.size);
    if (data.length < s.size || strs.length < strSec.size) f.problems.push(`${table} truncated`);
    const ent = Math.max(s.entsize, 24);
    for (let o = ent; o + 24 <= data.length; o += ent) {
      const nameOff = data.readUInt32LE(o);
      const info = data[o + 4]!;
      const shndx = data.readUInt16LE(o + 6);
      const value = data.readBigUInt64LE(o + 8);
      const size = Number(data.readBigUInt64LE(o + 16));
      if (shndx === 0 || nameOff === 0) continue; // undefined or unnamed
      const type = info & 0xf;
      const name = cstr(strs, nameOff);
      if (!name) continue;
      const sym: ElfSymbol = { name, value, size, type, bind: info >> 4, table };
      if (!f.symbolsByName.has(name)) f.symbolsByName.set(name, sym);
      if ((type === STT_FUNC || type === STT_GNU_IFUNC) && value !== 0n) funcs.push(sym);
    }
  }
  funcs.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : b.size - a.size));
  // One symbol per address: the first after sorting (largest size; .symtab before .dynsym is not needed,
  // aliases at one address are the same code).
  const uniq: ElfSymbol[] = [];
  for (const s of funcs) {
    const last = uniq[uniq.length - 1];
    if (last && last.value === s.value) {
      // Prefer a GLOBAL name over a LOCAL alias, then the shorter name (e.g. `PyObject_RichCompare`).
      if (last.bind === 0 && s.bind !== 0) uniq[uniq.length - 1] = s;
      continue;
    }
    uniq.push(s);
  }
  f.functions = uniq;
}

/** The PT_LOAD segment containing file offset `off`, or undefined. */
export function loadSegmentForOffset(f: ElfFile, off: number): ElfSegment | undefined {
  return f.segments.find((p) => p.type === PT_LOAD && off >= p.offset && off < p.offset + Math.max(p.filesz, 1));
}

/** Link-time vaddr of file offset `off` through PT_LOAD, or null when no segment maps it. */
export function fileOffsetToVaddr(f: ElfFile, off: number): bigint | null {
  const p = loadSegmentForOffset(f, off);
  return p ? p.vaddr + BigInt(off - p.offset) : null;
}

/** File offset of link-time vaddr `v` through PT_LOAD (only file-backed bytes), or null. */
export function vaddrToFileOffset(f: ElfFile, v: bigint): number | null {
  for (const p of f.segments) {
    if (p.type !== PT_LOAD) continue;
    if (v >= p.vaddr && v < p.vaddr + BigInt(p.filesz)) return p.offset + Number(v - p.vaddr);
  }
  return null;
}

/**
 * The function symbol containing link-time address `v` (binary search). Symbols with size 0 cover up to
 * the next symbol but at most `maxGap` bytes. Returns the symbol and the offset into it.
 */
export function findFunction(f: ElfFile, v: bigint, maxGap = 4096): { sym: ElfSymbol; offset: number } | null {
  const a = f.functions;
  const best = lastAtOrBelow(a.length, (i) => a[i]!.value <= v);
  // Walk back a little: a large symbol may contain v even when a smaller one starts after it.
  for (let i = best, steps = 0; i >= 0 && steps < 4; i--, steps++) {
    const s = a[i]!;
    const off = Number(v - s.value);
    if (s.size > 0 ? off < s.size : off < maxGap && (i + 1 >= a.length || v < a[i + 1]!.value)) {
      return { sym: s, offset: off };
    }
  }
  return null;
}

/** The section with this name, or undefined. */
export function sectionByName(f: ElfFile, name: string): ElfSection | undefined {
  return f.sections.find((s) => s.name === name);
}

/** Whether link-time address `v` is inside an executable PT_LOAD segment. */
export function isExecutableVaddr(f: ElfFile, v: bigint): boolean {
  return f.segments.some(
    (p) => p.type === PT_LOAD && (p.flags & PF_X) !== 0 && v >= p.vaddr && v < p.vaddr + BigInt(p.memsz),
  );
}
