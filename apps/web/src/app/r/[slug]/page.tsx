import { listMemberships, roleAtLeast } from "@perforator/db";
import type { Metadata } from "next";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { AppShell } from "../../../components/app-shell";
import { ReportView } from "../../../components/report-view";
import { ensureReady, getDatabase } from "../../../server/db";
import { reportDoc, resolveReport } from "../../../server/reports";
import { sessionUser, TEAM_COOKIE } from "../../../server/session";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Report · Perforator", robots: { index: false } };

/**
 * A report: `/r/<slug>` for members of its team (members and owners edit it), or `/r/<public link id>` for anyone,
 * read-only, until the link is revoked. Every other id is a 404.
 */
export default async function ReportPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug: id } = await params;
  const database = getDatabase();
  await ensureReady(database);
  if (!database.db || database.error) throw new Error(`the database is not available: ${database.error}`);
  const h = await headers();
  const user = await sessionUser(h, database);
  const r = await resolveReport(database.db, user?.id ?? null, id);
  if (!r) notFound();
  const doc = reportDoc(r.report);

  if (r.access === "team" && user) {
    const teams = await listMemberships(database.db, user.id);
    const selected = new RegExp(`(?:^|;\\s*)${TEAM_COOKIE}=([^;]+)`).exec(h.get("cookie") ?? "")?.[1];
    const current = teams.find((t) => t.teamId === r.teamId) ?? teams.find((t) => t.teamId === selected) ?? null;
    return (
      <AppShell user={user} teams={teams} current={current}>
        <ReportView id={id} slug={r.report.slug} doc={doc} canEdit={r.role !== null && roleAtLeast(r.role, "member")} />
      </AppShell>
    );
  }
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex h-14 max-w-[1400px] items-center gap-3 px-6">
          <span className="grid h-7 w-7 place-items-center rounded-md bg-gradient-to-br from-orange-500 to-rose-600 text-xs font-bold text-white">
            P
          </span>
          <span className="font-semibold">Perforator</span>
          <span
            className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900"
            data-testid="read-only"
          >
            read-only shared report
          </span>
          <a href="/sign-in" className="ml-auto text-sm text-slate-600 hover:text-slate-900">
            Sign in
          </a>
        </div>
      </header>
      <main className="mx-auto max-w-[1400px] px-6 py-6">
        <ReportView id={id} slug={null} doc={doc} canEdit={false} />
      </main>
    </div>
  );
}
