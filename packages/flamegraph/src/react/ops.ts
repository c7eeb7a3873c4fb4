/**
 * Profile operations the viewer uses, from @perforator/profile, adapted to the table's row shape.
 * The viewer imports them only from here.
 */
import {
  type Profile,
  buildDiffFlameTree as profileBuildDiffFlameTree,
  buildFlameTree as profileBuildFlameTree,
  sandwich as profileSandwich,
  topFunctions as profileTopFunctions,
  topFunctionsDiff as profileTopFunctionsDiff,
  type TopRow,
} from "@perforator/profile";

export type { TopRow };

/** A top-table row in a diff: the new profile's values plus the baseline's raw values. */
export interface TopDiffRow extends TopRow {
  baseSelf: number;
  baseTotal: number;
}

export const buildFlameTree = profileBuildFlameTree;
export const buildDiffFlameTree = profileBuildDiffFlameTree;
export const sandwich = profileSandwich;

export function topFunctions(p: Profile): TopRow[] {
  return profileTopFunctions(p);
}

export function topFunctionsDiff(base: Profile, target: Profile): TopDiffRow[] {
  return profileTopFunctionsDiff(base, target).map((r) => ({
    name: r.name,
    file: r.file,
    line: r.line,
    kind: r.kind,
    module: r.module,
    self: r.afterSelf,
    total: r.afterTotal,
    baseSelf: r.beforeSelf,
    baseTotal: r.beforeTotal,
  }));
}
