import { ensureReady, getDatabase } from "../../../../server/db";
import { getAuth } from "../../../../server/session";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** better-auth's endpoints (sign-up, sign-in, sign-out, session); it checks the Origin of every POST itself. */
async function handler(req: Request): Promise<Response> {
  const database = getDatabase();
  await ensureReady(database);
  if (!database.db || database.error) {
    return Response.json({ message: `the database is not available: ${database.error}` }, { status: 503 });
  }
  return getAuth(database).handler(req);
}

export { handler as GET, handler as POST };
