import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import path from "node:path";
import type { Database } from "@perforator/db";
import { betterAuth } from "better-auth";
import { prismaAdapter } from "better-auth/adapters/prisma";
import { APIError, createAuthMiddleware } from "better-auth/api";
import { acceptInviteForNewUser, checkSignUpAllowed, onUserCreated } from "./teams";

/**
 * The secret that signs session cookies: BETTER_AUTH_SECRET when set, otherwise one generated on first start and kept
 * in `<data dir>/auth-secret` (mode 0600), so the embedded default needs no configuration and sessions survive restarts.
 */
export function authSecret(dataDir: string): string {
  const fromEnv = process.env.BETTER_AUTH_SECRET;
  if (fromEnv) {
    if (fromEnv.length < 32)
      throw new Error("BETTER_AUTH_SECRET must be at least 32 characters (openssl rand -hex 32)");
    return fromEnv;
  }
  const file = path.join(dataDir, "auth-secret");
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    mkdirSync(dataDir, { recursive: true });
    try {
      // O_EXCL: two processes starting at once keep one secret.
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, randomBytes(32).toString("hex"));
      closeSync(fd);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new Error(
          `cannot write the session secret ${file}: ${(err as Error).message}; set BETTER_AUTH_SECRET or make PERFORATOR_DATA_DIR writable`,
        );
      }
    }
    return readFileSync(file, "utf8").trim();
  }
}

/** The origin browsers use to reach the app, when configured (BETTER_AUTH_URL, else PERFORATOR_WEB_URL). */
export function configuredOrigin(): string | undefined {
  const url = process.env.BETTER_AUTH_URL ?? process.env.PERFORATOR_WEB_URL;
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    throw new Error(`BETTER_AUTH_URL / PERFORATOR_WEB_URL is not a URL: ${url}`);
  }
}

/**
 * The origin of a request as the browser addressed it (its Host header). Accepting this origin is a same-origin
 * check: a cross-site page can make the victim's browser send our cookies, but its Origin header then names the other
 * site, never our Host.
 */
export function requestOrigin(request: Request | undefined): string | undefined {
  const host = request?.headers.get("host");
  if (!host) return undefined;
  const proto = request?.headers.get("x-forwarded-proto") ?? new URL(request!.url).protocol.replace(":", "");
  return `${proto}://${host}`;
}

export function createAuth(db: Database) {
  const origin = configuredOrigin();
  return betterAuth({
    appName: "Perforator",
    database: prismaAdapter(db.prisma, { provider: db.kind === "postgres" ? "postgresql" : "sqlite" }),
    secret: authSecret(db.dataDir),
    ...(origin ? { baseURL: origin } : {}),
    trustedOrigins: (request) => [origin, requestOrigin(request)],
    emailAndPassword: { enabled: true, autoSignIn: true, minPasswordLength: 8 },
    session: { expiresIn: 60 * 60 * 24 * 30, updateAge: 60 * 60 * 24 },
    advanced: { cookiePrefix: "perforator", defaultCookieAttributes: { httpOnly: true, sameSite: "lax" } },
    hooks: {
      before: createAuthMiddleware(async (ctx) => {
        if (ctx.path !== "/sign-up/email") return;
        const body = (ctx.body ?? {}) as { inviteToken?: unknown };
        const problem = await checkSignUpAllowed(db, typeof body.inviteToken === "string" ? body.inviteToken : "");
        if (problem) throw new APIError("FORBIDDEN", { message: problem });
      }),
    },
    databaseHooks: {
      user: {
        create: {
          after: async (user, ctx) => {
            const body = (ctx?.body ?? {}) as { inviteToken?: unknown };
            const token = typeof body.inviteToken === "string" ? body.inviteToken : "";
            if (!(await onUserCreated(db, user.id))) await acceptInviteForNewUser(db, user.id, token);
          },
        },
      },
    },
  });
}

export type Auth = ReturnType<typeof createAuth>;
