import { getProfile } from "@perforator/db";
import { TRPCError } from "@trpc/server";
import { notFound } from "next/navigation";
import { ProfileActions, ProfileFlame } from "../../../../components/profile-client";
import { SwitchTeam } from "../../../../components/switch-team";
import { formatDate, formatDuration, formatTotal } from "../../../../lib/format";
import { getDatabase } from "../../../../server/db";
import { serverApi } from "../../../../trpc/server";

export const dynamic = "force-dynamic";

/** One stored profile: what it is, its flamegraph, downloads and sharing. `perforator record --upload` links here. */
export default async function ProfilePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const api = await serverApi();
  const [profile, me] = await Promise.all([
    api.profiles.get({ id }).catch((err: unknown) => {
      if (err instanceof TRPCError && err.code === "NOT_FOUND") return null;
      throw err;
    }),
    api.team.me(),
  ]);
  if (!profile) {
    // Not in the team on screen: maybe in another of the user's teams (a link from an upload to that team).
    const database = getDatabase();
    const other = database.db
      ? await (async () => {
          for (const m of me.memberships) {
            if (m.teamId !== me.current?.teamId && (await getProfile(database.db!, m.teamId, id))) return m;
          }
          return null;
        })()
      : null;
    if (other) return <SwitchTeam teamId={other.teamId} teamName={other.teamName} />;
    notFound();
  }
  const labels = Object.entries(profile.labels);
  const durationMs = profile.endTime.getTime() - profile.startTime.getTime();
  return (
    <div className="space-y-5">
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <p className="text-xs font-medium uppercase tracking-wide text-slate-500">Profile</p>
          <h1 className="mt-0.5 font-mono text-2xl font-semibold" data-testid="profile-service">
            {profile.service}
          </h1>
          <div className="mt-2 flex flex-wrap gap-1.5" data-testid="profile-labels">
            {labels.length === 0 ? <span className="text-xs text-slate-400">no labels</span> : null}
            {labels.map(([k, v]) => (
              <span key={k} className="rounded-full bg-slate-100 px-2 py-0.5 font-mono text-xs text-slate-700">
                {k}={v}
              </span>
            ))}
          </div>
        </div>
        <ProfileActions id={profile.id} canShare={me.current?.role !== "viewer"} />
      </div>
      <dl className="grid grid-cols-2 gap-3 sm:grid-cols-5" data-testid="profile-facts">
        {[
          ["Recorded", formatDate(profile.startTime)],
          ["Duration", durationMs > 0 ? formatDuration(durationMs) : "—"],
          ["Total", `${formatTotal(profile.totalValue, profile.sampleUnit)} ${profile.sampleType}`],
          ["Stacks", profile.sampleCount.toLocaleString("en-US")],
          ["Format", `${profile.format} · ${(profile.blobSize / 1024).toFixed(1)} KB`],
        ].map(([k, v]) => (
          <div key={k} className="rounded-lg border border-slate-200 bg-white px-4 py-3">
            <dt className="text-xs text-slate-500">{k}</dt>
            <dd className="mt-0.5 text-sm font-medium" data-testid={`fact-${k!.toLowerCase()}`}>
              {v}
            </dd>
          </div>
        ))}
      </dl>
      <ProfileFlame id={profile.id} />
    </div>
  );
}
