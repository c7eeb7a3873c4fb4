import { Suspense } from "react";
import { Explorer } from "../../../components/explorer";
import { sourceFromParams } from "../../../lib/source";
import { prefetchMergedView } from "../../../server/merged-view";
import { serverApi } from "../../../trpc/server";

export const dynamic = "force-dynamic";

export default async function ExplorePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const api = await serverApi();
  const me = await api.team.me();
  // The merged flamegraph's payload is what this page waits for longest: start it now, not after hydration.
  if (me.current) prefetchMergedView(me.current.teamId, sourceFromParams(toParams(await searchParams)));
  return (
    <Suspense>
      <Explorer canShare={me.current?.role !== "viewer"} />
    </Suspense>
  );
}

function toParams(sp: Record<string, string | string[] | undefined>): URLSearchParams {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(sp))
    for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) p.append(k, x);
  return p;
}
