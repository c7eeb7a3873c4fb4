"use client";

import { useMemo, useState } from "react";
import { formatPercent } from "../core/search.js";
import type { SortKey } from "../core/url-state.js";
import { formatDelta, formatValue } from "./format.js";
import type { TopDiffRow, TopRow } from "./ops.js";

export interface TopTableProps {
  /** topFunctions rows, or topFunctionsDiff rows in a diff (from @perforator/profile). */
  rows: readonly (TopRow | TopDiffRow)[];
  /** Target (or only) profile total. */
  total: number;
  /** Baseline total in a diff; undefined otherwise. */
  baseTotal?: number;
  unit: string;
  sort: SortKey;
  onSort: (s: SortKey) => void;
  /** Click on a function name: search it in the flamegraph. */
  onSearch: (name: string) => void;
  /** Open the sandwich view for a function. */
  onSandwich: (name: string) => void;
  /** Visible height in CSS px. */
  height?: number;
}

const ROW_H = 24;
const OVERSCAN = 10;

type Row = TopRow | TopDiffRow;

function isDiffRow(r: Row): r is TopDiffRow {
  return "beforeSelf" in r;
}
/** The (new) profile's values of a row: a diff row's "after" side. */
const selfOf = (r: Row) => (isDiffRow(r) ? r.afterSelf : r.self);
const totalOf = (r: Row) => (isDiffRow(r) ? r.afterTotal : r.total);

/** Sortable, filterable table of functions; only the visible rows are in the DOM (100k rows stay fast). */
export function TopTable(props: TopTableProps) {
  const { rows, total, baseTotal, unit, sort } = props;
  const height = props.height ?? 560;
  const diff = baseTotal !== undefined;
  const [filter, setFilter] = useState("");
  const [scrollTop, setScrollTop] = useState(0);

  const shareT = (v: number) => (total > 0 ? v / total : 0);
  const shareB = (v: number) => (baseTotal && baseTotal > 0 ? v / baseTotal : 0);

  const view = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const out = f
      ? rows.filter((r) => r.name.toLowerCase().includes(f) || r.file.toLowerCase().includes(f))
      : rows.slice();
    const dSelf = (r: Row) =>
      isDiffRow(r)
        ? (total > 0 ? r.afterSelf / total : 0) - (baseTotal && baseTotal > 0 ? r.beforeSelf / baseTotal : 0)
        : 0;
    const cmp: Record<SortKey, (a: Row, b: Row) => number> = {
      self: (a, b) => selfOf(b) - selfOf(a) || totalOf(b) - totalOf(a),
      total: (a, b) => totalOf(b) - totalOf(a) || selfOf(b) - selfOf(a),
      name: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
      delta: (a, b) => Math.abs(dSelf(b)) - Math.abs(dSelf(a)),
    };
    out.sort(cmp[sort]);
    return out;
  }, [rows, filter, sort, baseTotal, total]);

  const first = Math.max(0, Math.floor(scrollTop / ROW_H) - OVERSCAN);
  const last = Math.min(view.length, Math.ceil((scrollTop + height) / ROW_H) + OVERSCAN);
  const visible = view.slice(first, last);
  const cols = diff ? 8 : 6;

  const header = (key: SortKey, label: string, num = true) => (
    <th className={num ? "pfg-num" : ""} aria-sort={sort === key ? "descending" : "none"}>
      <button type="button" onClick={() => props.onSort(key)}>
        {label}
        {sort === key ? " ▾" : ""}
      </button>
    </th>
  );

  return (
    <div>
      <div className="pfg-toolbar">
        <div className="pfg-search">
          <input
            type="search"
            placeholder="Filter functions or files"
            aria-label="Filter functions"
            value={filter}
            onChange={(e) => {
              setFilter(e.target.value);
              setScrollTop(0);
            }}
          />
        </div>
        <span className="pfg-muted" data-testid="top-count">
          {view.length.toLocaleString("en-US")} of {rows.length.toLocaleString("en-US")} functions
        </span>
      </div>
      <div
        className="pfg-table-wrap"
        style={{ height: Math.min(height, (view.length + 1) * ROW_H + 8) }}
        onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
      >
        <table className="pfg-table">
          <colgroup>
            <col style={{ width: "36%" }} />
            {Array.from({ length: cols - 1 }, (_, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: static column list
              <col key={i} />
            ))}
          </colgroup>
          <thead>
            <tr>
              {header("name", "Function", false)}
              {header("self", "Self")}
              <th className="pfg-num">{diff ? "After (self %)" : "Self %"}</th>
              {header("total", "Total")}
              <th className="pfg-num">Total %</th>
              {diff ? <th className="pfg-num">Before (self %)</th> : null}
              {diff ? header("delta", "Delta (self)") : null}
              <th />
            </tr>
          </thead>
          <tbody>
            {first > 0 ? (
              <tr style={{ height: first * ROW_H }}>
                <td colSpan={cols} />
              </tr>
            ) : null}
            {visible.map((r) => {
              const d = isDiffRow(r) ? shareT(r.afterSelf) - shareB(r.beforeSelf) : 0;
              return (
                <tr key={`${r.kind}\u0000${r.name}\u0000${r.file}\u0000${r.line}`}>
                  <td title={r.file ? `${r.name} — ${r.file}${r.line > 0 ? `:${r.line}` : ""}` : r.name}>
                    <button
                      type="button"
                      className="pfg-link"
                      onClick={() => props.onSearch(r.name)}
                      title="Search in the flamegraph"
                    >
                      {r.name}
                    </button>
                    {r.file ? (
                      <span className="pfg-muted">
                        {" "}
                        {r.file}
                        {r.line > 0 ? `:${r.line}` : ""}
                      </span>
                    ) : null}
                  </td>
                  <td className="pfg-num">{formatValue(selfOf(r), unit)}</td>
                  <td className="pfg-num">{formatPercent(shareT(selfOf(r)))}</td>
                  <td className="pfg-num">{formatValue(totalOf(r), unit)}</td>
                  <td className="pfg-num">{formatPercent(shareT(totalOf(r)))}</td>
                  {isDiffRow(r) ? <td className="pfg-num">{formatPercent(shareB(r.beforeSelf))}</td> : null}
                  {isDiffRow(r) ? (
                    <td className={`pfg-num ${d > 0 ? "pfg-grew" : d < 0 ? "pfg-shrank" : ""}`}>{formatDelta(d)}</td>
                  ) : null}
                  <td className="pfg-num">
                    <button type="button" className="pfg-btn pfg-toggle" onClick={() => props.onSandwich(r.name)}>
                      sandwich
                    </button>
                  </td>
                </tr>
              );
            })}
            {last < view.length ? (
              <tr style={{ height: (view.length - last) * ROW_H }}>
                <td colSpan={cols} />
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
    </div>
  );
}
