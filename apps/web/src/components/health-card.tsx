"use client";

import { useQuery } from "@tanstack/react-query";
import type { Health } from "../server/api/routers/health";
import { useTRPC } from "../trpc/react";

/** Build identity and database status; rendered on the server, then kept fresh from the browser. */
export function HealthCard({ initial }: { initial: Health }) {
  const trpc = useTRPC();
  const { data, isFetching, error } = useQuery({
    ...trpc.health.queryOptions(),
    initialData: initial,
    // Ask again right after hydration and then every 15 s, so the card reflects the live server.
    initialDataUpdatedAt: 0,
    refetchInterval: 15_000,
  });
  const health = data ?? initial;
  const ok = health.db.reachable;
  return (
    <section
      aria-labelledby="health-title"
      data-testid="health-card"
      data-db-reachable={ok ? "true" : "false"}
      className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm"
    >
      <div className="flex items-center justify-between">
        <h2 id="health-title" className="text-sm font-semibold uppercase tracking-wide text-slate-500">
          Server health
        </h2>
        <span className="text-xs text-slate-400" aria-live="polite">
          {isFetching ? "checking…" : error ? "cannot reach the web server" : "live"}
        </span>
      </div>
      <dl className="mt-4 grid grid-cols-[8rem_1fr] gap-y-2 text-sm">
        <dt className="text-slate-500">Version</dt>
        <dd className="font-mono">
          {health.version}
          {health.commit ? <span className="text-slate-500"> ({health.commit})</span> : null}
        </dd>
        {health.builtAt ? (
          <>
            <dt className="text-slate-500">Built</dt>
            <dd className="font-mono">{health.builtAt}</dd>
          </>
        ) : null}
        <dt className="text-slate-500">Database</dt>
        <dd>
          <span
            data-testid="db-status"
            className={
              ok
                ? "rounded bg-emerald-100 px-2 py-0.5 font-medium text-emerald-800"
                : "rounded bg-red-100 px-2 py-0.5 font-medium text-red-800"
            }
          >
            {health.db.kind} {ok ? "reachable" : "unreachable"}
          </span>
          {ok && health.db.latencyMs !== undefined ? (
            <span className="ml-2 text-xs text-slate-500">{health.db.latencyMs} ms</span>
          ) : null}
          {health.db.url ? (
            <div className="mt-1 break-all font-mono text-xs text-slate-500">{health.db.url}</div>
          ) : null}
          {health.db.error ? (
            <p role="alert" className="mt-2 text-sm text-red-700">
              {health.db.error}
            </p>
          ) : null}
        </dd>
      </dl>
    </section>
  );
}
