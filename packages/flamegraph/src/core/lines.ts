import type { FlameTree, Profile } from "@perforator/profile";
import { resolveValueIndex, sameValueType } from "@perforator/profile";
import { columnsFromProfile, isColumns, type ProfileColumns, valueIndexOf } from "./columns.js";

/** How a node's samples spread over source lines (a tree built per function has line 0 in its frames). */
export interface NodeLines {
  /** Distinct lines, heaviest first, with the node's value at each. Line 0 = unknown. */
  lines: { line: number; value: number }[];
  /** Sum of the values (the node's total on the side the lines were read from). */
  value: number;
}

export interface LineSource {
  /** A Profile, or the columns of one (a merged view): read as columns either way. */
  profile: Profile | ProfileColumns;
  /** Sample type to read; default: the profile's default. */
  valueIndex?: number;
}

/** The sample type of `base` that matches `target`'s (type and unit), else base's default: as buildDiffFlameTree does. */
export function matchingValueIndex(
  base: Pick<Profile, "sampleTypes" | "defaultSampleType">,
  target: Pick<Profile, "sampleTypes" | "defaultSampleType">,
  targetIndex?: number,
): number {
  const t = target.sampleTypes[resolveValueIndex(target as Profile, targetIndex)]!;
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
  private readonly columns: (ProfileColumns | null)[];
  private readonly cache = new Map<number, NodeLines | null>();

  constructor(
    private readonly tree: FlameTree,
    private readonly sources: readonly LineSource[],
    /** The label key the tree was split by (one synthetic `key=value` frame under the root). */
    private readonly groupBy?: string,
  ) {
    this.remaps = sources.map(() => null);
    this.columns = sources.map(() => null);
  }

  private columnsOf(k: number): ProfileColumns {
    let c = this.columns[k];
    if (!c) {
      const p = this.sources[k]!.profile;
      c = isColumns(p) ? p : columnsFromProfile(p);
      this.columns[k] = c;
    }
    return c;
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
    const c = this.columnsOf(k);
    m = new Int32Array(c.frameName.length);
    for (let i = 0; i < m.length; i++) {
      const key = `${c.frameKind[i]}\u0000${c.strings[c.frameName[i]!]}\u0000${c.strings[c.frameFile[i]!]}\u0000${c.strings[c.frameModule[i]!]}`;
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
    const c = this.columnsOf(k);
    const vi = valueIndexOf(c, this.sources[k]!.valueIndex);
    const nt = c.sampleTypes.length;
    const remap = this.remap(k);
    const depth = path.length;
    const byLine = new Map<number, number>();
    let value = 0;
    const gk = this.groupBy;
    const { stackOff, stackPool } = c;
    for (let s = 0; s < c.seriesStack.length; s++) {
      const v = c.values[s * nt + vi]!;
      const o = stackOff[c.seriesStack[s]!]!;
      if (v === 0 || stackOff[c.seriesStack[s]! + 1]! - o < depth) continue;
      if (group !== null && `${gk}=${c.labelSets[c.seriesLabels[s]!]![gk!] ?? "(none)"}` !== group) continue;
      let j = 0;
      while (j < depth && remap[stackPool[o + j]!] === path[j]) j++;
      if (j < depth) continue;
      const line = c.frameLine[stackPool[o + depth - 1]!]!;
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
