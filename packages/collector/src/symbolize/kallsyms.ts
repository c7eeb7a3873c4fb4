/** Kernel symbols from /proc/kallsyms (binary search over text symbols). */
import { readFileSync } from "node:fs";

export interface KernelSymbol {
  addr: bigint;
  name: string;
  module: string;
}

export interface KernelSymbols {
  /** Text symbols sorted by address. Empty when the file was unreadable. */
  symbols: KernelSymbol[];
  /** True when every address read as 0 (kptr_restrict / not root): names cannot be resolved. */
  hidden: boolean;
}

/** Parses /proc/kallsyms text, keeping text symbols (t, T, w, W). */
export function parseKallsyms(text: string): KernelSymbols {
  const symbols: KernelSymbol[] = [];
  let nonZero = false;
  let any = false;
  for (const line of text.split("\n")) {
    if (line.length < 20) continue;
    const sp1 = line.indexOf(" ");
    const sp2 = line.indexOf(" ", sp1 + 1);
    if (sp1 < 0 || sp2 < 0) continue;
    const type = line[sp1 + 1];
    if (type !== "t" && type !== "T" && type !== "w" && type !== "W") continue;
    any = true;
    const addr = BigInt(`0x${line.slice(0, sp1)}`);
    if (addr === 0n) continue;
    nonZero = true;
    const rest = line.slice(sp2 + 1);
    const tab = rest.indexOf("\t");
    const name = tab >= 0 ? rest.slice(0, tab) : rest;
    const module = tab >= 0 ? rest.slice(tab + 1).replace(/^\[|\]$/g, "") : "";
    symbols.push({ addr, name, module });
  }
  symbols.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  return { symbols, hidden: any && !nonZero };
}

let cached: KernelSymbols | undefined;

/** /proc/kallsyms, read once per process. */
export function loadKallsyms(path = "/proc/kallsyms"): KernelSymbols {
  if (cached && path === "/proc/kallsyms") return cached;
  let ks: KernelSymbols;
  try {
    ks = parseKallsyms(readFileSync(path, "utf8"));
  } catch {
    ks = { symbols: [], hidden: true };
  }
  if (path === "/proc/kallsyms") cached = ks;
  return ks;
}

/** The kernel symbol at or below `addr`, with the offset, or null (below the first symbol). */
export function findKernelSymbol(ks: KernelSymbols, addr: bigint): { sym: KernelSymbol; offset: bigint } | null {
  const a = ks.symbols;
  let lo = 0;
  let hi = a.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]!.addr <= addr) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best < 0) return null;
  const sym = a[best]!;
  return { sym, offset: addr - sym.addr };
}
