import Link from "next/link";
import { DASHBOARD_RANGES, DashboardServices, RecentReports } from "../../components/dashboard";
import { HealthCard } from "../../components/health-card";
import { formatDate, formatTotal } from "../../lib/format";
import { serverApi } from "../../trpc/server";

export const dynamic = "force-dynamic";

function EmptyState() {
  return (
    <section data-testid="empty-state" className="rounded-lg border border-dashed border-slate-300 bg-white p-6">
      <h2 className="text-lg font-semibold">No profiles yet</h2>
      <p className="mt-2 text-sm text-slate-600">Record a process and upload it, or drop a file on the Upload page:</p>
      <ol className="mt-4 list-decimal space-y-3 pl-5 text-sm">
        <li>
          Record one minute of a process and upload it to this team (the ingest token is in Settings → API tokens):
          <pre className="mt-1 overflow-x-auto rounded bg-slate-900 p-3 font-mono text-xs text-slate-100">
            perforator record --pid PID --duration 1m --upload
          </pre>
        </li>
        <li>
          Or{" "}
          <Link href="/upload" className="font-medium text-indigo-600 underline">
            upload
          </Link>{" "}
          a pprof, folded, .cpuprofile or Perforator JSON file.
        </li>
        <li>
          Pyroscope SDKs work too: point their server address at the ingest server (port 4040) with an ingest token.
        </li>
      </ol>
    </section>
  );
}

/** The team dashboard: every service at a glance over the chosen range, what changed, recent reports and uploads. */
export default async function Home({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const sp = await searchParams;
  const range = DASHBOARD_RANGES.find((r) => r.from === sp.range) ?? DASHBOARD_RANGES[1];
  const api = await serverApi();
  const [health, overview, reports, recent] = await Promise.all([
    api.health(),
    api.dashboard.overview({ from: range.from, until: "now" }),
    api.reports.list({ limit: 100 }),
    api.profiles.recent({ limit: 10 }),
  ]);
  return (
    <div className="grid gap-6 lg:grid-cols-[1fr_22rem]">
      <div className="space-y-4">
        {overview.services.length === 0 ? (
          <EmptyState />
        ) : (
          <>
            <div className="flex flex-wrap items-center gap-3">
              <h1 className="text-xl font-semibold">Services</h1>
              <nav className="flex gap-1 text-sm" aria-label="Range" data-testid="dashboard-range">
                {DASHBOARD_RANGES.map((r) => (
                  <Link
                    key={r.from}
                    href={`/?range=${r.from}`}
                    aria-current={r === range ? "page" : undefined}
                    className={`rounded-md px-2.5 py-1 ${r === range ? "bg-indigo-50 font-medium text-indigo-700" : "text-slate-600 hover:bg-slate-100"}`}
                  >
                    {r.label}
                  </Link>
                ))}
              </nav>
              <span className="text-xs text-slate-500">
                {formatDate(overview.from)} → {formatDate(overview.until)}, compared with {range.previous}
              </span>
            </div>
            <DashboardServices d={overview} previous={range.previous} reports={reports} />
          </>
        )}
      </div>
      <div className="space-y-6">
        <RecentReports reports={reports.slice(0, 8)} />
        <section className="rounded-lg border border-slate-200 bg-white shadow-sm">
          <h2 className="border-b border-slate-100 px-4 py-3 font-semibold">Recent uploads</h2>
          <ul className="divide-y divide-slate-100 text-sm" data-testid="recent-profiles">
            {recent.map((p) => (
              <li key={p.id} className="px-4 py-2">
                <Link href={`/p/${p.id}`} className="font-mono text-indigo-600 hover:underline">
                  {p.service}
                </Link>
                <div className="text-xs text-slate-500">
                  {formatDate(p.startTime)} · {formatTotal(p.totalValue, p.sampleUnit)} {p.sampleType}
                </div>
              </li>
            ))}
          </ul>
        </section>
        <HealthCard initial={health} />
      </div>
    </div>
  );
}
