import { configuredOrigin, requestOrigin } from "./auth";

/**
 * CSRF guard for state-changing requests that ride on the session cookie: the browser's Origin header must be this
 * app (its configured URL, or the host the request was addressed to). Cross-site pages cannot forge Origin.
 */
export function sameOrigin(req: Request): boolean {
  const origin = req.headers.get("origin");
  if (!origin) return false;
  return origin === configuredOrigin() || origin === requestOrigin(req);
}

export function forbiddenOrigin(): Response {
  return Response.json(
    { error: "cross-origin request refused: send it from the Perforator web app itself (Origin header)" },
    { status: 403 },
  );
}
