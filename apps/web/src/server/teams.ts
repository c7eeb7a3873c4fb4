import { acceptInvite, addMember, countUsers, type Database, ensureTeam, findInvite } from "@perforator/db";

/** The team the ingest creates on first start and the first user owns. */
export const DEFAULT_TEAM = "default";

/**
 * Why a sign-up is refused, or null when it may go ahead: the very first user signs up freely (and owns team
 * `default`); everyone after needs an unused, unexpired invite link.
 */
export async function checkSignUpAllowed(db: Database, inviteToken: string): Promise<string | null> {
  if ((await countUsers(db)) === 0) return null;
  if (!inviteToken) {
    return "Sign-up needs an invite link: ask a team owner for one (Settings → Invite links), or an administrator can run `pnpm --dir apps/web admin user create EMAIL --team NAME`.";
  }
  if (!(await findInvite(db, inviteToken)))
    return "This invite link is expired or was already used: ask for a new one.";
  return null;
}

/** Makes the first user ever the owner of team `default` (created if the ingest has not run). True when it did. */
export async function onUserCreated(db: Database, userId: string): Promise<boolean> {
  if ((await countUsers(db)) !== 1) return false;
  const team = await ensureTeam(db, DEFAULT_TEAM);
  await addMember(db, { teamId: team.id, userId, role: "owner" });
  return true;
}

export async function acceptInviteForNewUser(db: Database, userId: string, token: string): Promise<void> {
  if (token) await acceptInvite(db, token, userId);
}
