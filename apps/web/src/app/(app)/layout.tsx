import { countUsers, listMemberships } from "@perforator/db";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { AppShell } from "../../components/app-shell";
import { ensureReady, getDatabase } from "../../server/db";
import { sessionUser, TEAM_COOKIE } from "../../server/session";

export const dynamic = "force-dynamic";

/** Every page in here needs a signed-in user; a fresh install goes to /sign-up to create its first owner. */
export default async function AppLayout({ children }: { children: ReactNode }) {
  const database = getDatabase();
  await ensureReady(database);
  if (!database.db || database.error) {
    return (
      <main className="mx-auto max-w-xl px-6 py-16">
        <h1 className="text-xl font-semibold">The database is not available</h1>
        <p role="alert" className="mt-3 text-sm text-red-700">
          {database.error}
        </p>
        <p className="mt-3 text-sm text-slate-600">Check DATABASE_URL / PERFORATOR_DATA_DIR and reload.</p>
      </main>
    );
  }
  const h = await headers();
  const user = await sessionUser(h, database);
  if (!user) redirect((await countUsers(database.db)) === 0 ? "/sign-up" : "/sign-in");
  const teams = await listMemberships(database.db, user.id);
  const selected = new RegExp(`(?:^|;\\s*)${TEAM_COOKIE}=([^;]+)`).exec(h.get("cookie") ?? "")?.[1];
  const current = teams.find((t) => t.teamId === selected) ?? teams[0] ?? null;
  return (
    <AppShell user={user} teams={teams} current={current}>
      {current ? (
        children
      ) : (
        <div className="mx-auto max-w-lg rounded-lg border border-slate-200 bg-white p-6">
          <h1 className="text-lg font-semibold">You are not in a team yet</h1>
          <p className="mt-2 text-sm text-slate-600">
            Ask a team owner for an invite link (Settings → Invite links) and open it while signed in.
          </p>
        </div>
      )}
    </AppShell>
  );
}
