"use client";

import type { Profile } from "@perforator/profile";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { columnsToProfile, isColumns, type ProfileColumns } from "../core/columns.js";
import { buildColumnsTree } from "../core/columns-tree.js";
import { LineResolver, matchingValueIndex } from "../core/lines.js";
import { formatPercent, matchedValueWithin, searchTree } from "../core/search.js";
import { indexTree, namePath, resolveNamePath } from "../core/tree.js";
import { DEFAULT_VIEW_STATE, parseViewState, type ViewState, writeViewState } from "../core/url-state.js";
import { Breadcrumbs } from "./Breadcrumbs.js";
import { DiffLegend } from "./DiffLegend.js";
import { FlameCanvas } from "./FlameCanvas.js";
import { KindLegend } from "./KindLegend.js";
import { buildDiffFlameTree, buildFlameTree, type FrameMatch } from "./ops.js";
import { SandwichTab } from "./SandwichTab.js";
import { VIEWER_CSS } from "./styles.js";
import { TopTab } from "./TopTab.js";

export interface FlameGraphViewerProps {
  /**
   * A Profile, or its columns (what the web app sends for a merge): the flamegraph, search, top table and line
   * lookups read the columns directly; the sandwich and a diff turn them into a Profile when they are shown.
   */
  profile: Profile | ProfileColumns;
  /** When given, the viewer shows a diff: widths from `profile`, colours by change against `baseline`. */
  baseline?: Profile | ProfileColumns;
  /**
   * In a diff, how frames of the two profiles are matched: "name" (default; function name and module, whatever
   * directory the file was in) or "exact" (every field). See `alignFrames` in @perforator/profile.
   */
  diffMatch?: FrameMatch;
  /** Keep view state in the page's query string (history.replaceState). */
  syncUrl?: boolean;
  /** Prefix for the query keys when the host page has its own parameters. */
  urlPrefix?: string;
  /** Initial state when not read from the URL. */
  initialState?: Partial<ViewState>;
  onStateChange?: (s: ViewState) => void;
  /** Viewport height of the flamegraph in CSS px. */
  height?: number;
  /** Register window.__flamegraph hooks (tests, benchmarks). */
  testHooks?: boolean;
}

function initialViewState(props: FlameGraphViewerProps): ViewState {
  if (props.syncUrl && typeof window !== "undefined") return parseViewState(window.location.search, props.urlPrefix);
  return { ...DEFAULT_VIEW_STATE, ...props.initialState };
}

export function FlameGraphViewer(props: FlameGraphViewerProps) {
  const { profile, baseline } = props;
  const diff = baseline !== undefined;
  const match = props.diffMatch ?? "name";
  const [state, setState] = useState<ViewState>(() => initialViewState(props));
  const searchRef = useRef<HTMLInputElement>(null);
  const update = useCallback((patch: Partial<ViewState>) => setState((s) => ({ ...s, ...patch })), []);

  const { syncUrl, urlPrefix, onStateChange } = props;
  useEffect(() => {
    onStateChange?.(state);
    if (!syncUrl) return;
    const q = writeViewState(state, window.location.search, urlPrefix);
    const url = `${window.location.pathname}${q ? `?${q}` : ""}${window.location.hash}`;
    if (url !== `${window.location.pathname}${window.location.search}${window.location.hash}`) {
      window.history.replaceState(window.history.state, "", url);
    }
  }, [state, syncUrl, urlPrefix, onStateChange]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "f") {
        e.preventDefault();
        setState((s) => (s.tab === "sandwich" ? { ...s, tab: "flame" } : s));
        requestAnimationFrame(() => {
          searchRef.current?.focus();
          searchRef.current?.select();
        });
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const groupBy = diff ? "" : state.groupBy;
  const byLine = state.byLine;
  // Columns become a Profile only for what needs one (a diff, the sandwich), once.
  const asProfile = useMemo(() => lazyProfile(profile), [profile]);
  const baseAsProfile = useMemo(() => (baseline ? lazyProfile(baseline) : undefined), [baseline]);
  const tree = useMemo(
    () =>
      baseAsProfile
        ? buildDiffFlameTree(baseAsProfile(), asProfile(), { byLine, match })
        : isColumns(profile)
          ? buildColumnsTree(profile, { groupBy: groupBy || undefined, byLine })
          : buildFlameTree(profile, { groupBy: groupBy || undefined, byLine }),
    [profile, asProfile, baseAsProfile, groupBy, byLine, match],
  );
  const ix = useMemo(() => indexTree(tree), [tree]);
  // Per-function trees merge lines: the tooltip recovers them from the profile(s) on hover.
  const lines = useMemo(
    () =>
      byLine
        ? null
        : new LineResolver(
            tree,
            baseAsProfile
              ? [
                  { profile: asProfile() },
                  { profile: baseAsProfile(), valueIndex: matchingValueIndex(baseAsProfile(), asProfile()) },
                ]
              : [{ profile }],
            groupBy || undefined,
          ),
    [tree, byLine, profile, asProfile, baseAsProfile, groupBy],
  );
  const zoom = useMemo(() => resolveNamePath(ix, state.zoom).node, [ix, state.zoom]);
  const search = useMemo(
    () => searchTree(ix, { text: state.search, regex: state.regex, caseSensitive: state.caseSensitive }),
    [ix, state.search, state.regex, state.caseSensitive],
  );
  const zoomMatched = useMemo(
    () =>
      search && !search.error && zoom > 0 && ix.tree.nodeTotal[zoom]! > 0
        ? matchedValueWithin(ix, search, zoom) / ix.tree.nodeTotal[zoom]!
        : null,
    [ix, search, zoom],
  );

  const setZoom = useCallback((node: number) => update({ zoom: namePath(ix, node) }), [ix, update]);

  return (
    <div className="pfg">
      <style>{VIEWER_CSS}</style>
      <div className="pfg-toolbar">
        <div className="pfg-search">
          <input
            ref={searchRef}
            type="search"
            placeholder="Search functions (Ctrl/Cmd+F)"
            aria-label="Search functions"
            value={state.search}
            spellCheck={false}
            onChange={(e) => update({ search: e.target.value })}
            onKeyDown={(e) => {
              if (e.key === "Escape") {
                e.preventDefault();
                update({ search: "" });
              }
            }}
          />
          {(
            [
              ["regex", "Regular expression", ".*"],
              ["caseSensitive", "Match case", "Aa"],
            ] as const
          ).map(([key, title, label]) => (
            <button
              key={key}
              type="button"
              className="pfg-btn pfg-toggle"
              aria-pressed={state[key]}
              title={title}
              onClick={() => update({ [key]: !state[key] })}
            >
              {label}
            </button>
          ))}
        </div>
        {search ? (
          search.error ? (
            <span className="pfg-error" role="alert">
              {search.error}
            </span>
          ) : (
            <span className="pfg-matched" data-testid="matched" aria-live="polite">
              Matched: {formatPercent(search.share)}
              {zoomMatched !== null ? ` (${formatPercent(zoomMatched)} of zoomed frame)` : ""}
            </span>
          )
        ) : null}
        <div className="pfg-tabs" role="tablist" aria-label="View">
          {(
            [
              ["flame", "Flamegraph"],
              ["top", "Top table"],
              ["sandwich", "Sandwich"],
            ] as const
          ).map(([tab, label]) => (
            <button
              key={tab}
              type="button"
              role="tab"
              className="pfg-btn"
              aria-selected={state.tab === tab}
              onClick={() => update({ tab })}
            >
              {label}
            </button>
          ))}
        </div>
        <button
          type="button"
          className="pfg-btn"
          title="Flame (root at the bottom) or icicle (root on top)"
          onClick={() => update({ mode: state.mode === "flame" ? "icicle" : "flame" })}
        >
          {state.mode === "flame" ? "Flame ▲" : "Icicle ▼"}
        </button>
        <button
          type="button"
          className="pfg-btn"
          aria-pressed={byLine}
          title="One frame per source line (file:line) instead of one per function"
          onClick={() => update({ byLine: !byLine })}
        >
          By line
        </button>
        <label className="pfg-muted">
          Split by{" "}
          <select
            className="pfg-select"
            value={groupBy}
            disabled={diff}
            title={diff ? "Splitting by thread is not available in a diff" : "Split the flamegraph per thread"}
            onChange={(e) => update({ groupBy: e.target.value as ViewState["groupBy"], zoom: [] })}
          >
            <option value="">nothing</option>
            <option value="thread_name">thread name</option>
            <option value="tid">thread id</option>
          </select>
        </label>
        <button type="button" className="pfg-btn" disabled={zoom === 0} onClick={() => update({ zoom: [] })}>
          Reset zoom
        </button>
      </div>
      {diff ? <DiffLegend match={match} /> : <KindLegend />}
      {state.tab === "flame" ? (
        <>
          <Breadcrumbs ix={ix} zoom={zoom} onZoom={setZoom} />
          <FlameCanvas
            ix={ix}
            zoom={zoom}
            mode={state.mode}
            search={search}
            diff={diff}
            onZoom={setZoom}
            maxHeight={props.height}
            lines={lines}
            ariaLabel={
              "Flamegraph. Arrow keys move between frames (toward the root row: parent; away from it: heaviest " +
              "child; left and right: siblings), Enter or a click zooms into a frame, Escape or Backspace zooms out."
            }
            hookId={props.testHooks ? "main" : undefined}
          />
        </>
      ) : state.tab === "top" ? (
        <TopTab
          profile={baseAsProfile ? asProfile() : profile}
          baseline={baseAsProfile?.()}
          state={state}
          unit={tree.unit}
          total={ix.total}
          baseTotal={tree.baseTotal}
          match={match}
          update={update}
        />
      ) : (
        <SandwichTab
          profile={asProfile()}
          state={state}
          update={update}
          height={props.height}
          testHooks={props.testHooks}
        />
      )}
    </div>
  );
}

/** `p` as a Profile, converted from columns on the first call. */
function lazyProfile(p: Profile | ProfileColumns): () => Profile {
  if (!isColumns(p)) return () => p;
  let made: Profile | undefined;
  return () => {
    made ??= columnsToProfile(p);
    return made;
  };
}
