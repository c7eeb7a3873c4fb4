/**
 * Sandwich view of one function: who calls it (callers) and what it calls (callees),
 * both as profiles rooted at the function, so they render as ordinary flamegraphs.
 */
import { builderLike, type Frame, type Profile, type ProfileBuilder } from "../model.js";

export interface FunctionRef {
  name: string;
  /** Restrict to this file (Python functions with the same name in different files). */
  file?: string;
}

export interface Sandwich {
  /** Stacks cut so the function is the root: its subtree, all occurrences merged. */
  callees: Profile;
  /** Reversed stacks from the function up to the root: the function is the root, its callers are children. */
  callers: Profile;
}

function matches(f: Frame, fn: FunctionRef): boolean {
  return f.name === fn.name && (fn.file === undefined || f.file === fn.file);
}

/**
 * Recursion: callees start at the outermost call (so the root's total is the function's total,
 * counted once per stack); callers start at the innermost call (its immediate callers first).
 * The root frame is the function with line 0 (one node however many lines were sampled).
 */
export function sandwich(p: Profile, fn: FunctionRef): Sandwich {
  const callees = builderLike(p);
  const callers = builderLike(p);
  const isFn = p.frames.map((f) => matches(f, fn));
  const first = p.frames.find((f) => matches(f, fn));
  if (!first) return { callees: callees.build(), callers: callers.build() };
  const rootFrame: Frame = {
    name: first.name,
    file: fn.file ?? first.file,
    line: 0,
    kind: first.kind,
    module: first.module,
  };
  const calleeRemap = new Map<number, number>();
  const callerRemap = new Map<number, number>();
  const map = (b: ProfileBuilder, m: Map<number, number>, fi: number) => {
    let i = m.get(fi);
    if (i === undefined) {
      i = b.frame(p.frames[fi]!);
      m.set(fi, i);
    }
    return i;
  };
  const calleeRoot = callees.frame(rootFrame);
  const callerRoot = callers.frame(rootFrame);
  for (const s of p.samples) {
    const st = s.stack;
    let outer = -1;
    let inner = -1;
    for (let i = 0; i < st.length; i++) {
      if (isFn[st[i]!]) {
        if (outer < 0) outer = i;
        inner = i;
      }
    }
    if (outer < 0) continue;
    const down = [calleeRoot];
    for (let i = outer + 1; i < st.length; i++) down.push(map(callees, calleeRemap, st[i]!));
    callees.add(down, s.values, s.labels);
    const up = [callerRoot];
    for (let i = inner - 1; i >= 0; i--) up.push(map(callers, callerRemap, st[i]!));
    callers.add(up, s.values, s.labels);
  }
  return { callees: callees.build(), callers: callers.build() };
}
