/** Folded / collapsed stacks: one line per unique stack, root first, sorted, `;`-joined, space, count. */
import { formatFrameText } from "../frame-text.js";
import { type Profile, resolveValueIndex } from "../model.js";

export interface ToFoldedOptions {
  /** Which sample type to write (default: the profile's default). */
  valueIndex?: number;
  /** Keep stacks whose value is 0 (default false). */
  keepZero?: boolean;
}

export function toFolded(p: Profile, opts: ToFoldedOptions = {}): string {
  const vi = resolveValueIndex(p, opts.valueIndex);
  const texts = p.frames.map(formatFrameText);
  const sums = new Map<string, number>();
  for (const s of p.samples) {
    const v = s.values[vi] ?? 0;
    let key = "";
    for (let i = 0; i < s.stack.length; i++) {
      if (i > 0) key += ";";
      key += texts[s.stack[i]!]!;
    }
    sums.set(key, (sums.get(key) ?? 0) + v);
  }
  const keys = [...sums.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let out = "";
  for (const k of keys) {
    const v = sums.get(k)!;
    if (v === 0 && !opts.keepZero) continue;
    out += `${k} ${v}\n`;
  }
  return out;
}
