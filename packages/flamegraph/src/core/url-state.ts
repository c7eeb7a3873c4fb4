import type { LayoutMode } from "./layout.js";

export type ViewTab = "flame" | "top" | "sandwich";
export type GroupBy = "" | "thread_name" | "tid";
export type SortKey = "self" | "total" | "name" | "delta";

/** Everything a user would want to keep in a share link. */
export interface ViewState {
  tab: ViewTab;
  mode: LayoutMode;
  search: string;
  regex: boolean;
  caseSensitive: boolean;
  /** Frame names from the root (exclusive) to the zoomed frame; [] = not zoomed. */
  zoom: string[];
  groupBy: GroupBy;
  /** One frame per source line (file:line) instead of one per function. */
  byLine: boolean;
  /** Function shown in the sandwich tab ("" = none). */
  sandwich: string;
  sort: SortKey;
  /** Opaque baseline reference chosen by the host page (profile id, file name...). "" = none. */
  baseline: string;
}

export const DEFAULT_VIEW_STATE: Readonly<ViewState> = Object.freeze({
  tab: "flame",
  mode: "icicle",
  search: "",
  regex: false,
  caseSensitive: false,
  zoom: [],
  groupBy: "",
  byLine: false,
  sandwich: "",
  sort: "self",
  baseline: "",
}) as Readonly<ViewState>;

const TABS: readonly ViewTab[] = ["flame", "top", "sandwich"];
const MODES: readonly LayoutMode[] = ["flame", "icicle"];
const GROUPS: readonly GroupBy[] = ["", "thread_name", "tid"];
const SORTS: readonly SortKey[] = ["self", "total", "name", "delta"];

/** Query keys, prefixed so the viewer can share a URL with its host page. */
function keys(prefix: string) {
  return {
    tab: `${prefix}tab`,
    mode: `${prefix}mode`,
    search: `${prefix}q`,
    regex: `${prefix}re`,
    caseSensitive: `${prefix}case`,
    zoom: `${prefix}zoom`,
    groupBy: `${prefix}group`,
    byLine: `${prefix}line`,
    sandwich: `${prefix}fn`,
    sort: `${prefix}sort`,
    baseline: `${prefix}baseline`,
  } as const;
}

function pick<T extends string>(v: string | null, allowed: readonly T[], def: T): T {
  return v !== null && (allowed as readonly string[]).includes(v) ? (v as T) : def;
}

/** Reads view state from a query string ("?a=b" or "a=b"); unknown or invalid values fall back to defaults. */
export function parseViewState(query: string, prefix = ""): ViewState {
  const p = new URLSearchParams(query);
  const k = keys(prefix);
  const d = DEFAULT_VIEW_STATE;
  return {
    tab: pick(p.get(k.tab), TABS, d.tab),
    mode: pick(p.get(k.mode), MODES, d.mode),
    search: p.get(k.search) ?? d.search,
    regex: p.get(k.regex) === "1",
    caseSensitive: p.get(k.caseSensitive) === "1",
    zoom: p.getAll(k.zoom),
    groupBy: pick(p.get(k.groupBy), GROUPS, d.groupBy),
    byLine: p.get(k.byLine) === "1",
    sandwich: p.get(k.sandwich) ?? d.sandwich,
    sort: pick(p.get(k.sort), SORTS, d.sort),
    baseline: p.get(k.baseline) ?? d.baseline,
  };
}

/**
 * Writes view state into `query`, keeping the host page's other parameters. Default values are
 * omitted so an untouched view has a clean URL. Returns the query without the leading "?".
 */
export function writeViewState(state: ViewState, query = "", prefix = ""): string {
  const p = new URLSearchParams(query);
  const k = keys(prefix);
  for (const key of Object.values(k)) p.delete(key);
  const d = DEFAULT_VIEW_STATE;
  if (state.tab !== d.tab) p.set(k.tab, state.tab);
  if (state.mode !== d.mode) p.set(k.mode, state.mode);
  if (state.search !== "") p.set(k.search, state.search);
  if (state.regex) p.set(k.regex, "1");
  if (state.caseSensitive) p.set(k.caseSensitive, "1");
  for (const name of state.zoom) p.append(k.zoom, name);
  if (state.groupBy !== d.groupBy) p.set(k.groupBy, state.groupBy);
  if (state.byLine) p.set(k.byLine, "1");
  if (state.sandwich !== "") p.set(k.sandwich, state.sandwich);
  if (state.sort !== d.sort) p.set(k.sort, state.sort);
  if (state.baseline !== "") p.set(k.baseline, state.baseline);
  return p.toString();
}
