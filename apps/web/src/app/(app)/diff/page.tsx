import { Suspense } from "react";
import { DiffView } from "../../../components/diff-view";
import { serverApi } from "../../../trpc/server";

export const dynamic = "force-dynamic";

export default async function DiffPage() {
  const api = await serverApi();
  const me = await api.team.me();
  return (
    <Suspense>
      <DiffView canShare={me.current?.role !== "viewer"} />
    </Suspense>
  );
}
