import { type Database, getProfile } from "@perforator/db";
import { notFound, redirect } from "next/navigation";
import { ReadOnlyHeader } from "../../../components/read-only-header";
import { SharedView } from "../../../components/shared-view";
import { formatDate, formatTotal } from "../../../lib/format";
import type { Source } from "../../../lib/source";
import { describeRange } from "../../../lib/time";
import { HttpError, readyDatabase, shareState } from "../../../server/sources";

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
  const { db } = await readyDatabase();
  let share: Awaited<ReturnType<typeof shareState>>;
  try {
    share = await shareState(db, id);
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) notFound();
    throw err;
  }
  const { state } = share;
  // Open on the view its author shared (tab, zoom, search...), then let the viewer keep it in the URL.
  if (Object.keys(await searchParams).length === 0 && state.view) redirect(`/s/${id}?${state.view}`);
  const profile = state.target.kind === "profile" ? await getProfile(db, share.teamId, state.target.id) : null;
  if (state.target.kind === "profile" && !profile) notFound();
  const title = state.baseline
    ? `${await describe(db, share.teamId, state.baseline)}  →  ${await describe(db, share.teamId, state.target)}`
    : await describe(db, share.teamId, state.target);
  return (
    <div className="min-h-screen">
      <ReadOnlyHeader label="read-only shared link" />
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
