/** The one binary search of the collector: symbol tables, kernel symbols, process mappings and line-table ranges. */

/**
 * The last index `i` in [0, n) for which `atOrBelow(i)` holds, or -1 when it holds for none. `atOrBelow` must hold
 * for a prefix of the indices only: it compares the i-th key of an ascending table with the key searched for.
 */
export function lastAtOrBelow(n: number, atOrBelow: (i: number) => boolean): number {
  let lo = 0;
  let hi = n - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (atOrBelow(mid)) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/** The range of `ranges` (sorted by `start`, not overlapping, `end` exclusive) that contains `x`, or undefined. */
export function rangeContaining<K extends number | bigint, T extends { readonly start: K; readonly end: K }>(
  ranges: readonly T[],
  x: K,
): T | undefined {
  const r = ranges[lastAtOrBelow(ranges.length, (i) => ranges[i]!.start <= x)];
  return r !== undefined && x < r.end ? r : undefined;
}
