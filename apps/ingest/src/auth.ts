/**
 * API tokens on requests. A token is read from, in order:
 * 1. `Authorization: Bearer <token>` (collectors, Pyroscope SDKs, curl);
 * 2. `Authorization: Basic …` with the token as the password (or as the user name when the password is empty):
 *    what `go tool pprof 'http://x:TOKEN@host/…'` sends;
 * 3. on GET requests only, the `token` query parameter (`?token=…`), for tools that can send neither.
 */
import type { FastifyRequest } from "fastify";
import { HttpError } from "./limits.js";

export type TokenScope = "ingest" | "read";

export interface Principal {
  tokenId: string;
  teamId: string;
  scope: TokenScope;
}

export type VerifyToken = (token: string) => Promise<Principal | null>;

export function tokenFromRequest(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h) {
    const sp = h.indexOf(" ");
    const scheme = (sp < 0 ? h : h.slice(0, sp)).toLowerCase();
    const rest = sp < 0 ? "" : h.slice(sp + 1).trim();
    if (scheme === "bearer" && rest) return rest;
    if (scheme === "basic" && rest) {
      const decoded = Buffer.from(rest, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const user = colon < 0 ? decoded : decoded.slice(0, colon);
      const password = colon < 0 ? "" : decoded.slice(colon + 1);
      return password || user || undefined;
    }
  }
  if (req.method === "GET") {
    const q = (req.query as Record<string, unknown> | undefined)?.token;
    if (typeof q === "string" && q) return q;
  }
  return undefined;
}

export async function authenticate(req: FastifyRequest, verify: VerifyToken): Promise<Principal> {
  const token = tokenFromRequest(req);
  if (!token) {
    throw new HttpError(
      401,
      "missing API token: send `Authorization: Bearer <token>` (create one with `pnpm --dir apps/ingest admin token create --team NAME --scope ingest`)",
      "no_token",
    );
  }
  const principal = await verify(token);
  if (!principal) {
    throw new HttpError(
      401,
      "unknown or revoked API token: check the token, or create a new one with `pnpm --dir apps/ingest admin token create`",
      "bad_token",
    );
  }
  return principal;
}

export function requireScope(p: Principal, scope: TokenScope): void {
  if (scope === "ingest" && p.scope !== "ingest") {
    throw new HttpError(
      403,
      `this is a ${p.scope} token: uploading needs a token with scope "ingest" (admin token create --scope ingest)`,
      "wrong_scope",
    );
  }
}
