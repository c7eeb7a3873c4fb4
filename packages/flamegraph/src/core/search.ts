import type { TreeIndex } from "./tree.js";

export interface SearchQuery {
  text: string;
  regex: boolean;
  caseSensitive: boolean;
}

export interface SearchResult {
  /** 1 for nodes whose frame name matches. */
  matched: Uint8Array;
  /** Number of matching nodes. */
  count: number;
  /** Total value of matched subtrees, each counted once (nested matches are not double counted). */
  matchedValue: number;
  /** matchedValue / root total, 0..1 */
  share: number;
  /** Set when the regex is invalid: the message to show to the user. */
  error?: string;
}

/** Escapes a literal for use inside a RegExp (e.g. an exact-name search from the top table). */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Builds the predicate for a query, or an error message the user can act on. */
export function compileQuery(q: SearchQuery): { test: (s: string) => boolean } | { error: string } {
  if (!q.regex) {
    if (q.caseSensitive) return { test: (s) => s.includes(q.text) };
    const needle = q.text.toLowerCase();
    return { test: (s) => s.toLowerCase().includes(needle) };
  }
  try {
    const re = new RegExp(q.text, q.caseSensitive ? "" : "i");
    return { test: (s) => re.test(s) };
  } catch (e) {
    return { error: `Invalid regular expression: ${(e as Error).message}. Fix the pattern or turn off regex mode.` };
  }
}

/**
 * Matches frame names: each distinct string is tested once, then frames, then nodes, so a
 * search over 1M nodes costs one pass over typed arrays. Subtrees are contiguous in pre-order,
 * which makes "count each matched subtree once" a single sweep.
 */
export function searchTree(ix: TreeIndex, q: SearchQuery): SearchResult | null {
  if (q.text === "") return null;
  const t = ix.tree;
  const matched = new Uint8Array(ix.n);
  const compiled = compileQuery(q);
  if ("error" in compiled) return { matched, count: 0, matchedValue: 0, share: 0, error: compiled.error };
  const stringHit = new Uint8Array(t.strings.length);
  const nf = t.frameName.length;
  const frameHit = new Uint8Array(nf);
  const tested = new Uint8Array(t.strings.length);
  for (let f = 0; f < nf; f++) {
    const si = t.frameName[f]!;
    if (!tested[si]) {
      tested[si] = 1;
      stringHit[si] = compiled.test(t.strings[si]!) ? 1 : 0;
    }
    frameHit[f] = stringHit[si]!;
  }
  let count = 0;
  let value = 0;
  let coveredEnd = 0;
  const { nodeFrame, nodeTotal } = t;
  const end = ix.end;
  // Node 0 (the synthetic root "all") is never a match: it is not a function.
  for (let i = 1; i < ix.n; i++) {
    if (frameHit[nodeFrame[i]!]) {
      matched[i] = 1;
      count++;
      if (i >= coveredEnd) {
        value += nodeTotal[i]!;
        coveredEnd = end[i]!;
      }
    }
  }
  return { matched, count, matchedValue: value, share: ix.total > 0 ? value / ix.total : 0 };
}

/** Matched value inside one subtree (e.g. the zoomed frame), each matched subtree counted once. */
export function matchedValueWithin(ix: TreeIndex, r: SearchResult, node: number): number {
  let value = 0;
  let coveredEnd = 0;
  const stop = ix.end[node]!;
  for (let i = node; i < stop; i++) {
    if (r.matched[i] && i >= coveredEnd) {
      value += ix.tree.nodeTotal[i]!;
      coveredEnd = ix.end[i]!;
    }
  }
  return value;
}

/** "12.34%" with sensible precision for tiny shares. */
export function formatPercent(share: number): string {
  const p = share * 100;
  if (p === 0) return "0%";
  if (Math.abs(p) < 0.01) return `${p < 0 ? "-" : ""}<0.01%`;
  return `${p.toFixed(2)}%`;
}
