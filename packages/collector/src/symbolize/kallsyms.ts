/** Kernel symbols from /proc/kallsyms (binary search over text symbols). */
import { readFileSync } from "node:fs";

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
  /** Text symbols sorted by address. Empty when the file was unreadable. */
  symbols: KernelSymbol[];
  /** True when every address read as 0 (kptr_restrict / not root): names cannot be resolved. */
  hidden: boolean;
  /** Addresses as numbers relative to KERNEL_BASE, parallel to `symbols` (fast search). */
  keys: Float64Array;
}

/** Kernel and module text on x86-64 lives above this; offsets from it fit in a double exactly. */
const KERNEL_BASE = 0xffff000000000000n;
const TWO32 = 2 ** 32;

function key(addr: bigint): number {
  return addr >= KERNEL_BASE ? Number(addr - KERNEL_BASE) : -1;
}

/** Parses /proc/kallsyms text, keeping text symbols (t, T, w, W). */
export function parseKallsyms(text: string): KernelSymbols {
  const keys: number[] = [];
  const names: string[] = [];
  const modules: string[] = [];
  let nonZero = false;
  let any = false;
  let pos = 0;
  while (pos < text.length) {
    let eol = text.indexOf("\n", pos);
    if (eol < 0) eol = text.length;
    const line = text.slice(pos, eol);
    pos = eol + 1;
    if (line.length < 20 || line[16] !== " ") continue;
    const type = line[17];
    if (type !== "t" && type !== "T" && type !== "w" && type !== "W") continue;
    any = true;
    const hi = Number.parseInt(line.slice(0, 8), 16);
    const lo = Number.parseInt(line.slice(8, 16), 16);
    if (hi === 0 && lo === 0) continue;
    nonZero = true;
    if (hi < 0xffff0000) continue; // not kernel text on x86-64
    const tab = line.indexOf("\t", 19);
    names.push(tab >= 0 ? line.slice(19, tab) : line.slice(19));
    modules.push(tab >= 0 ? line.slice(tab + 1).replace(/^\[|\]$/g, "") : "");
    keys.push((hi - 0xffff0000) * TWO32 + lo);
  }
  // Index sort over a typed array: far faster than sorting objects (kallsyms is nearly sorted already).
  const k = Float64Array.from(keys);
  const idx = new Uint32Array(keys.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) sorted = keys[i - 1]! <= keys[i]!;
  if (!sorted) idx.sort((a, b) => k[a]! - k[b]!);
  const symbols = new Array<KernelSymbol>(idx.length);
  const outKeys = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i]!;
    symbols[i] = new KernelSymbol(names[j]!, modules[j]!, k[j]!);
    outKeys[i] = k[j]!;
  }
  return { symbols, keys: outKeys, hidden: any && !nonZero };
}

let cached: KernelSymbols | undefined;

/** /proc/kallsyms, read once per process. */
export function loadKallsyms(path = "/proc/kallsyms"): KernelSymbols {
  if (cached && path === "/proc/kallsyms") return cached;
  let ks: KernelSymbols;
  try {
    ks = parseKallsyms(readFileSync(path, "utf8"));
  } catch {
    ks = { symbols: [], keys: new Float64Array(0), hidden: true };
  }
  if (path === "/proc/kallsyms") cached = ks;
  return ks;
}

/** The kernel symbol at or below `addr`, with the offset, or null (below the first symbol). */
export function findKernelSymbol(ks: KernelSymbols, addr: bigint): { sym: KernelSymbol; offset: bigint } | null {
  const k = key(addr);
  if (k < 0) return null;
  const a = ks.keys;
  let lo = 0;
  let hi = a.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! <= k) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best < 0) return null;
  return { sym: ks.symbols[best]!, offset: BigInt(k - a[best]!) };
}
