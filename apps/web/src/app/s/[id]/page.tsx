import { type Database, getProfile } from "@perforator/db";
import { notFound, redirect } from "next/navigation";
import { Logo } from "../../../components/logo";
import { SharedView } from "../../../components/shared-view";
import { formatDate, formatTotal } from "../../../lib/format";
import type { Source } from "../../../lib/source";
import { describeRange } from "../../../lib/time";
import { ensureReady, getDatabase } from "../../../server/db";
import { HttpError, shareState } from "../../../server/sources";

export const dynamic = "force-dynamic";

async function describe(db: Database, teamId: string, s: Source): Promise<string> {
  if (s.kind === "query") return `${s.selector} · ${describeRange(s.from, s.until)}`;
  const p = await getProfile(db, teamId, s.id);
  return p ? `${p.service} · ${formatDate(p.startTime)}` : `profile ${s.id}`;
}

/**
 * A public, read-only link: works without a session and shows only what it names (its own bytes endpoint reads
 * nothing else). Missing and revoked links are both a plain 404.
 */
export default async function SharedPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { id } = await params;
  const database = getDatabase();
  await ensureReady(database);
  if (!database.db || database.error) throw new Error(`the database is not available: ${database.error}`);
  let share: Awaited<ReturnType<typeof shareState>>;
  try {
    share = await shareState(database.db, id);
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) notFound();
    throw err;
  }
  const { state } = share;
  // Open on the view its author shared (tab, zoom, search...), then let the viewer keep it in the URL.
  if (Object.keys(await searchParams).length === 0 && state.view) redirect(`/s/${id}?${state.view}`);
  const profile = state.target.kind === "profile" ? await getProfile(database.db, share.teamId, state.target.id) : null;
  if (state.target.kind === "profile" && !profile) notFound();
  const title = state.baseline
    ? `${await describe(database.db, share.teamId, state.baseline)}  →  ${await describe(database.db, share.teamId, state.target)}`
    : await describe(database.db, share.teamId, state.target);
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex h-14 max-w-[1400px] items-center gap-3 px-6">
          <Logo />
          <span className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900">
            read-only shared link
          </span>
          <a href="/sign-in" className="ml-auto text-sm text-slate-600 hover:text-slate-900">
            Sign in
          </a>
        </div>
      </header>
      <main className="mx-auto max-w-[1400px] space-y-4 px-6 py-6">
        <div>
          <p className="text-xs font-medium uppercase tracking-wide text-slate-500">Shared {share.kind}</p>
          {profile && !state.baseline ? (
            <>
              <h1 className="font-mono text-2xl font-semibold" data-testid="shared-title">
                {profile.service}
              </h1>
              <p className="mt-1 text-sm text-slate-600">
                {formatDate(profile.startTime)} · {formatTotal(profile.totalValue, profile.sampleUnit)}{" "}
                {profile.sampleType} · {profile.sampleCount.toLocaleString("en-US")} stacks ·{" "}
                {Object.entries(profile.labels)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(" ")}
              </p>
            </>
          ) : (
            <h1 className="font-mono text-lg font-semibold" data-testid="shared-title">
              {title}
            </h1>
          )}
        </div>
        <SharedView id={id} diff={state.baseline !== undefined} />
      </main>
    </div>
  );
}
