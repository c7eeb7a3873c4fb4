/**
 * The hashes of the profile package, in one place: the stack hash shared by every stack table (a multilinear sum over
 * depths, one fixed odd key per depth, so the per-frame work is independent products rather than one chain of
 * dependent multiplies, finished with mix32) and FNV-1a for strings (StackStore's history digest, the viewer's
 * stable colours).
 * HASH_KEYS is in-memory only: nothing persisted depends on it. mix32 and fnv1a are fixed: the store's history digest,
 * which is persisted in stored profiles, is built from them.
 */

/** Per-depth odd multipliers (an xorshift32 sequence from a fixed seed, so runs are reproducible). */
export const HASH_KEYS = new Int32Array(256);
{
  let x = 0x12345678;
  for (let i = 0; i < 256; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    HASH_KEYS[i] = x | 1;
  }
}

/** MurmurHash3's 32-bit finaliser: spreads every input bit over the result. */
export function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** The seed of a run's hash: its tag (a label set id, or 0) and its length. */
export const runSeed = (tag: number, n: number): number => Math.imul(tag + 1, 0x9e3779b1) ^ n;

/** Hash of the run (tag, frames a[o..o+n)); equal to what StackBatch.load computes for the same run. */
export function hashRun(tag: number, a: Int32Array, o: number, n: number): number {
  let h = runSeed(tag, n);
  for (let i = 0; i < n; i++) h = (h + Math.imul(a[o + i]! + 1, HASH_KEYS[i & 255]!)) | 0;
  return mix32(h);
}

/** 32-bit FNV-1a of a string's UTF-16 code units, as an unsigned integer: stable across runs and machines. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
