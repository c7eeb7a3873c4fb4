/** Kernel symbols from /proc/kallsyms (binary search over text symbols). */
import { readFileSync } from "node:fs";
import { lastAtOrBelow } from "../sorted.js";

export class KernelSymbol {
  readonly name: string;
  /** Kernel module ("" for vmlinux). */
  readonly module: string;
  private readonly k: number;
  constructor(name: string, module: string, k: number) {
    this.name = name;
    this.module = module;
    this.k = k;
  }
  get addr(): bigint {
    return KERNEL_BASE + BigInt(this.k);
  }
}

export interface KernelSymbols {
  /** Text symbols sorted by address (built on first use; lookups use symbolAt). Empty when the file was unreadable. */
  readonly symbols: readonly KernelSymbol[];
  /** True when every address read as 0 (kptr_restrict / not root): names cannot be resolved. */
  readonly hidden: boolean;
  /** Addresses as numbers relative to KERNEL_BASE, sorted, parallel to `symbols` (fast search). */
  readonly keys: Float64Array;
  /** The i-th symbol by address. */
  symbolAt(i: number): KernelSymbol;
}

/** Names and modules in plain arrays: one object per symbol only for symbols looked up (~120k otherwise). */
class KallsymsTable implements KernelSymbols {
  private all: KernelSymbol[] | undefined;
  constructor(
    readonly keys: Float64Array,
    private readonly names: string[],
    private readonly modules: string[],
    readonly hidden: boolean,
  ) {}
  symbolAt(i: number): KernelSymbol {
    return new KernelSymbol(this.names[i]!, this.modules[i]!, this.keys[i]!);
  }
  get symbols(): readonly KernelSymbol[] {
    this.all ??= Array.from(this.keys, (_, i) => this.symbolAt(i));
    return this.all;
  }
}

/** Kernel and module text on x86-64 lives above this; offsets from it fit in a double exactly. */
const KERNEL_BASE = 0xffff000000000000n;
const TWO32 = 2 ** 32;

function key(addr: bigint): number {
  return addr >= KERNEL_BASE ? Number(addr - KERNEL_BASE) : -1;
}

/** Value of a lowercase/uppercase hex digit, or -1. */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Eight hex digits at `at` as a number, or -1. */
function hex8(text: string, at: number): number {
  let v = 0;
  for (let i = at; i < at + 8; i++) {
    const d = hexDigit(text.charCodeAt(i));
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/**
 * Parses /proc/kallsyms text, keeping text symbols (t, T, w, W). Reads the text in place (no per-line strings):
 * only the names of kept symbols are sliced out.
 */
export function parseKallsyms(text: string): KernelSymbols {
  const keys: number[] = [];
  const names: string[] = [];
  const modules: string[] = [];
  let nonZero = false;
  let any = false;
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    let eol = text.indexOf("\n", pos);
    if (eol < 0) eol = n;
    const line = pos;
    pos = eol + 1;
    // "ffffffff81000000 T _stext" or "... t name\t[module]"
    if (eol - line < 20 || text.charCodeAt(line + 16) !== 0x20 || text.charCodeAt(line + 18) !== 0x20) continue;
    const type = text.charCodeAt(line + 17);
    if (type !== 0x74 && type !== 0x54 && type !== 0x77 && type !== 0x57) continue; // t T w W
    any = true;
    const hi = hex8(text, line);
    const lo = hex8(text, line + 8);
    if (hi < 0 || lo < 0 || (hi === 0 && lo === 0)) continue;
    nonZero = true;
    if (hi < 0xffff0000) continue; // not kernel text on x86-64
    let tab = line + 19;
    while (tab < eol && text.charCodeAt(tab) !== 0x09) tab++;
    if (tab < eol) {
      names.push(text.slice(line + 19, tab));
      let m0 = tab + 1;
      let m1 = eol;
      if (text.charCodeAt(m0) === 0x5b /* [ */) m0++;
      if (text.charCodeAt(m1 - 1) === 0x5d /* ] */) m1--;
      modules.push(text.slice(m0, m1));
    } else {
      names.push(text.slice(line + 19, eol));
      modules.push("");
    }
    keys.push((hi - 0xffff0000) * TWO32 + lo);
  }
  // Index sort over a typed array: far faster than sorting objects (kallsyms is nearly sorted already).
  const k = Float64Array.from(keys);
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1]! <= keys[i]!;
  if (sorted) return new KallsymsTable(k, names, modules, any && !nonZero);
  const idx = new Uint32Array(keys.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  idx.sort((a, b) => k[a]! - k[b]!);
  const outKeys = new Float64Array(idx.length);
  const outNames = new Array<string>(idx.length);
  const outModules = new Array<string>(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i]!;
    outKeys[i] = k[j]!;
    outNames[i] = names[j]!;
    outModules[i] = modules[j]!;
  }
  return new KallsymsTable(outKeys, outNames, outModules, any && !nonZero);
}

let cached: KernelSymbols | undefined;

/** /proc/kallsyms, read once per process. */
export function loadKallsyms(path = "/proc/kallsyms"): KernelSymbols {
  if (cached && path === "/proc/kallsyms") return cached;
  let ks: KernelSymbols;
  try {
    // latin1: a plain byte copy (symbol names are ASCII), cheaper than UTF-8 decoding 5 MB.
    ks = parseKallsyms(readFileSync(path).toString("latin1"));
  } catch {
    ks = new KallsymsTable(new Float64Array(0), [], [], true);
  }
  if (path === "/proc/kallsyms") cached = ks;
  return ks;
}

/** The kernel symbol at or below `addr`, with the offset, or null (below the first symbol). */
export function findKernelSymbol(ks: KernelSymbols, addr: bigint): { sym: KernelSymbol; offset: bigint } | null {
  const k = key(addr);
  if (k < 0) return null;
  const a = ks.keys;
  const best = lastAtOrBelow(a.length, (i) => a[i]! <= k);
  if (best < 0) return null;
  return { sym: ks.symbolAt(best), offset: BigInt(k - a[best]!) };
}
