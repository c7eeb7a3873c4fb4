/**
 * The upload path's one write: a Profile row, inserted straight through the database driver (better-sqlite3
 * or pg) with group commit, not through Prisma.
 *
 * Why: an upload is one row, and the ingest must take hundreds a second on two cores. Through Prisma's client
 * (query compiler + interpreter + adapter) a row costs ~1 ms of CPU and a commit each; here a prepared
 * statement costs ~10 µs, and the rows that arrive while a commit is in flight go into the next transaction
 * together (one fsync on PostgreSQL for many uploads). Each caller still gets its answer only after the
 * transaction holding its row committed, so an acknowledged upload survives a `kill -9` the next instant.
 *
 * Every other query stays on Prisma. The column list below must follow the Profile model in
 * prisma/{sqlite,postgres}/schema.prisma (a test inserts through both paths and compares the rows).
 */
import { randomBytes } from "node:crypto";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import type { ProfileRecord } from "./profiles.js";

/** A Profile row as the upload path writes it: the record's fields, labels as JSON text, no service name. */
export type NewProfileRow = Omit<ProfileRecord, "service" | "labels"> & {
  /** JSON text of the label set. */
  labels: string;
};

const COLUMNS = [
  "id",
  "teamId",
  "serviceId",
  "startTime",
  "endTime",
  "sampleType",
  "sampleUnit",
  "sampleTypes",
  "period",
  "periodType",
  "labels",
  "totalValue",
  "sampleCount",
  "format",
  "blobKey",
  "blobSize",
  "blobEncoding",
  "rawSize",
  "decompressedSize",
  "idempotencyKey",
  "createdAt",
] as const satisfies readonly (keyof NewProfileRow)[];

/** The row's values in COLUMNS order, dates and big integers in the driver's form. */
function rowValues(r: NewProfileRow, date: (d: Date) => string, big: (v: bigint) => bigint | string): unknown[] {
  return COLUMNS.map((c) => {
    const v = r[c];
    return v instanceof Date ? date(v) : typeof v === "bigint" ? big(v) : v;
  });
}

/** What happened to one row of a batch. */
export type RowOutcome = { inserted: true } | { inserted: false; conflict: true } | { inserted: false; error: Error };

export interface ProfileRowWriter {
  /** Inserts the row (in the next group commit); `conflict` when its (teamId, idempotencyKey) was taken. */
  insert(row: NewProfileRow): Promise<RowOutcome>;
  /** Id of the team's profile with this idempotency key, if any. */
  idForKey(teamId: string, key: string): Promise<string | null>;
  /** Waits for queued rows, then closes the connection. */
  close(): Promise<void>;
}

let idCounter = randomBytes(2).readUInt16BE(0);
/**
 * A new row id: `c`, the time in ms (base 36), a per-process counter and 64 random bits. Same alphabet and
 * roughly the same length as Prisma's cuid(); increasing within a process, so `id` keeps working as the
 * tie-break of the (startTime, id) order.
 */
export function newRowId(): string {
  idCounter = (idCounter + 1) % 1_679_616; // 36^4
  return `c${Date.now().toString(36)}${idCounter.toString(36).padStart(4, "0")}${randomBytes(8).readBigUInt64BE().toString(36).padStart(13, "0")}`;
}

/** How Prisma's SQLite adapter writes a DateTime (text, UTC, `+00:00`), so both paths sort and read alike. */
export function sqliteDate(d: Date): string {
  return d.toISOString().replace("Z", "+00:00");
}

interface Pending {
  row: NewProfileRow;
  resolve: (o: RowOutcome) => void;
}

/**
 * Group commit: rows queued while a batch is being written go into the next one. `write` gets a batch and
 * returns one outcome per row; if it throws, every row of the batch gets that error.
 */
function groupCommit(write: (rows: NewProfileRow[]) => Promise<RowOutcome[]>, maxBatch: number) {
  let queue: Pending[] = [];
  let running: Promise<void> | null = null;
  const drain = async () => {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      let outcomes: RowOutcome[];
      try {
        outcomes = await write(batch.map((p) => p.row));
      } catch (err) {
        outcomes = batch.map(() => ({ inserted: false, error: err as Error }));
      }
      batch.forEach((p, i) => {
        p.resolve(outcomes[i]!);
      });
    }
  };
  return {
    insert(row: NewProfileRow): Promise<RowOutcome> {
      return new Promise<RowOutcome>((resolve) => {
        queue.push({ row, resolve });
        // Let the rows of this event-loop turn join before the first write.
        running ??= new Promise<void>((r) => setImmediate(r)).then(drain).finally(() => {
          running = null;
        });
      });
    },
    async idle(): Promise<void> {
      while (running) await running;
    },
  };
}

function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_BUSY_SNAPSHOT" || code === "SQLITE_LOCKED";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * SQLite: a connection of our own next to Prisma's. The statements run synchronously (microseconds each);
 * when another process or thread holds the write lock we do not block the event loop in SQLite's busy
 * handler but retry the batch after a short sleep, for up to `busyTimeoutMs`.
 */
export function sqliteRowWriter(file: string, busyTimeoutMs = 15_000): ProfileRowWriter {
  const conn = new BetterSqlite3(file, { timeout: 0 });
  conn.pragma("journal_mode = WAL");
  // WAL + NORMAL: a commit is in the WAL file (the OS has it) before it returns: it survives the process dying;
  // a power cut may lose the last commits, as with Prisma's own connection.
  conn.pragma("synchronous = NORMAL");
  conn.pragma("foreign_keys = ON");
  const insert = conn.prepare(
    `INSERT INTO "Profile" (${COLUMNS.map((c) => `"${c}"`).join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")}) ` +
      `ON CONFLICT ("teamId", "idempotencyKey") DO NOTHING`,
  );
  const byKey = conn.prepare(`SELECT "id" FROM "Profile" WHERE "teamId" = ? AND "idempotencyKey" = ?`).pluck();
  const params = (r: NewProfileRow) => rowValues(r, sqliteDate, (v) => v);
  const writeBatch = conn.transaction((rows: NewProfileRow[]): RowOutcome[] =>
    rows.map((r) => {
      try {
        // A failing statement undoes only itself; the others of the batch still commit.
        return insert.run(params(r)).changes === 1 ? { inserted: true } : { inserted: false, conflict: true };
      } catch (err) {
        if (isSqliteBusy(err)) throw err;
        return { inserted: false, error: err as Error };
      }
    }),
  );
  /** Runs `fn`; while the database is busy, retries it after a growing sleep, for up to busyTimeoutMs. */
  const whenFree = async <T>(fn: () => T): Promise<T> => {
    const deadline = Date.now() + busyTimeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      try {
        return fn();
      } catch (err) {
        if (!isSqliteBusy(err) || Date.now() > deadline) throw err;
      }
      await sleep(wait);
    }
  };
  // BEGIN IMMEDIATE: take the write lock up front, so a busy database fails there, before any row ran.
  const gc = groupCommit((rows) => whenFree(() => writeBatch.immediate(rows)), 500);
  return {
    insert: gc.insert,
    idForKey: (teamId, key) => whenFree(() => (byKey.get(teamId, key) as string | undefined) ?? null),
    async close() {
      await gc.idle();
      conn.close();
    },
  };
}

/** PostgreSQL: a small pool of our own; a batch is one multi-row INSERT … RETURNING in one transaction. */
export function postgresRowWriter(connectionString: string, schema: string, timeoutMs = 5000): ProfileRowWriter {
  const pool = new pg.Pool({ connectionString, max: 4, connectionTimeoutMillis: timeoutMs });
  pool.on("error", () => {}); // an idle client's error: the next query reports it
  const table = `"${schema}"."Profile"`;
  const cols = COLUMNS.map((c) => `"${c}"`).join(", ");
  // TIMESTAMP(3) without time zone holds UTC (as Prisma writes it): send the UTC text, not a Date, which
  // node-postgres would turn into local time.
  const values = (r: NewProfileRow) =>
    rowValues(
      r,
      (d) => d.toISOString(),
      (v) => v.toString(),
    );
  const insertMany = async (rows: NewProfileRow[]): Promise<Set<string>> => {
    const params: unknown[] = [];
    const tuples = rows.map((r) => {
      const start = params.length;
      params.push(...values(r));
      return `(${COLUMNS.map((_, i) => `$${start + i + 1}`).join(", ")})`;
    });
    const res = await pool.query<{ id: string }>(
      `INSERT INTO ${table} (${cols}) VALUES ${tuples.join(", ")} ON CONFLICT ("teamId", "idempotencyKey") DO NOTHING RETURNING "id"`,
      params,
    );
    return new Set(res.rows.map((r) => r.id));
  };
  const outcomesOf = (rows: NewProfileRow[], inserted: Set<string>): RowOutcome[] =>
    rows.map((r) => (inserted.has(r.id) ? { inserted: true } : { inserted: false, conflict: true }));
  const gc = groupCommit(async (rows) => {
    try {
      return outcomesOf(rows, await insertMany(rows));
    } catch (err) {
      if (rows.length === 1) throw err;
      // One bad row (e.g. its service was deleted meanwhile) fails the statement: write them one by one, so
      // only that row's upload fails.
      return Promise.all(
        rows.map(async (r): Promise<RowOutcome> => {
          try {
            return outcomesOf([r], await insertMany([r]))[0]!;
          } catch (e) {
            return { inserted: false, error: e as Error };
          }
        }),
      );
    }
  }, 500);
  return {
    insert: gc.insert,
    async idForKey(teamId, key) {
      const res = await pool.query<{ id: string }>(
        `SELECT "id" FROM ${table} WHERE "teamId" = $1 AND "idempotencyKey" = $2`,
        [teamId, key],
      );
      return res.rows[0]?.id ?? null;
    },
    async close() {
      await gc.idle();
      await pool.end();
    },
  };
}
