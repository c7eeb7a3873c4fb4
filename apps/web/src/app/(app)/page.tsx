import Link from "next/link";
import { HealthCard } from "../../components/health-card";
import { formatDate, formatTotal } from "../../lib/format";
import { withService } from "../../lib/selector";
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

export default async function Home() {
  const api = await serverApi();
  const [health, services, recent] = await Promise.all([
    api.health(),
    api.profiles.services(),
    api.profiles.recent({ limit: 15 }),
  ]);
  return (
    <div className="grid gap-6 lg:grid-cols-[1fr_22rem]">
      <div className="space-y-6">
        {services.length === 0 ? (
          <EmptyState />
        ) : (
          <>
            <section className="rounded-lg border border-slate-200 bg-white shadow-sm">
              <h2 className="border-b border-slate-100 px-4 py-3 font-semibold">Services</h2>
              <table className="w-full text-left text-sm" data-testid="services">
                <thead className="text-xs text-slate-500">
                  <tr>
                    <th className="px-4 py-2 font-medium">Service</th>
                    <th className="px-4 py-2 font-medium">Profiles</th>
                    <th className="px-4 py-2 font-medium">Last upload</th>
                  </tr>
                </thead>
                <tbody>
                  {services.map((s) => (
                    <tr key={s.id} className="border-t border-slate-100 hover:bg-slate-50">
                      <td className="px-4 py-2 font-mono">
                        <Link
                          className="text-indigo-600 hover:underline"
                          href={`/explore?query=${encodeURIComponent(withService("", s.name))}`}
                        >
                          {s.name}
                        </Link>
                      </td>
                      <td className="px-4 py-2 tabular-nums">{s.profileCount.toLocaleString("en-US")}</td>
                      <td className="px-4 py-2 text-slate-600">
                        {s.lastProfileAt ? formatDate(s.lastProfileAt) : "—"}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
            <section className="rounded-lg border border-slate-200 bg-white shadow-sm">
              <h2 className="border-b border-slate-100 px-4 py-3 font-semibold">Recent profiles</h2>
              <ul className="divide-y divide-slate-100 text-sm" data-testid="recent-profiles">
                {recent.map((p) => (
                  <li key={p.id} className="flex flex-wrap items-center gap-x-4 px-4 py-2">
                    <Link href={`/p/${p.id}`} className="font-mono text-indigo-600 hover:underline">
                      {p.service}
                    </Link>
                    <span className="text-slate-600">{formatDate(p.startTime)}</span>
                    <span className="text-slate-500">
                      {p.sampleType} · {formatTotal(p.totalValue, p.sampleUnit)} ·{" "}
                      {p.sampleCount.toLocaleString("en-US")} stacks · {p.format}
                    </span>
                  </li>
                ))}
              </ul>
            </section>
          </>
        )}
      </div>
      <HealthCard initial={health} />
    </div>
  );
}
