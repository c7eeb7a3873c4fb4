"use client";

import type { Profile } from "@perforator/profile";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { DIFF_FULL_SCALE, KIND_LEGEND } from "../core/color.js";
import { LineResolver, matchingValueIndex } from "../core/lines.js";
import { escapeRegExp, formatPercent, matchedValueWithin, searchTree } from "../core/search.js";
import { indexTree, namePath, nodeName, pathTo, resolveNamePath, type TreeIndex } from "../core/tree.js";
import { DEFAULT_VIEW_STATE, parseViewState, type ViewState, writeViewState } from "../core/url-state.js";
import { FlameCanvas } from "./FlameCanvas.js";
import { buildDiffFlameTree, buildFlameTree, sandwich, topFunctions, topFunctionsDiff } from "./ops.js";
import { VIEWER_CSS } from "./styles.js";
import { TopTable } from "./TopTable.js";

export interface FlameGraphViewerProps {
  profile: Profile;
  /** When given, the viewer shows a diff: widths from `profile`, colours by change against `baseline`. */
  baseline?: Profile;
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
  const tree = useMemo(
    () =>
      baseline
        ? buildDiffFlameTree(baseline, profile, { byLine })
        : buildFlameTree(profile, { groupBy: groupBy || undefined, byLine }),
    [profile, baseline, groupBy, byLine],
  );
  const ix = useMemo(() => indexTree(tree), [tree]);
  // Per-function trees merge lines: the tooltip recovers them from the profile(s) on hover.
  const lines = useMemo(
    () =>
      byLine
        ? null
        : new LineResolver(
            tree,
            baseline
              ? [{ profile }, { profile: baseline, valueIndex: matchingValueIndex(baseline, profile) }]
              : [{ profile }],
            groupBy || undefined,
          ),
    [tree, byLine, profile, baseline, groupBy],
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
          <button
            type="button"
            className="pfg-btn pfg-toggle"
            aria-pressed={state.regex}
            title="Regular expression"
            onClick={() => update({ regex: !state.regex })}
          >
            .*
          </button>
          <button
            type="button"
            className="pfg-btn pfg-toggle"
            aria-pressed={state.caseSensitive}
            title="Match case"
            onClick={() => update({ caseSensitive: !state.caseSensitive })}
          >
            Aa
          </button>
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
      {diff ? <DiffLegend /> : <KindLegend />}
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
          profile={profile}
          baseline={baseline}
          state={state}
          unit={tree.unit}
          total={ix.total}
          baseTotal={tree.baseTotal}
          update={update}
        />
      ) : (
        <SandwichTab
          profile={profile}
          state={state}
          update={update}
          height={props.height}
          testHooks={props.testHooks}
        />
      )}
    </div>
  );
}

function Breadcrumbs({ ix, zoom, onZoom }: { ix: TreeIndex; zoom: number; onZoom: (n: number) => void }) {
  const path = [0, ...pathTo(ix, zoom)];
  return (
    <nav className="pfg-crumbs" aria-label="Zoom path" data-testid="breadcrumbs">
      {path.map((n, i) => (
        <span key={n}>
          {i > 0 ? <span className="pfg-muted"> › </span> : null}
          <button type="button" aria-current={n === zoom} onClick={() => onZoom(n)} title={nodeName(ix.tree, n)}>
            {nodeName(ix.tree, n)}
          </button>
        </span>
      ))}
    </nav>
  );
}

function KindLegend() {
  return (
    <div className="pfg-legend">
      {KIND_LEGEND.map((k) => (
        <span key={k.kind}>
          <span className="pfg-swatch" style={{ background: k.color }} />
          {k.label}
        </span>
      ))}
      <span>
        <span className="pfg-swatch" style={{ background: "hsl(300, 85%, 62%)" }} />
        search match
      </span>
    </div>
  );
}

function DiffLegend() {
  return (
    <div className="pfg-legend" data-testid="diff-legend">
      <span>
        share of total shrank
        <span className="pfg-gradient" />
        grew (full colour at ±{(DIFF_FULL_SCALE * 100).toFixed(0)} pp)
      </span>
      <span>
        <span className="pfg-swatch" style={{ background: "hsl(0, 0%, 78%)" }} />
        unchanged (&lt; 0.1 pp)
      </span>
      <span>
        <span className="pfg-swatch pfg-hatch" />
        new: only in the new profile
      </span>
      <span>
        <span className="pfg-swatch pfg-ghost" />
        removed: only in the baseline (width: its baseline share)
      </span>
      <span>widths: new profile</span>
    </div>
  );
}

function TopTab(props: {
  profile: Profile;
  baseline?: Profile;
  state: ViewState;
  unit: string;
  total: number;
  baseTotal?: number;
  update: (p: Partial<ViewState>) => void;
}) {
  const { profile, baseline, update } = props;
  const rows = useMemo(
    () => (baseline ? topFunctionsDiff(baseline, profile) : topFunctions(profile)),
    [profile, baseline],
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

function SandwichTab(props: {
  profile: Profile;
  state: ViewState;
  update: (p: Partial<ViewState>) => void;
  height?: number;
  testHooks?: boolean;
}) {
  const { profile, state, update } = props;
  const names = useMemo(() => {
    const s = new Set<string>();
    for (const f of profile.frames) s.add(f.name);
    return [...s].sort();
  }, [profile]);
  const parts = useMemo(() => {
    if (!state.sandwich) return null;
    const sw = sandwich(profile, { name: state.sandwich });
    const callers = indexTree(buildFlameTree(sw.callers));
    const callees = indexTree(buildFlameTree(sw.callees));
    return {
      callers,
      callees,
      callerLines: new LineResolver(callers.tree, [{ profile: sw.callers }]),
      calleeLines: new LineResolver(callees.tree, [{ profile: sw.callees }]),
    };
  }, [profile, state.sandwich]);
  const half = Math.max(160, Math.floor((props.height ?? 640) / 2));
  return (
    <div className="pfg-sandwich">
      <div className="pfg-toolbar">
        <label>
          Function{" "}
          <input
            className="pfg-select"
            list="pfg-function-names"
            value={state.sandwich}
            placeholder="Pick a function"
            aria-label="Sandwich function"
            onChange={(e) => update({ sandwich: e.target.value })}
          />
        </label>
        <datalist id="pfg-function-names">
          {names.slice(0, 5000).map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
      </div>
      {!parts ? (
        <p className="pfg-muted">
          Pick a function above, or use “sandwich” in the Top table, to see who calls it and what it calls.
        </p>
      ) : parts.callers.total === 0 ? (
        <p className="pfg-muted">
          No samples contain “{state.sandwich}”. Check the exact function name in the Top table.
        </p>
      ) : (
        <>
          <h3>Callers of {state.sandwich}</h3>
          <FlameCanvas
            ix={parts.callers}
            zoom={0}
            mode="flame"
            search={null}
            diff={false}
            maxHeight={half}
            lines={parts.callerLines}
            ariaLabel={`Callers of ${state.sandwich}`}
            hookId={props.testHooks ? "callers" : undefined}
          />
          <h3>Callees of {state.sandwich}</h3>
          <FlameCanvas
            ix={parts.callees}
            zoom={0}
            mode="icicle"
            search={null}
            diff={false}
            maxHeight={half}
            lines={parts.calleeLines}
            ariaLabel={`Callees of ${state.sandwich}`}
            hookId={props.testHooks ? "callees" : undefined}
          />
        </>
      )}
    </div>
  );
}
