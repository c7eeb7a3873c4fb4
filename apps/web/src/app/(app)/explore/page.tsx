import { Suspense } from "react";
import { Explorer } from "../../../components/explorer";
import { serverApi } from "../../../trpc/server";

export const dynamic = "force-dynamic";

export default async function ExplorePage() {
  const api = await serverApi();
  const me = await api.team.me();
  return (
    <Suspense>
      <Explorer canShare={me.current?.role !== "viewer"} />
    </Suspense>
  );
}
