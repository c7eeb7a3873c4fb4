/**
 * ELF files cached by build-id (or path + device + inode + mtime + size when a file has no build-id), so the
 * same library mapped by many processes, or under several paths, is parsed once.
 */
import { statSync } from "node:fs";
import { type ElfFile, parseElfFile } from "./elf.js";

const byStat = new Map<string, ElfFile>();
const byBuildId = new Map<string, ElfFile>();
const MAX_ENTRIES = 512;

function statKey(path: string): string | null {
  try {
    const st = statSync(path, { bigint: true });
    if (!st.isFile()) return null;
    return `${st.dev}:${st.ino}:${st.mtimeNs}:${st.size}`;
  } catch {
    return null;
  }
}

/**
 * Opens and parses `path` through the cache (files with one build-id and the same shape are parsed once). Returns null when the file cannot be stat'ed (gone, no
 * permission); an unreadable or non-ELF file gives an ElfFile with `problems` and no symbols.
 */
export function openElf(path: string): ElfFile | null {
  const key = statKey(path);
  if (key === null) return null;
  const hit = byStat.get(key);
  if (hit) return hit;
  let f = parseElfFile(path);
  if (f.buildId) {
    // A separate debug file shares its binary's build-id but not its contents: keep them apart.
    const k = `${f.buildId}:${f.hasSymtab ? "symtab" : "dynsym"}:${f.sections.length}`;
    const same = byBuildId.get(k);
    if (same) f = same;
    else byBuildId.set(k, f);
  }
  if (byStat.size >= MAX_ENTRIES) byStat.clear();
  if (byBuildId.size >= MAX_ENTRIES) byBuildId.clear();
  byStat.set(key, f);
  return f;
}

/** A cached file by build-id, if one was parsed (the one with a .symtab when there are several). */
export function elfByBuildId(buildId: string): ElfFile | undefined {
  let found: ElfFile | undefined;
  for (const [k, f] of byBuildId) {
    if (!k.startsWith(`${buildId}:`)) continue;
    if (!found || (f.hasSymtab && !found.hasSymtab)) found = f;
  }
  return found;
}

/** Empties the caches (tests). */
export function clearElfCache(): void {
  byStat.clear();
  byBuildId.clear();
}
