import { Settings } from "../../../components/settings";
import { serverApi } from "../../../trpc/server";

export const dynamic = "force-dynamic";

export default async function SettingsPage() {
  const me = await (await serverApi()).team.me();
  return <Settings teamName={me.current?.teamName ?? ""} role={me.current?.role ?? "viewer"} userId={me.user.id} />;
}
