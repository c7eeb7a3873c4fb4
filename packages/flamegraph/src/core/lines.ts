import type { FlameTree, Profile } from "@perforator/profile";
import { resolveValueIndex, sameValueType } from "@perforator/profile";
import { KINDS } from "./tree.js";

/** How a node's samples spread over source lines (a tree built per function has line 0 in its frames). */
export interface NodeLines {
  /** Distinct lines, heaviest first, with the node's value at each. Line 0 = unknown. */
  lines: { line: number; value: number }[];
  /** Sum of the values (the node's total on the side the lines were read from). */
  value: number;
}

export interface LineSource {
  profile: Profile;
  /** Sample type to read; default: the profile's default. */
  valueIndex?: number;
}

/** The sample type of `base` that matches `target`'s (type and unit), else base's default: as buildDiffFlameTree does. */
export function matchingValueIndex(base: Profile, target: Profile, targetIndex?: number): number {
  const t = target.sampleTypes[resolveValueIndex(target, targetIndex)]!;
  const i = base.sampleTypes.findIndex((x) => sameValueType(x, t));
  return i >= 0 ? i : base.defaultSampleType;
}

/**
 * Recovers the source lines behind a node of a per-function FlameTree from the profile(s) it was
 * built from. The FlameTree contract keeps no per-node line once lines are merged, so this walks
 * the samples whose stack runs through the node's path (same function identity as the tree:
 * kind, name, file, module). One node costs O(samples × matched prefix), paid on first hover and
 * cached; nothing is computed up front. Sources are tried in order; the first with a non-zero
 * value at the node wins (in a diff: the target, then the baseline for removed frames).
 */
export class LineResolver {
  private remaps: (Int32Array | null)[];
  private readonly cache = new Map<number, NodeLines | null>();

  constructor(
    private readonly tree: FlameTree,
    private readonly sources: readonly LineSource[],
    /** The label key the tree was split by (one synthetic `key=value` frame under the root). */
    private readonly groupBy?: string,
  ) {
    this.remaps = sources.map(() => null);
  }

  /** Profile frame index → tree frame id with the same function identity (line ignored), or -1. */
  private remap(k: number): Int32Array {
    let m = this.remaps[k];
    if (m) return m;
    const t = this.tree;
    const byKey = new Map<string, number>();
    for (let f = 0; f < t.frameName.length; f++) {
      const key = `${t.frameKind[f]}\u0000${t.strings[t.frameName[f]!]}\u0000${t.strings[t.frameFile[f]!]}\u0000${t.strings[t.frameModule[f]!]}`;
      if (!byKey.has(key)) byKey.set(key, f);
    }
    const frames = this.sources[k]!.profile.frames;
    m = new Int32Array(frames.length);
    for (let i = 0; i < frames.length; i++) {
      const fr = frames[i]!;
      const key = `${Math.max(0, KINDS.indexOf(fr.kind))}\u0000${fr.name}\u0000${fr.file}\u0000${fr.module}`;
      m[i] = byKey.get(key) ?? -1;
    }
    this.remaps[k] = m;
    return m;
  }

  linesOf(node: number): NodeLines | null {
    if (node <= 0 || node >= this.tree.nodeFrame.length) return null;
    const hit = this.cache.get(node);
    if (hit !== undefined) return hit;
    const t = this.tree;
    const path: number[] = [];
    for (let i = node; i > 0; i = t.nodeParent[i]!) path.push(t.nodeFrame[i]!);
    path.reverse();
    let group: string | null = null;
    if (this.groupBy !== undefined) {
      group = t.strings[t.frameName[path[0]!]!] ?? "";
      path.shift();
    }
    let result: NodeLines | null = null;
    if (path.length > 0) {
      for (let k = 0; k < this.sources.length && !result; k++) result = this.scan(k, path, group);
    }
    this.cache.set(node, result);
    return result;
  }

  private scan(k: number, path: number[], group: string | null): NodeLines | null {
    const { profile, valueIndex } = this.sources[k]!;
    const vi = resolveValueIndex(profile, valueIndex);
    const remap = this.remap(k);
    const depth = path.length;
    const byLine = new Map<number, number>();
    let value = 0;
    const gk = this.groupBy;
    for (const s of profile.samples) {
      const v = s.values[vi] ?? 0;
      if (v === 0 || s.stack.length < depth) continue;
      if (group !== null && `${gk}=${s.labels[gk!] ?? "(none)"}` !== group) continue;
      let j = 0;
      while (j < depth && remap[s.stack[j]!] === path[j]) j++;
      if (j < depth) continue;
      const line = profile.frames[s.stack[depth - 1]!]!.line;
      byLine.set(line, (byLine.get(line) ?? 0) + v);
      value += v;
    }
    if (value === 0) return null;
    const lines = [...byLine]
      .map(([line, v]) => ({ line, value: v }))
      .sort((a, b) => b.value - a.value || a.line - b.line);
    return { lines, value };
  }
}
