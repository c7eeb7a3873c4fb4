import { countUsers, findInvite } from "@perforator/db";
import { headers } from "next/headers";
import Link from "next/link";
import { AcceptInvite } from "../../components/accept-invite";
import { AuthCard, AuthForm } from "../../components/auth-form";
import { ensureReady, getDatabase } from "../../server/db";
import { sessionUser } from "../../server/session";
import { DEFAULT_TEAM } from "../../server/teams";

export const dynamic = "force-dynamic";

export default async function SignUp({ searchParams }: { searchParams: Promise<{ invite?: string }> }) {
  const { invite } = await searchParams;
  const database = getDatabase();
  await ensureReady(database);
  const db = database.db;
  if (!db || database.error) {
    return (
      <AuthCard title="The database is not available">
        <p role="alert" className="text-sm text-red-700">
          {database.error}
        </p>
      </AuthCard>
    );
  }
  if ((await countUsers(db)) === 0) {
    return (
      <AuthCard
        title="Create the first account"
        subtitle={
          <>
            You will own team <b>{DEFAULT_TEAM}</b>, where the ingest server stores uploads. Invite others later from
            Settings.
          </>
        }
      >
        <AuthForm mode="sign-up" />
      </AuthCard>
    );
  }
  const found = invite ? await findInvite(db, invite) : null;
  if (!found) {
    return (
      <AuthCard title="Sign-up needs an invite">
        <p className="text-sm text-slate-600">
          {invite
            ? "This invite link is expired or was already used: ask the team owner for a new one."
            : "Ask a team owner for an invite link (Settings → Invite links)."}
        </p>
        <p className="mt-4 text-sm">
          Already have an account?{" "}
          <Link href="/sign-in" className="font-medium text-indigo-600 underline">
            Sign in
          </Link>
        </p>
      </AuthCard>
    );
  }
  const user = await sessionUser(await headers(), database);
  if (user) {
    return (
      <AuthCard
        title={`Join team ${found.teamName}`}
        subtitle={
          <>
            Signed in as {user.email}. You were invited as <b>{found.role}</b>.
          </>
        }
      >
        <AcceptInvite token={invite!} teamName={found.teamName} />
      </AuthCard>
    );
  }
  return (
    <AuthCard
      title={`Join team ${found.teamName}`}
      subtitle={
        <>
          You were invited as <b>{found.role}</b>.
        </>
      }
    >
      <AuthForm mode="sign-up" inviteToken={invite} />
    </AuthCard>
  );
}
