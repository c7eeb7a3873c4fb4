"use client";

import { type FrameMatch, type Profile, topFunctionsDiff } from "@perforator/profile";
import { useMemo, useState } from "react";

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const signed = (x: number) => `${x > 0 ? "+" : x < 0 ? "−" : "±"}${Math.abs(x * 100).toFixed(2)} pp`;

/** Before / after / delta of every function's share of its own profile, largest change first. */
export function DiffTable({
  baseline,
  target,
  match = "name",
}: {
  baseline: Profile;
  target: Profile;
  /** How functions of the two sides are matched (see topFunctionsDiff). */
  match?: FrameMatch;
}) {
  const [by, setBy] = useState<"total" | "self">("total");
  const [all, setAll] = useState(false);
  const rows = useMemo(() => topFunctionsDiff(baseline, target, { sortBy: by, match }), [baseline, target, by, match]);
  const shown = all ? rows : rows.slice(0, 25);
  return (
    <section className="rounded-lg border border-slate-200 bg-white shadow-sm">
      <div className="flex items-center justify-between border-b border-slate-100 px-4 py-2">
        <h2 className="text-sm font-semibold">Functions by change</h2>
        <div className="flex gap-1 text-xs" role="tablist" aria-label="Compare by">
          {(["total", "self"] as const).map((k) => (
            <button
              key={k}
              type="button"
              role="tab"
              aria-selected={by === k}
              className={`rounded px-2 py-1 ${by === k ? "bg-indigo-50 font-medium text-indigo-700" : "text-slate-600 hover:bg-slate-100"}`}
              onClick={() => setBy(k)}
            >
              {k === "total" ? "Total" : "Self"}
            </button>
          ))}
        </div>
      </div>
      <table className="w-full text-sm" data-testid="diff-table">
        <thead className="text-xs text-slate-500">
          <tr>
            <th className="px-4 py-1.5 text-left font-medium">Function</th>
            <th className="px-4 py-1.5 text-right font-medium">Before</th>
            <th className="px-4 py-1.5 text-right font-medium">After</th>
            <th className="px-4 py-1.5 text-right font-medium">Delta</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((r) => {
            const before = by === "total" ? r.beforeTotalShare : r.beforeSelfShare;
            const after = by === "total" ? r.afterTotalShare : r.afterSelfShare;
            const delta = by === "total" ? r.totalDelta : r.selfDelta;
            return (
              <tr key={`${r.kind}:${r.name}:${r.file}:${r.line}:${r.module}`} className="border-t border-slate-100">
                <td
                  className="max-w-[40rem] truncate px-4 py-1.5 font-mono text-xs"
                  title={r.file ? `${r.name} (${r.file})` : r.name}
                >
                  {r.name}
                  {r.file ? <span className="ml-2 text-slate-400">{r.file.split("/").pop()}</span> : null}
                </td>
                <td className="px-4 py-1.5 text-right tabular-nums">{pct(before)}</td>
                <td className="px-4 py-1.5 text-right tabular-nums">{pct(after)}</td>
                <td
                  className={`px-4 py-1.5 text-right font-medium tabular-nums ${delta > 0.001 ? "text-red-600" : delta < -0.001 ? "text-blue-600" : "text-slate-500"}`}
                >
                  {signed(delta)}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {rows.length > shown.length ? (
        <button
          type="button"
          className="w-full border-t border-slate-100 py-2 text-sm text-indigo-600"
          onClick={() => setAll(true)}
        >
          Show all {rows.length} functions
        </button>
      ) : null}
    </section>
  );
}
