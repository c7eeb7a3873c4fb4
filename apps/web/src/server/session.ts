import type { Context, SessionUser } from "./api/trpc";
import { type Auth, createAuth } from "./auth";
import { type DatabaseHandle, ensureReady, getDatabase } from "./db";

/** Cookie holding the id of the team the browser looks at (membership is still checked on every request). */
export const TEAM_COOKIE = "perforator_team";

const globalForAuth = globalThis as unknown as { perforatorAuth?: Auth };

/** One better-auth instance per process, on the process's database. Throws when the database is unusable. */
export function getAuth(database: DatabaseHandle = getDatabase()): Auth {
  if (!database.db) throw new Error(`the database is not available: ${database.error ?? "unknown error"}`);
  globalForAuth.perforatorAuth ??= createAuth(database.db);
  return globalForAuth.perforatorAuth;
}

function cookieValue(headers: Headers, name: string): string | undefined {
  const cookie = headers.get("cookie");
  if (!cookie) return undefined;
  for (const part of cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return undefined;
}

/** The signed-in user of a request, or null (no cookie, expired or revoked session, database down). */
export async function sessionUser(
  headers: Headers,
  database: DatabaseHandle = getDatabase(),
): Promise<SessionUser | null> {
  await ensureReady(database);
  if (!database.db || database.error) return null;
  const session = await getAuth(database).api.getSession({ headers });
  if (!session) return null;
  return { id: session.user.id, email: session.user.email, name: session.user.name };
}

export async function createContext(headers: Headers, database: DatabaseHandle = getDatabase()): Promise<Context> {
  return { database, user: await sessionUser(headers, database), teamId: cookieValue(headers, TEAM_COOKIE) };
}
