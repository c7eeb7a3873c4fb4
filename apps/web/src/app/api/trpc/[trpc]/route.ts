import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "../../../../server/api/root";
import { forbiddenOrigin, sameOrigin } from "../../../../server/origin";
import { createContext } from "../../../../server/session";

// The database is read on every request; nothing here can be prerendered.
export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const handler = (req: Request) => {
  // Mutations come as POST: only from our own pages (the session cookie alone must not be enough).
  if (req.method !== "GET" && !sameOrigin(req)) return forbiddenOrigin();
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => createContext(req.headers),
    onError: ({ path, error }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`tRPC ${path ?? "?"} failed:`, error);
    },
  });
};

export { handler as GET, handler as POST };
