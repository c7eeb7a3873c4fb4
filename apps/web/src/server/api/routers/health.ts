import { ensureReady } from "../../db";
import { publicProcedure } from "../trpc";

export interface Health {
  version: string;
  commit?: string;
  builtAt?: string;
  db: { kind: "sqlite" | "postgres" | "unknown"; url?: string; reachable: boolean; error?: string; latencyMs?: number };
}

/** Build identity and whether the database answers (and is migrated). Never throws. */
export const health = publicProcedure.query(async ({ ctx }): Promise<Health> => {
  const { database } = ctx;
  const build = {
    version: process.env.PERFORATOR_VERSION ?? "0.0.0-dev",
    ...(process.env.PERFORATOR_COMMIT ? { commit: process.env.PERFORATOR_COMMIT } : {}),
    ...(process.env.PERFORATOR_BUILT_AT ? { builtAt: process.env.PERFORATOR_BUILT_AT } : {}),
  };
  await ensureReady(database);
  const db = database.db;
  if (!db) return { ...build, db: { kind: database.kind, reachable: false, error: database.error } };
  const ping = await db.ping();
  if (ping.ok) return { ...build, db: { kind: db.kind, url: db.url, reachable: true, latencyMs: ping.latencyMs } };
  return {
    ...build,
    db: {
      kind: db.kind,
      url: db.url,
      reachable: false,
      // A failed migration explains an unmigrated database better than "not migrated" does.
      error: ping.reachable ? (database.error ?? ping.error) : ping.error,
      latencyMs: ping.latencyMs,
    },
  };
});
