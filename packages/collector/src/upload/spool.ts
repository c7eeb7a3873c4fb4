/**
 * The agent's spool: every profile is written here first (atomically, one file each) and deleted once the ingest
 * acknowledged it, so an outage, a crash or a restart loses nothing. Files are named so that their lexical order is
 * the order they were made in; the directory is bounded in bytes (the oldest files are dropped, and that is logged).
 * A profile the ingest refused for good (a 4xx other than 429) is moved to `rejected/` with the reason next to it.
 *
 * File layout: `PERFORATOR-SPOOL/1\n`, one line of JSON (SpoolMeta), then the body bytes as uploaded.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../output/index.js";

export const SPOOL_MAGIC = "PERFORATOR-SPOOL/1\n";
const SUFFIX = ".spool";

export interface SpoolMeta {
  /** The Idempotency-Key of every attempt to upload this profile (chosen when the profile was made). */
  key: string;
  service: string;
  labels: Record<string, string>;
  from?: number;
  until?: number;
  contentType: string;
  /** Unix milliseconds when the profile was spooled. */
  createdAt: number;
}

export interface SpoolEntry {
  name: string;
  meta: SpoolMeta;
  body: Uint8Array;
}

/** Bytes of a spool file for `meta` and `body`. */
export function encodeSpoolFile(meta: SpoolMeta, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${SPOOL_MAGIC}${JSON.stringify(meta)}\n`, "utf8"), body]);
}

/** Whether `bytes` start like a spool file. */
export function isSpoolFile(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, SPOOL_MAGIC.length)).toString("latin1") === SPOOL_MAGIC;
}

/** Reads a spool file's bytes; throws an Error saying what is wrong. */
export function decodeSpoolFile(bytes: Uint8Array): { meta: SpoolMeta; body: Uint8Array } {
  if (!isSpoolFile(bytes)) throw new Error("not a perforator spool file (no PERFORATOR-SPOOL/1 header)");
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nl = buf.indexOf(10, SPOOL_MAGIC.length);
  if (nl < 0) throw new Error("spool file header is cut short");
  let meta: SpoolMeta;
  try {
    meta = JSON.parse(buf.subarray(SPOOL_MAGIC.length, nl).toString("utf8")) as SpoolMeta;
  } catch (err) {
    throw new Error(`spool file header is not JSON: ${(err as Error).message}`);
  }
  if (typeof meta.key !== "string" || typeof meta.service !== "string" || typeof meta.contentType !== "string") {
    throw new Error("spool file header lacks key, service or contentType");
  }
  meta.labels ??= {};
  return { meta, body: buf.subarray(nl + 1) };
}

export interface SpoolOptions {
  /** Upper bound of the spool's size in bytes (files under rejected/ are bounded by the same number). */
  maxBytes: number;
  log: (message: string) => void;
}

const size = (n: number) => (n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`);

export class Spool {
  readonly rejectedDir: string;
  private readonly sizes = new Map<string, number>();
  private total = 0;
  private seq = 0;
  /** Profiles dropped to keep the bound, since this spool was opened. */
  droppedCount = 0;

  constructor(
    readonly dir: string,
    private readonly opts: SpoolOptions,
  ) {
    this.rejectedDir = join(dir, "rejected");
    try {
      mkdirSync(this.rejectedDir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new Error(
        `cannot create the spool directory ${dir}: ${(err as Error).message}; pass --spool-dir DIR (or PERFORATOR_DATA_DIR) with a writable directory`,
      );
    }
    // Temp files of a write interrupted by a crash (writeFileAtomic names them .NAME.PID.RANDOM.tmp).
    for (const n of readdirSync(dir))
      if (n.startsWith(".") && n.endsWith(".tmp")) rmSync(join(dir, n), { force: true });
    for (const name of this.scan(dir)) {
      const size = fileSize(join(dir, name));
      this.sizes.set(name, size);
      this.total += size;
    }
  }

  /** Spooled profiles, oldest first (the map keeps the order: a sorted scan at open, then appends). */
  list(): string[] {
    return [...this.sizes.keys()];
  }

  /** The oldest spooled profile (O(1): delivery asks before every upload). */
  oldest(): string | undefined {
    return this.sizes.keys().next().value;
  }

  get count(): number {
    return this.sizes.size;
  }

  get bytes(): number {
    return this.total;
  }

  /** Writes a new profile (atomically) and drops the oldest ones while the spool is over its bound. */
  add(
    meta: Omit<SpoolMeta, "key" | "createdAt"> & Partial<Pick<SpoolMeta, "key" | "createdAt">>,
    body: Uint8Array,
  ): string {
    const full: SpoolMeta = { ...meta, key: meta.key ?? randomUUID(), createdAt: meta.createdAt ?? Date.now() };
    const name = `${String(full.createdAt).padStart(15, "0")}-${String(this.seq++).padStart(6, "0")}-${full.key}${SUFFIX}`;
    const bytes = encodeSpoolFile(full, body);
    writeFileAtomic(join(this.dir, name), bytes);
    this.sizes.set(name, bytes.length);
    this.total += bytes.length;
    this.enforceBound();
    return name;
  }

  /** Reads a spooled profile; an unreadable one is moved to rejected/ and undefined returned. */
  read(name: string): SpoolEntry | undefined {
    let bytes: Buffer;
    try {
      bytes = readFileSync(join(this.dir, name));
    } catch {
      this.forget(name); // dropped or delivered meanwhile
      return undefined;
    }
    try {
      return { name, ...decodeSpoolFile(bytes) };
    } catch (err) {
      this.reject(name, `unreadable spool file: ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Deletes a delivered profile. */
  remove(name: string): void {
    rmSync(join(this.dir, name), { force: true });
    this.forget(name);
  }

  /** Moves a refused profile to rejected/ with `NAME.reason` next to it. */
  reject(name: string, reason: string): void {
    try {
      renameSync(join(this.dir, name), join(this.rejectedDir, name));
      writeFileAtomic(join(this.rejectedDir, `${name}.reason`), `${new Date().toISOString()} ${reason}\n`);
    } catch (err) {
      this.opts.log(`could not move ${name} to ${this.rejectedDir}: ${(err as Error).message}; deleting it`);
      rmSync(join(this.dir, name), { force: true });
    }
    this.forget(name);
    this.boundRejected();
  }

  private forget(name: string): void {
    const size = this.sizes.get(name);
    if (size === undefined) return;
    this.sizes.delete(name);
    this.total -= size;
  }

  private enforceBound(): void {
    if (this.total <= this.opts.maxBytes || this.sizes.size <= 1) return;
    let n = 0;
    let freed = 0;
    for (const name of this.sizes.keys()) {
      if (this.total <= this.opts.maxBytes || this.sizes.size <= 1) break;
      freed += this.sizes.get(name) ?? 0;
      rmSync(join(this.dir, name), { force: true });
      this.forget(name);
      n++;
    }
    this.droppedCount += n;
    this.opts.log(
      `spool ${this.dir} is over its limit of ${size(this.opts.maxBytes)}: dropped the ${n} oldest profile${n === 1 ? "" : "s"} (${size(freed)}; ${this.droppedCount} dropped since start); ${this.sizes.size} remain to be delivered`,
    );
  }

  private boundRejected(): void {
    const names = this.scan(this.rejectedDir);
    const sizes = names.map((n) => fileSize(join(this.rejectedDir, n)));
    let total = sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < names.length - 1 && total > this.opts.maxBytes; i++) {
      rmSync(join(this.rejectedDir, names[i]!), { force: true });
      rmSync(join(this.rejectedDir, `${names[i]!}.reason`), { force: true });
      total -= sizes[i]!;
    }
  }

  private scan(dir: string): string[] {
    return readdirSync(dir)
      .filter((n) => n.endsWith(SUFFIX) && !n.startsWith("."))
      .sort();
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
