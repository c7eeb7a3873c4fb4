/**
 * The stack hash shared by merge() and StackStore: a multilinear sum over depths (one fixed odd key per depth, so
 * the per-frame work is independent products, not one chain of dependent multiplies), finished with mix32.
 * In-memory only: nothing persisted depends on HASH_KEYS (StackStore's history digest uses mix32, which is fixed).
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
