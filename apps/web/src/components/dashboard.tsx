/**
 * The team dashboard (server-rendered, no client JavaScript of its own): a card per service with its last upload,
 * sparklines of profiles and CPU over the range, its heaviest functions, and "what changed" against the previous
 * window, each change linking to the diff of exactly those two windows with the function searched.
 */
import type { Dashboard, ReportSummary, ServiceDashboard } from "@perforator/db";
import Link from "next/link";
import { formatDate, formatTotal } from "../lib/format";
import { withService } from "../lib/selector";
import { sourceToParams } from "../lib/source";
import { pct } from "./report-document";
import { Sparkline } from "./sparkline";

export const DASHBOARD_RANGES = [
  { label: "24 hours", from: "now-24h", previous: "the 24 hours before" },
  { label: "7 days", from: "now-7d", previous: "the week before" },
  { label: "30 days", from: "now-30d", previous: "the 30 days before" },
] as const;

/** `/diff` of the previous window (baseline) against this one (target) for one service, searching `fn`. */
export function changeDiffHref(
  service: string,
  d: Pick<Dashboard, "from" | "until" | "previous">,
  fn?: string,
): string {
  const selector = withService("", service);
  const p = new URLSearchParams();
  sourceToParams(
    { kind: "query", selector, from: String(d.previous.from.getTime()), until: String(d.previous.until.getTime()) },
    "b",
    p,
  );
  sourceToParams({ kind: "query", selector, from: String(d.from.getTime()), until: String(d.until.getTime()) }, "t", p);
  if (fn) p.set("q", fn);
  return `/diff?${p}`;
}

function shortFile(file: string): string {
  return file.split("/").pop() ?? file;
}

function cpuLabel(s: ServiceDashboard, bucketMs: number): { values: number[]; text: string } | null {
  if (s.sampleUnit !== "nanoseconds") return null;
  const cores = s.series.total.map((v) => v / (bucketMs * 1e6));
  const avg = s.total / (s.series.total.length * bucketMs * 1e6);
  return { values: cores, text: `${avg >= 0.1 ? avg.toFixed(2) : avg.toFixed(3)} cores avg` };
}

/** Profiles whose functions the card does not include yet (the compactor has not summarised them). */
function PendingNote({ s }: { s: ServiceDashboard }) {
  const n = s.pending + s.previousPending;
  if (n === 0) return null;
  return (
    <p className="border-t border-amber-100 bg-amber-50 px-4 py-1.5 text-xs text-amber-800" data-testid="pending-note">
      {n.toLocaleString("en-US")} recent profile{n === 1 ? "" : "s"} not yet summarised: top functions and changes leave{" "}
      {n === 1 ? "it" : "them"} out until the compactor catches up.
    </p>
  );
}

function ServiceCard({
  s,
  d,
  previous,
  reports,
}: {
  s: ServiceDashboard;
  d: Dashboard;
  previous: string;
  reports: ReportSummary[];
}) {
  const cpu = cpuLabel(s, d.bucketMs);
  return (
    <section
      className="rounded-lg border border-slate-200 bg-white shadow-sm"
      data-testid="service-card"
      data-service={s.name}
    >
      <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1 border-b border-slate-100 px-4 py-3">
        <Link
          href={`/explore?query=${encodeURIComponent(withService("", s.name))}`}
          className="font-mono font-semibold text-indigo-700 hover:underline"
        >
          {s.name}
        </Link>
        <span className="text-xs text-slate-500" data-testid="last-upload">
          last upload {s.lastProfileAt ? formatDate(s.lastProfileAt) : "never"}
        </span>
        <span className="ml-auto text-xs text-slate-500">
          {s.profiles.toLocaleString("en-US")} profile{s.profiles === 1 ? "" : "s"}
          {s.sampleUnit ? ` · ${formatTotal(s.total, s.sampleUnit)} ${s.sampleType ?? ""}` : ""}
        </span>
      </div>
      <div className="grid gap-4 px-4 py-3 md:grid-cols-[auto_1fr_1fr]">
        <div className="space-y-2 text-xs text-slate-500">
          <div>
            <Sparkline values={s.series.profiles} label={`${s.name}: profiles per bucket`} />
            profiles
          </div>
          {cpu ? (
            <div>
              <Sparkline values={cpu.values} color="#ea580c" label={`${s.name}: CPU per bucket`} />
              CPU · {cpu.text}
            </div>
          ) : null}
        </div>
        <div>
          <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">Top by self</h3>
          {s.top.length === 0 ? (
            <p className="text-xs text-slate-400">
              {s.profiles === 0 ? "No profiles in this range." : "Not summarised yet."}
            </p>
          ) : (
            <ul className="space-y-0.5 text-xs" data-testid="top-functions">
              {s.top.map((f) => (
                <li key={`${f.name}\u0000${f.file}`} className="flex gap-2">
                  <span className="w-12 shrink-0 text-right tabular-nums text-slate-600">{pct(f.share)}</span>
                  <span className="truncate font-mono" title={f.file ? `${f.name} (${f.file})` : f.name}>
                    {f.name}
                    {f.file ? <span className="ml-1 text-slate-400">{shortFile(f.file)}</span> : null}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">
            What changed <span className="font-normal normal-case">vs {previous}</span>
          </h3>
          {s.changed.length === 0 ? (
            <p className="text-xs text-slate-400">
              {s.profiles === 0 || s.previousProfiles === 0
                ? "Nothing to compare: one window has no profiles."
                : "No function moved."}
            </p>
          ) : (
            <ul className="space-y-0.5 text-xs" data-testid="what-changed">
              {s.changed.map((c) => (
                <li key={`${c.name}\u0000${c.file}`}>
                  <Link
                    href={changeDiffHref(s.name, d, c.name)}
                    className="flex gap-2 hover:bg-slate-50"
                    data-testid="change-row"
                    data-fn={c.name}
                  >
                    <span
                      className={`w-14 shrink-0 text-right font-medium tabular-nums ${c.delta < 0 ? "text-blue-600" : "text-red-600"}`}
                    >
                      {c.delta > 0 ? "+" : "−"}
                      {Math.abs(c.delta * 100).toFixed(1)} pp
                    </span>
                    <span className="truncate font-mono text-slate-800">{c.name}</span>
                    <span className="ml-auto shrink-0 tabular-nums text-slate-500">
                      {pct(c.before)} → {pct(c.after)}
                    </span>
                  </Link>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <PendingNote s={s} />
      {reports.length > 0 ? (
        <div
          className="flex flex-wrap gap-x-4 gap-y-1 border-t border-slate-100 px-4 py-2 text-xs"
          data-testid="service-reports"
        >
          <span className="font-semibold uppercase tracking-wide text-slate-500">Reports</span>
          {reports.slice(0, 3).map((r) => (
            <Link key={r.id} href={`/r/${r.slug}`} className="text-indigo-700 hover:underline">
              {r.title}
            </Link>
          ))}
          {reports.length > 3 ? <span className="text-slate-500">and {reports.length - 3} more</span> : null}
        </div>
      ) : null}
    </section>
  );
}

/** One card per service; `reports` (newest first) are listed on the card of the service they are about. */
export function DashboardServices({
  d,
  previous,
  reports,
}: {
  d: Dashboard;
  previous: string;
  reports: ReportSummary[];
}) {
  return (
    <div className="space-y-4" data-testid="services">
      {d.services.map((s) => (
        <ServiceCard key={s.id} s={s} d={d} previous={previous} reports={reports.filter((r) => r.service === s.name)} />
      ))}
    </div>
  );
}

export function RecentReports({ reports }: { reports: ReportSummary[] }) {
  return (
    <section className="rounded-lg border border-slate-200 bg-white shadow-sm">
      <h2 className="border-b border-slate-100 px-4 py-3 font-semibold">Recent reports</h2>
      {reports.length === 0 ? (
        <p className="px-4 py-3 text-sm text-slate-500">
          None yet: open a{" "}
          <Link href="/diff" className="text-indigo-600 underline">
            diff
          </Link>{" "}
          and press “Create report”.
        </p>
      ) : (
        <ul className="divide-y divide-slate-100 text-sm" data-testid="recent-reports">
          {reports.map((r) => (
            <li key={r.id} className="px-4 py-2">
              <Link href={`/r/${r.slug}`} className="font-medium text-indigo-700 hover:underline">
                {r.title}
              </Link>
              <div className="text-xs text-slate-500">
                {r.service ? <span className="font-mono">{r.service} · </span> : null}
                {r.author?.name ?? r.author?.email ?? "former member"} · {formatDate(r.createdAt)}
                {r.headline ? (
                  <span className="ml-1 font-mono">
                    · {r.headline.name} {pct(r.headline.beforeTotalShare)} → {pct(r.headline.afterTotalShare)}
                  </span>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
