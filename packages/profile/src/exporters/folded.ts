/** Folded / collapsed stacks: one line per unique stack, root first, sorted, `;`-joined, space, count. */
import { formatFrameText } from "../frame-text.js";
import { type Profile, resolveValueIndex } from "../model.js";
import { ProfileMerger } from "../ops/merge.js";

export interface ToFoldedOptions {
  /** Which sample type to write (default: the profile's default). */
  valueIndex?: number;
  /** Keep stacks whose value is 0 (default false). */
  keepZero?: boolean;
}

export function toFolded(p: Profile, opts: ToFoldedOptions = {}): string {
  const vi = resolveValueIndex(p, opts.valueIndex);
  // Sum samples that differ only in labels (numeric hashing, no strings), then format each stack once.
  const agg = new ProfileMerger(p.sampleTypes, { keepLabels: false }).add(p).build();
  const texts = agg.frames.map(formatFrameText);
  const keys: string[] = [];
  const vals: number[] = [];
  const parts: string[] = [];
  for (const s of agg.samples) {
    const v = s.values[vi] ?? 0;
    if (v === 0 && !opts.keepZero) continue;
    parts.length = s.stack.length;
    for (let i = 0; i < s.stack.length; i++) parts[i] = texts[s.stack[i]!]!;
    keys.push(parts.join(";"));
    vals.push(v);
  }
  const order = keys.map((_, i) => i);
  order.sort((a, b) => {
    const x = keys[a]!;
    const y = keys[b]!;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  // Different frames can print the same (e.g. one native symbol in two modules): sum equal neighbours.
  const lines: string[] = [];
  for (let i = 0; i < order.length; ) {
    const k = keys[order[i]!]!;
    let v = vals[order[i]!]!;
    let j = i + 1;
    while (j < order.length && keys[order[j]!] === k) v += vals[order[j++]!]!;
    lines.push(`${k} ${v}\n`);
    i = j;
  }
  return lines.join("");
}
