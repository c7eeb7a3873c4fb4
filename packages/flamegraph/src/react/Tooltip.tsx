"use client";

import type { LineResolver } from "../core/lines.js";
import { formatPercent } from "../core/search.js";
import { diffStatus, nodeKind, nodeModule, nodeName, type TreeIndex } from "../core/tree.js";
import { formatDelta, formatValue } from "./format.js";
import { describeLocation } from "./node-text.js";

/** Where the pointer is over the canvas, and the node under it. */
export interface Hover {
  node: number;
  clientX: number;
  clientY: number;
}

/** The hover card of a frame: name, location, kind and module, total and self, and in a diff before/after/delta. */
export function Tooltip(props: {
  ix: TreeIndex;
  zoom: number;
  hover: Hover;
  diff: boolean;
  lines: LineResolver | null;
}) {
  const { ix, zoom, hover, diff } = props;
  const t = ix.tree;
  const n = hover.node;
  const total = t.nodeTotal[n]!;
  const self = t.nodeSelf[n]!;
  const loc = describeLocation(ix, n, props.lines);
  const status = diff ? diffStatus(t, n) : null;
  const mod = nodeModule(t, n);
  const zoomTotal = t.nodeTotal[zoom]!;
  const baseTot = t.baseTotal ?? 0;
  const inDiff = diff && t.nodeBaseTotal !== undefined;
  const before = inDiff && baseTot > 0 ? t.nodeBaseTotal![n]! / baseTot : 0;
  const after = ix.total > 0 ? total / ix.total : 0;
  const left = Math.min(hover.clientX + 14, (typeof window !== "undefined" ? window.innerWidth : 1e4) - 380);
  return (
    <div className="pfg-tooltip" role="tooltip" style={{ left: Math.max(4, left), top: hover.clientY + 16 }}>
      <div className="pfg-tt-name">{nodeName(t, n)}</div>
      {loc ? (
        <div className="pfg-muted" data-testid="tooltip-location">
          {loc}
        </div>
      ) : null}
      {status === "new" || status === "removed" ? (
        <div className={`pfg-tt-status pfg-${status}`} data-testid="tooltip-status">
          {status === "new"
            ? "new: not in the baseline"
            : "removed: only in the baseline (drawn at its baseline share)"}
        </div>
      ) : null}
      <div className="pfg-muted">
        {nodeKind(t, n)}
        {mod ? ` · ${mod}` : ""}
      </div>
      <table>
        <tbody>
          <tr>
            <td>Total</td>
            <td>{formatValue(total, t.unit)}</td>
            <td>{formatPercent(after)} of total</td>
            <td>{zoomTotal > 0 ? `${formatPercent(total / zoomTotal)} of zoomed frame` : ""}</td>
          </tr>
          <tr>
            <td>Self</td>
            <td>{formatValue(self, t.unit)}</td>
            <td>{formatPercent(ix.total > 0 ? self / ix.total : 0)} of total</td>
            <td />
          </tr>
          {inDiff ? (
            <>
              <tr>
                <td>Before</td>
                <td>{formatPercent(before)}</td>
                <td colSpan={2}>{t.nodeBaseTotal![n] === 0 ? "not in baseline (new)" : "of baseline total"}</td>
              </tr>
              <tr>
                <td>After</td>
                <td>{formatPercent(after)}</td>
                <td colSpan={2}>of new total</td>
              </tr>
              <tr>
                <td>Delta</td>
                <td className={after > before ? "pfg-grew" : after < before ? "pfg-shrank" : ""}>
                  {formatDelta(after - before)}
                </td>
                <td colSpan={2}>change in share of total</td>
              </tr>
            </>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}
