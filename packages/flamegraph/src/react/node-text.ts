import type { LineResolver } from "../core/lines.js";
import { formatPercent } from "../core/search.js";
import { diffStatus, nodeFile, nodeLine, nodeName, type TreeIndex } from "../core/tree.js";

/**
 * Where a node's code is: "file:line" when the tree has lines or all its samples share one line;
 * "file — lines vary (24: 81%, 25: 19%)" otherwise; "" when the file is unknown.
 */
export function describeLocation(ix: TreeIndex, node: number, lines: LineResolver | null | undefined): string {
  const t = ix.tree;
  const file = nodeFile(t, node);
  if (!file) return "";
  const line = nodeLine(t, node);
  if (line > 0) return `${file}:${line}`;
  const info = lines?.linesOf(node);
  if (!info) return file;
  const known = info.lines.filter((l) => l.line > 0);
  if (known.length === 0) return file;
  if (info.lines.length === 1) return `${file}:${known[0]!.line}`;
  const shown = info.lines
    .slice(0, 3)
    .map((l) => `${l.line > 0 ? l.line : "?"}: ${formatPercent(l.value / info.value)}`)
    .join(", ");
  return `${file} — lines vary (${shown}${info.lines.length > 3 ? ", …" : ""})`;
}

/** One sentence for screen readers: name, location, shares, and the diff status. */
export function describeNode(
  ix: TreeIndex,
  node: number,
  zoom: number,
  diff: boolean,
  lines: LineResolver | null | undefined,
): string {
  const t = ix.tree;
  const total = t.nodeTotal[node]!;
  const zt = t.nodeTotal[zoom]!;
  const parts = [nodeName(t, node)];
  const loc = describeLocation(ix, node, lines);
  if (loc) parts.push(loc);
  parts.push(`${formatPercent(ix.total > 0 ? total / ix.total : 0)} of total`);
  if (zoom > 0 && node !== zoom && zt > 0) parts.push(`${formatPercent(total / zt)} of zoomed frame`);
  parts.push(`self ${formatPercent(ix.total > 0 ? t.nodeSelf[node]! / ix.total : 0)}`);
  const status = diff ? diffStatus(t, node) : null;
  if (status && t.nodeBaseTotal) {
    const bt = t.baseTotal ?? 0;
    const before = bt > 0 ? t.nodeBaseTotal[node]! / bt : 0;
    if (status === "new") parts.push("new: not in the baseline");
    else if (status === "removed") parts.push(`removed: only in the baseline, was ${formatPercent(before)}`);
    else parts.push(`before ${formatPercent(before)}`);
  }
  return `${parts.join(", ")}.`;
}
