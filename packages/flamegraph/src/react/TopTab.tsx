"use client";

import type { Profile } from "@perforator/profile";
import { useMemo } from "react";
import { isColumns, type ProfileColumns } from "../core/columns.js";
import { topFunctionsColumns } from "../core/columns-tree.js";
import { escapeRegExp } from "../core/search.js";
import type { ViewState } from "../core/url-state.js";
import { type FrameMatch, topFunctions, topFunctionsDiff } from "./ops.js";
import { TopTable } from "./TopTable.js";

/** The "Top table" tab: functions by self and total (in a diff, before/after/delta). */
export function TopTab(props: {
  /** Columns only outside a diff (a diff passes both sides as Profiles). */
  profile: Profile | ProfileColumns;
  baseline?: Profile;
  state: ViewState;
  unit: string;
  total: number;
  baseTotal?: number;
  match: FrameMatch;
  update: (p: Partial<ViewState>) => void;
}) {
  const { profile, baseline, match, update } = props;
  const rows = useMemo(
    () =>
      isColumns(profile)
        ? topFunctionsColumns(profile)
        : baseline
          ? topFunctionsDiff(baseline, profile, { match })
          : topFunctions(profile),
    [profile, baseline, match],
  );
  return (
    <TopTable
      rows={rows}
      total={props.total}
      baseTotal={baseline ? (props.baseTotal ?? 0) : undefined}
      unit={props.unit}
      sort={props.state.sort}
      onSort={(sort) => update({ sort })}
      onSearch={(name) => update({ tab: "flame", search: `^${escapeRegExp(name)}$`, regex: true })}
      onSandwich={(name) => update({ tab: "sandwich", sandwich: name })}
    />
  );
}
