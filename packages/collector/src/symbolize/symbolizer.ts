/**
 * User-space and kernel address symbolization.
 *
 * user address → mapping (/proc/PID/maps) → file offset → link-time vaddr (PT_LOAD) → function symbol
 * (binary search over .symtab/.dynsym). Addresses with no symbol keep their place as `module+0xvaddr`;
 * addresses in no executable mapping are reported as such so callers can drop garbage from frame-pointer walks.
 */

import {
  type ElfFile,
  fileOffsetToVaddr,
  findFunction,
  loadSegmentForOffset,
  openElf,
  parseElfBuffer,
} from "../elf/index.js";
import {
  candidatePaths,
  findMapping,
  type Mapping,
  moduleName,
  ProcMem,
  parseMaps,
  readMapsText,
} from "../proc/index.js";
import { followsCall } from "./callsite.js";
import { findKernelSymbol, type KernelSymbols, loadKallsyms } from "./kallsyms.js";

export interface UserSymbol {
  /** Display name of the binary: `libpython3.12.so.1.0`, `[vdso]`, `[anon]`. */
  module: string;
  /** Full path of the mapping ("" for anonymous memory). */
  path: string;
  /** Symbol name, or `module+0x<vaddr>` when unknown. */
  name: string;
  /** Byte offset into the symbol (0 when unknown). */
  offset: number;
  /** Whether `name` is a real symbol. */
  known: boolean;
}

export interface KernelFrameSymbol {
  name: string;
  offset: bigint;
  /** Kernel module ("" for vmlinux). */
  kmodule: string;
  known: boolean;
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** Load bias of `elf` as mapped by `m`: runtime address = link-time vaddr + bias. null when unknown. */
export function loadBias(elf: ElfFile, m: Mapping): bigint | null {
  const off = Number(m.offset);
  const seg = loadSegmentForOffset(elf, off);
  if (!seg) return null;
  return m.start - (seg.vaddr + BigInt(off - seg.offset));
}

const MAX_CACHED_ADDRS = 200_000;
const vdsoCache = new Map<string, ElfFile>();

/** Where separate debug files live, by build-id (Debian's *-dbg / *-dbgsym packages install them there). */
export const DEFAULT_DEBUG_DIRS = ["/usr/lib/debug/.build-id"];

/**
 * The ELF whose symbol table to use for `elf`: itself when it has a .symtab, else its separate debug file found by
 * build-id (`<dir>/ab/cdef….debug`, same link-time addresses), else itself (.dynsym only).
 */
export function symbolSource(elf: ElfFile, debugDirs: readonly string[] = DEFAULT_DEBUG_DIRS): ElfFile {
  if (elf.hasSymtab || !elf.buildId || elf.buildId.length < 4) return elf;
  for (const dir of debugDirs) {
    const dbg = openElf(`${dir}/${elf.buildId.slice(0, 2)}/${elf.buildId.slice(2)}.debug`);
    if (dbg?.hasSymtab && dbg.buildId === elf.buildId) return dbg;
  }
  return elf;
}

/** Symbolizes addresses of one process. Keeps the maps, each mapping's ELF and each address it resolved. */
export class ProcessSymbolizer {
  readonly pid: number;
  private maps: Mapping[] = [];
  private loadedAt = 0;
  private readonly reloadIntervalMs: number;
  private readonly debugDirs: readonly string[];
  private readonly symSources = new Map<ElfFile, ElfFile>();
  private readonly elfs = new Map<string, ElfFile | null>();
  private readonly addrCache = new Map<bigint, UserSymbol | null>();
  private mem: ProcMem | null | undefined;
  private readonly callSiteCache = new Map<bigint, boolean>();
  /** Text of /proc/PID/maps when last read. */
  private mapsText = "";
  /** Incremented whenever a re-read of /proc/PID/maps found other mappings than before. */
  mapsVersion = 0;
  /** Set when /proc/PID/maps could not be read (process gone, no permission). */
  error: string | null = null;

  constructor(pid: number, opts: { reloadIntervalMs?: number; debugDirs?: readonly string[] } = {}) {
    this.pid = pid;
    this.debugDirs = opts.debugDirs ?? DEFAULT_DEBUG_DIRS;
    this.reloadIntervalMs = opts.reloadIntervalMs ?? 2000;
    this.reload();
  }

  /** Re-reads /proc/PID/maps. Returns false when it could not be read. */
  reload(): boolean {
    this.loadedAt = Date.now();
    try {
      const text = readMapsText(this.pid);
      this.error = null;
      if (text === this.mapsText) return true;
      if (this.mapsText !== "") {
        // Addresses may now be in other mappings (dlopen, munmap, exec): forget what they resolved to.
        this.mapsVersion++;
        this.addrCache.clear();
        this.callSiteCache.clear();
      }
      this.mapsText = text;
      this.maps = parseMaps(text);
      return true;
    } catch (err) {
      this.error = `cannot read /proc/${this.pid}/maps: ${(err as Error).message}`;
      return false;
    }
  }

  /** False when the process's maps were never readable (it exited before we looked): nothing can be judged. */
  get available(): boolean {
    return this.maps.length > 0;
  }

  mappings(): readonly Mapping[] {
    return this.maps;
  }

  /** The mapping containing `addr`, re-reading the maps (rate-limited) when none does: new dlopen()s. */
  mappingFor(addr: bigint): Mapping | undefined {
    let m = findMapping(this.maps, addr);
    if (!m && Date.now() - this.loadedAt >= this.reloadIntervalMs && this.reload()) {
      m = findMapping(this.maps, addr);
    }
    return m;
  }

  /** The [vdso] image of this process, parsed (shared by all processes with the same image). */
  private vdsoFor(m: Mapping): ElfFile | null {
    const size = Number(m.end - m.start);
    if (size <= 0 || size > 1 << 20) return null;
    if (this.mem === undefined) this.openMem();
    const buf = this.mem ? this.mem.read(m.start, size) : null;
    if (!buf) return null;
    const key = buf.toString("base64");
    let f = vdsoCache.get(key);
    if (!f) {
      f = parseElfBuffer(buf, "[vdso]");
      if (vdsoCache.size > 8) vdsoCache.clear();
      vdsoCache.set(key, f);
    }
    return f.type !== 0 ? f : null;
  }

  private openMem(): void {
    try {
      this.mem = new ProcMem(this.pid);
    } catch {
      this.mem = null;
    }
  }

  /** The parsed ELF file behind a file-backed mapping (or the [vdso]), or null. */
  elfFor(m: Mapping): ElfFile | null {
    if (m.path === "[vdso]") {
      const key = `${m.start}:[vdso]`;
      let v = this.elfs.get(key);
      if (v === undefined) {
        v = this.vdsoFor(m);
        this.elfs.set(key, v);
      }
      return v;
    }
    if (m.path === "" || m.pseudo) return null;
    const key = `${m.start}:${m.path}:${m.inode}`;
    let elf = this.elfs.get(key);
    if (elf === undefined) {
      elf = null;
      for (const p of candidatePaths(this.pid, m)) {
        const f = openElf(p);
        if (f && f.type !== 0) {
          elf = f;
          break;
        }
      }
      this.elfs.set(key, elf);
    }
    return elf;
  }

  /**
   * Symbolizes a user address. Returns null when the address is in no executable mapping (garbage from a
   * frame-pointer walk through code without frame pointers).
   */
  symbolize(addr: bigint): UserSymbol | null {
    const hit = this.addrCache.get(addr);
    if (hit !== undefined) return hit;
    const r = this.compute(addr);
    if (this.addrCache.size >= MAX_CACHED_ADDRS) this.addrCache.clear();
    this.addrCache.set(addr, r);
    return r;
  }

  /**
   * Whether `retAddr` can be a return address: the bytes before it are a call instruction. True when the code
   * cannot be read (no way to tell), so the check only ever removes frames it can prove wrong.
   */
  isCallSite(retAddr: bigint): boolean {
    const hit = this.callSiteCache.get(retAddr);
    if (hit !== undefined) return hit;
    if (this.mem === undefined) this.openMem();
    let r = true;
    const m = this.mappingFor(retAddr);
    if (!m?.executable) r = false;
    else if (this.mem) {
      const n = retAddr - m.start >= 7n ? 7 : Number(retAddr - m.start);
      const bytes = n > 0 ? this.mem.read(retAddr - BigInt(n), n) : null;
      if (bytes) r = followsCall(bytes);
      else if (n === 0) r = false;
    }
    if (this.callSiteCache.size >= MAX_CACHED_ADDRS) this.callSiteCache.clear();
    this.callSiteCache.set(retAddr, r);
    return r;
  }

  close(): void {
    this.mem?.close();
    this.mem = undefined;
  }

  private compute(addr: bigint): UserSymbol | null {
    const m = this.mappingFor(addr);
    if (!m?.executable) return null;
    const module = moduleName(m);
    if (m.path === "[vdso]") {
      const v = this.elfFor(m);
      const vaddr = v ? fileOffsetToVaddr(v, Number(addr - m.start)) : null;
      const f = v && vaddr !== null ? findFunction(v, vaddr) : null;
      if (f) return { module, path: m.path, name: f.sym.name, offset: f.offset, known: true };
    }
    if (m.path === "" || m.pseudo) {
      return { module, path: m.path, name: `${module}+${hex(addr - m.start)}`, offset: 0, known: false };
    }
    const fileOff = addr - m.start + m.offset;
    const elf = this.elfFor(m);
    const vaddr = elf ? fileOffsetToVaddr(elf, Number(fileOff)) : null;
    if (!elf || vaddr === null) {
      return { module, path: m.path, name: `${module}+${hex(fileOff)}`, offset: 0, known: false };
    }
    let src = this.symSources.get(elf);
    if (!src) {
      src = symbolSource(elf, this.debugDirs);
      this.symSources.set(elf, src);
    }
    const f = findFunction(src, vaddr);
    if (!f) return { module, path: m.path, name: `${module}+${hex(vaddr)}`, offset: 0, known: false };
    return { module, path: m.path, name: f.sym.name, offset: f.offset, known: true };
  }
}

const KERNEL_MAX_OFFSET = 1n << 20n;

/** Kernel symbolization from /proc/kallsyms, warning once when addresses are hidden. */
export class KernelSymbolizer {
  private ks: KernelSymbols | undefined;
  private warned = false;
  private readonly warn: (msg: string) => void;
  private readonly path: string;

  constructor(opts: { warn?: (msg: string) => void; kallsymsPath?: string } = {}) {
    this.warn = opts.warn ?? (() => {});
    this.path = opts.kallsymsPath ?? "/proc/kallsyms";
  }

  symbolize(addr: bigint): KernelFrameSymbol {
    this.ks ??= loadKallsyms(this.path);
    const ks = this.ks;
    if (ks.hidden || ks.keys.length === 0) {
      if (!this.warned) {
        this.warned = true;
        this.warn(
          ks.hidden
            ? "kernel symbols are hidden (/proc/kallsyms shows zero addresses): kernel frames are shown as [kernel]+0x…; run as root or set kernel.kptr_restrict=0 to see their names"
            : `cannot read ${this.path}: kernel frames are shown as [kernel]+0x…`,
        );
      }
      return { name: `[kernel]+${hex(addr)}`, offset: 0n, kmodule: "", known: false };
    }
    const f = findKernelSymbol(ks, addr);
    if (!f || f.offset > KERNEL_MAX_OFFSET)
      return { name: `[kernel]+${hex(addr)}`, offset: 0n, kmodule: "", known: false };
    return { name: f.sym.name, offset: f.offset, kmodule: f.sym.module, known: true };
  }
}
