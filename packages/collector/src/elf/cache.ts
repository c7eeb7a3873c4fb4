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
 * Opens and parses `path` through the cache. Returns null when the file cannot be stat'ed (gone, no
 * permission); an unreadable or non-ELF file gives an ElfFile with `problems` and no symbols.
 */
export function openElf(path: string): ElfFile | null {
  const key = statKey(path);
  if (key === null) return null;
  const hit = byStat.get(key);
  if (hit) return hit;
  let f = parseElfFile(path);
  if (f.buildId) {
    const same = byBuildId.get(f.buildId);
    if (same) f = same;
    else byBuildId.set(f.buildId, f);
  }
  if (byStat.size >= MAX_ENTRIES) byStat.clear();
  if (byBuildId.size >= MAX_ENTRIES) byBuildId.clear();
  byStat.set(key, f);
  return f;
}

/** A cached file by build-id, if one was parsed. */
export function elfByBuildId(buildId: string): ElfFile | undefined {
  return byBuildId.get(buildId);
}

/** Empties the caches (tests). */
export function clearElfCache(): void {
  byStat.clear();
  byBuildId.clear();
}
