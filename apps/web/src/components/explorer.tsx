"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { parseAsString, useQueryStates } from "nuqs";
import { useEffect, useState } from "react";
import { formatDate, formatTotal } from "../lib/format";
import { serviceOf, withService } from "../lib/selector";
import { type Source, sourceToParams, sourceUrl } from "../lib/source";
import { DEFAULT_FROM, DEFAULT_UNTIL } from "../lib/time";
import { useTRPC } from "../trpc/react";
import { FlameView } from "./flame-view";
import { RangePicker } from "./range-picker";
import { ShareBar } from "./share-bar";
import { Timeline } from "./timeline";

const card = "rounded-lg border border-slate-200 bg-white shadow-sm";

export const explorerParams = {
  query: parseAsString.withDefault(""),
  from: parseAsString.withDefault(DEFAULT_FROM),
  until: parseAsString.withDefault(DEFAULT_UNTIL),
};

/**
 * Service picker, time range, label selector, sample-volume timeline (drag to zoom the range), the matching profiles
 * and their merged flamegraph. Everything lives in the URL.
 */
export function Explorer({ canShare }: { canShare: boolean }) {
  const trpc = useTRPC();
  const [{ query, from, until }, set] = useQueryStates(explorerParams, { history: "push" });
  const services = useQuery(trpc.profiles.services.queryOptions());
  const [draft, setDraft] = useState(query);
  useEffect(() => setDraft(query), [query]);

  // First visit: look at the most recently active service.
  useEffect(() => {
    if (!query && services.data?.length) {
      const latest = [...services.data].sort(
        (a, b) => (b.lastProfileAt?.getTime() ?? 0) - (a.lastProfileAt?.getTime() ?? 0),
      )[0]!;
      void set({ query: withService("", latest.name) }, { history: "replace" });
    }
  }, [query, services.data, set]);

  const ready = query !== "" && serviceOf(query) !== null;
  const input = { selector: query, from, until };
  const timeline = useQuery({ ...trpc.profiles.timeline.queryOptions({ ...input, buckets: 120 }), enabled: ready });
  const list = useQuery({ ...trpc.profiles.list.queryOptions({ ...input, limit: 200 }), enabled: ready });
  const [showAll, setShowAll] = useState(false);
  const source: Source | null = ready ? { kind: "query", selector: query, from, until } : null;
  const error = timeline.error ?? list.error;
  const count = timeline.data?.count ?? 0;

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center gap-2">
        <h1 className="mr-2 text-xl font-semibold">Explore</h1>
        <select
          aria-label="Service"
          data-testid="service-picker"
          className="rounded-md border border-slate-300 bg-white px-2 py-1.5 font-mono text-sm shadow-sm"
          value={serviceOf(query) ?? ""}
          onChange={(e) => set({ query: withService(query, e.target.value) })}
        >
          <option value="" disabled>
            {services.data?.length === 0 ? "no services yet" : "service…"}
          </option>
          {services.data?.map((s) => (
            <option key={s.id} value={s.name}>
              {s.name}
            </option>
          ))}
        </select>
        <form
          className="flex min-w-[24rem] flex-1 items-center gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            void set({ query: draft.trim() });
          }}
        >
          <input
            aria-label="Label selector"
            data-testid="selector"
            value={draft}
            spellCheck={false}
            onChange={(e) => setDraft(e.target.value)}
            placeholder='{service="api", host=~"web-.*"}'
            className="flex-1 rounded-md border border-slate-300 bg-white px-3 py-1.5 font-mono text-sm shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/20"
          />
          <button
            type="submit"
            className="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500"
          >
            Run
          </button>
        </form>
        <RangePicker from={from} until={until} onChange={(f, u) => set({ from: f, until: u })} />
      </div>

      {error ? (
        <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-3 text-sm text-red-800">
          {error.message}
        </div>
      ) : null}
      {services.data?.length === 0 ? (
        <div className={`${card} p-6 text-sm text-slate-600`}>
          No profiles in this team yet.{" "}
          <Link href="/upload" className="font-medium text-indigo-600 underline">
            Upload one
          </Link>{" "}
          or point a collector at the ingest server.
        </div>
      ) : null}

      {ready ? (
        <div className={`${card} p-3`}>
          <div className="mb-1 flex items-center justify-between px-1 text-xs text-slate-500">
            <span>Sample volume{timeline.data?.unit ? ` · ${timeline.data.unit}` : ""} · drag to select a range</span>
            <span data-testid="profile-count">
              {timeline.isFetching ? "loading…" : `${count.toLocaleString("en-US")} profiles`}
            </span>
          </div>
          {timeline.data ? (
            <Timeline
              times={timeline.data.times}
              values={timeline.data.values}
              unit={timeline.data.unit}
              onSelect={(f, u) => set({ from: String(f), until: String(u) })}
            />
          ) : (
            <div className="h-[140px] animate-pulse rounded bg-slate-50" />
          )}
        </div>
      ) : null}

      {source ? (
        <div className="flex flex-wrap items-center justify-between gap-2">
          <div className="flex gap-2 text-sm">
            <a
              className="rounded-md border border-slate-300 bg-white px-3 py-1.5 font-medium text-slate-700 shadow-sm hover:bg-slate-50"
              href={sourceUrl(source, { format: "pprof" })}
              download
            >
              pprof
            </a>
            <a
              className="rounded-md border border-slate-300 bg-white px-3 py-1.5 font-medium text-slate-700 shadow-sm hover:bg-slate-50"
              href={sourceUrl(source, { format: "folded" })}
              download
            >
              folded
            </a>
            <Link
              className="rounded-md border border-slate-300 bg-white px-3 py-1.5 font-medium text-slate-700 shadow-sm hover:bg-slate-50"
              href={`/diff?${sourceToParams(source, "t")}&${sourceToParams(source, "b")}`}
            >
              Compare…
            </Link>
          </div>
          <ShareBar target={source} canShare={canShare} />
        </div>
      ) : null}

      {/* Fetched alongside the timeline, not after it: the merge is the long part of this page. */}
      {source && (timeline.isPending || count > 0) ? (
        <FlameView url={sourceUrl(source, { format: "view" })} height={560} />
      ) : null}
      {source && timeline.data && count === 0 ? (
        <div className={`${card} p-6 text-center text-sm text-slate-500`} data-testid="no-profiles">
          No profiles match this selector in this range.
        </div>
      ) : null}

      {list.data && list.data.length > 0 ? (
        <section className={card}>
          <h2 className="border-b border-slate-100 px-4 py-2 text-sm font-semibold">Matching profiles</h2>
          <table className="w-full text-left text-sm" data-testid="profiles-table">
            <thead className="text-xs text-slate-500">
              <tr>
                <th className="px-4 py-1.5 font-medium">Start</th>
                <th className="px-4 py-1.5 font-medium">Labels</th>
                <th className="px-4 py-1.5 text-right font-medium">Total</th>
              </tr>
            </thead>
            <tbody>
              {(showAll ? list.data : list.data.slice(0, 8)).map((p) => (
                <tr key={p.id} className="border-t border-slate-100 hover:bg-slate-50">
                  <td className="px-4 py-1.5 whitespace-nowrap">
                    <Link href={`/p/${p.id}`} className="text-indigo-600 hover:underline">
                      {formatDate(p.startTime)}
                    </Link>
                  </td>
                  <td className="px-4 py-1.5 font-mono text-xs text-slate-600">
                    {Object.entries(p.labels)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(" ")}
                  </td>
                  <td className="px-4 py-1.5 text-right tabular-nums">{formatTotal(p.totalValue, p.sampleUnit)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.data.length > 8 && !showAll ? (
            <button
              type="button"
              className="w-full border-t border-slate-100 py-2 text-sm text-indigo-600"
              onClick={() => setShowAll(true)}
            >
              Show all {list.data.length}
            </button>
          ) : null}
        </section>
      ) : null}
    </div>
  );
}
