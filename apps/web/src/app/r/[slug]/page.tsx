import { listMemberships, roleAtLeast } from "@perforator/db";
import type { Metadata } from "next";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { AppShell } from "../../../components/app-shell";
import { ReadOnlyHeader } from "../../../components/read-only-header";
import { ReportView } from "../../../components/report-view";
import { reportDoc, resolveReport } from "../../../server/reports";
import { sessionUser, TEAM_COOKIE } from "../../../server/session";
import { readyDatabase } from "../../../server/sources";

export const dynamic = "force-dynamic";

export const metadata: Metadata = { title: "Report · Perforator", robots: { index: false } };

/**
 * A report: `/r/<slug>` for members of its team (members and owners edit it), or `/r/<public link id>` for anyone,
 * read-only, until the link is revoked. Every other id is a 404.
 */
export default async function ReportPage({ params }: { params: Promise<{ slug: string }> }) {
  const { slug: id } = await params;
  const { database, db } = await readyDatabase();
  const h = await headers();
  const user = await sessionUser(h, database);
  const r = await resolveReport(db, user?.id ?? null, id);
  if (!r) notFound();
  const doc = reportDoc(r.report);

  if (r.access === "team" && user) {
    const teams = await listMemberships(db, user.id);
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
      <ReadOnlyHeader label="read-only shared report" />
      <main className="mx-auto max-w-[1400px] px-6 py-6">
        <ReportView id={id} slug={null} doc={doc} canEdit={false} />
      </main>
    </div>
  );
}
