"use client";

import { useEffect, useState } from "react";
import type { LoadState } from "./use-profile";

function kb(n: number): string {
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(0)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** What a profile load is doing right now, with a bar; an error as a readable alert. */
export function LoadProgress({ state, what = "profile" }: { state: LoadState; what?: string }) {
  const [, tick] = useState(0);
  useEffect(() => {
    if (state.phase !== "waiting") return;
    const t = setInterval(() => tick((n) => n + 1), 250);
    return () => clearInterval(t);
  }, [state.phase]);
  if (state.phase === "done" || state.phase === "idle") return null;
  if (state.phase === "error") {
    return (
      <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-4 text-sm text-red-800">
        {state.message}
      </div>
    );
  }
  let label: string;
  let pct: number | null = null;
  if (state.phase === "waiting") {
    label = `Preparing the ${what} on the server… ${((Date.now() - state.since) / 1000).toFixed(1)} s`;
  } else if (state.phase === "downloading") {
    pct = state.total ? Math.min(100, (100 * state.received) / state.total) : null;
    label = `Downloading ${kb(state.received)}${state.total ? ` of ${kb(state.total)}` : ""}`;
  } else label = "Building the flamegraph…";
  return (
    <div data-testid="load-progress" className="rounded-md border border-slate-200 bg-white p-4" aria-live="polite">
      <p className="text-sm text-slate-600">{label}</p>
      <div className="mt-2 h-1.5 overflow-hidden rounded bg-slate-100">
        <div
          className={`h-full rounded bg-indigo-500 ${pct === null ? "w-1/3 animate-pulse" : ""}`}
          style={pct === null ? undefined : { width: `${pct}%` }}
        />
      </div>
    </div>
  );
}
