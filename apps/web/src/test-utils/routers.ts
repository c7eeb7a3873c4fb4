/**
 * Helpers for the tRPC router tests on a real store: a temp SQLite file, and PostgreSQL in a schema of its own (dropped
 * afterwards) when DATABASE_URL_TEST is set; TRPCError codes as strings; team members.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { addMember, createPasswordUser, type Database, openDatabase } from "@perforator/db";
import { TRPCError } from "@trpc/server";
import { afterAll } from "vitest";
import type { SessionUser } from "../server/api/trpc";

/** Call at a test file's top level: returns a maker of temp dirs (named `prefix…`), all removed after the file. */
export function tempDirs(prefix: string): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(path.join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
}

export interface StoreTarget {
  name: string;
  open(): { url: string; drop?: (db: Database) => Promise<void> };
}

/** SQLite in a temp dir, plus PostgreSQL in a fresh schema `${schemaPrefix}<random>` when DATABASE_URL_TEST is set. */
export function storeTargets(tempDir: () => string, schemaPrefix: string): StoreTarget[] {
  const targets: StoreTarget[] = [{ name: "sqlite", open: () => ({ url: `file:${path.join(tempDir(), "web.db")}` }) }];
  const pgUrl = process.env.DATABASE_URL_TEST;
  if (pgUrl) {
    targets.push({
      name: "postgres",
      open() {
        const schema = `${schemaPrefix}${randomBytes(5).toString("hex")}`;
        const url = new URL(pgUrl);
        url.searchParams.set("schema", schema);
        return {
          url: url.toString(),
          drop: (db) => db.prisma.$executeRawUnsafe(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).then(() => {}),
        };
      },
    });
  }
  return targets;
}

/** Runs `fn` on a freshly migrated store of `target`, then drops (PostgreSQL) and closes it. */
export async function withStore(
  target: StoreTarget,
  tempDir: () => string,
  fn: (db: Database) => Promise<void>,
): Promise<void> {
  const { url, drop } = target.open();
  const db = openDatabase({ url, dataDir: tempDir() });
  await db.migrate();
  try {
    await fn(db);
  } finally {
    await drop?.(db);
    await db.close();
  }
}

/** "OK", or the TRPCError code the call failed with. */
export async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "OK";
  } catch (err) {
    return err instanceof TRPCError ? err.code : `not a TRPCError: ${(err as Error).message}`;
  }
}

/** A password user (named after the email's local part) added to the team with `role`, as a session user. */
export async function member(
  db: Database,
  email: string,
  teamId: string,
  role: "owner" | "member" | "viewer",
): Promise<SessionUser> {
  const name = email.split("@")[0]!;
  const u = await createPasswordUser(db, { email, name, passwordHash: "unused" });
  await addMember(db, { teamId, userId: u.id, role });
  return { id: u.id, email: u.email, name };
}
