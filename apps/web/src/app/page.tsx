import type { ProfileRecord, ServiceSummary } from "@perforator/db";
import { HealthCard } from "../components/health-card";
import { serverApi } from "../trpc/server";

// Reads the database on every request.
export const dynamic = "force-dynamic";

function formatTime(d: Date | null): string {
  return d
    ? d
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, " UTC")
    : "—";
}

function EmptyState() {
  return (
    <section data-testid="empty-state" className="rounded-lg border border-dashed border-slate-300 bg-white p-6">
      <h2 className="text-lg font-semibold">No profiles yet</h2>
      <p className="mt-2 text-sm text-slate-600">
        Record a running process and look at it right away, or upload the profile here to keep it:
      </p>
      <ol className="mt-4 list-decimal space-y-3 pl-5 text-sm">
        <li>
          Record one minute of a process and open its flamegraph:
          <pre className="mt-1 overflow-x-auto rounded bg-slate-900 p-3 font-mono text-xs text-slate-100">
            perforator record --pid PID --duration 1m --serve :9006
          </pre>
        </li>
        <li>
          Or save it as pprof and upload it to the ingest server (<code>pnpm --filter @perforator/ingest start</code>,
          port 4040):
          <pre className="mt-1 overflow-x-auto rounded bg-slate-900 p-3 font-mono text-xs text-slate-100">
            {`perforator record --pid PID --duration 1m -f pprof -o profile.pb.gz
curl --data-binary @profile.pb.gz 'http://127.0.0.1:4040/ingest?name=my.service&format=pprof'`}
          </pre>
        </li>
        <li>Pyroscope SDKs work too: point their server address at http://127.0.0.1:4040.</li>
      </ol>
    </section>
  );
}

function ServiceTable({ services, recent }: { services: ServiceSummary[]; recent: ProfileRecord[] }) {
  return (
    <section aria-labelledby="services-title" className="rounded-lg border border-slate-200 bg-white p-5 shadow-sm">
      <h2 id="services-title" className="text-sm font-semibold uppercase tracking-wide text-slate-500">
        Services
      </h2>
      <table className="mt-3 w-full text-left text-sm" data-testid="services">
        <thead className="text-slate-500">
          <tr>
            <th className="py-1 font-medium">Service</th>
            <th className="py-1 font-medium">Profiles</th>
            <th className="py-1 font-medium">Latest</th>
          </tr>
        </thead>
        <tbody>
          {services.map((s) => (
            <tr key={s.id} className="border-t border-slate-100">
              <td className="py-1 font-mono">{s.name}</td>
              <td className="py-1">{s.profileCount}</td>
              <td className="py-1">{formatTime(s.lastProfileAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3 className="mt-6 text-sm font-semibold uppercase tracking-wide text-slate-500">Recent profiles</h3>
      <ul className="mt-2 divide-y divide-slate-100 text-sm" data-testid="recent-profiles">
        {recent.map((p) => (
          <li key={p.id} className="flex flex-wrap gap-x-4 py-1">
            <span className="font-mono">{p.service}</span>
            <span>{formatTime(p.startTime)}</span>
            <span className="text-slate-500">
              {p.sampleType} · {p.totalValue.toString()} {p.sampleUnit} · {p.sampleCount} stacks · {p.format}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

export default async function Home() {
  const api = serverApi();
  const [health, services, recent] = await Promise.all([api.health(), api.profiles.services(), api.profiles.recent()]);
  return (
    <main className="mx-auto max-w-4xl space-y-6 px-6 py-10">
      <header>
        <h1 className="text-3xl font-bold tracking-tight">Perforator</h1>
        <p className="mt-1 text-slate-600">
          Open, self-hostable continuous profiler: record, upload, compare flamegraphs.
        </p>
      </header>
      <HealthCard initial={health} />
      {services.length === 0 ? <EmptyState /> : <ServiceTable services={services} recent={recent} />}
    </main>
  );
}
