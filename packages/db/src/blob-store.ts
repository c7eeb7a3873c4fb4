import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";

export interface StoredBlob {
  /** sha256 of the content, lowercase hex: the same bytes always get the same key. */
  key: string;
  size: number;
  /** False when identical content was already stored (nothing new was written). */
  created: boolean;
}

export interface BlobInfo {
  key: string;
  size: number;
  /** When the blob was last written (a put of identical content refreshes it). */
  modifiedAt: Date;
}

/**
 * Content-addressed storage for profile bodies and rollups, outside the database rows. The key of a blob is
 * the sha256 of its bytes, so the same content is stored once and a put is idempotent.
 */
export interface BlobStore {
  /** Where the blobs are, for logs (`/data/blobs`, `s3://bucket/prefix`); never includes credentials. */
  readonly location: string;
  put(bytes: Uint8Array): Promise<StoredBlob>;
  /** Throws BlobNotFoundError when the key is not stored. */
  get(key: string): Promise<Uint8Array>;
  has(key: string): Promise<boolean>;
  /** Removes a blob; false when it did not exist. */
  delete(key: string): Promise<boolean>;
  /** Every blob, in no particular order (for sweeps). */
  list(): AsyncIterable<BlobInfo>;
  close(): void;
}

const KEY_RE = /^[0-9a-f]{64}$/;

export function blobKeyOf(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function checkKey(key: string): string {
  if (!KEY_RE.test(key)) throw new Error(`invalid blob key "${key}": expected 64 lowercase hex characters`);
  return key;
}

export class BlobNotFoundError extends Error {
  constructor(
    readonly key: string,
    where = "the blob store",
  ) {
    super(`profile blob ${key} not found in ${where} (deleted, or the data dir / bucket changed?)`);
    this.name = "BlobNotFoundError";
  }
}

/**
 * Blobs on the local filesystem: `<root>/<key[0:2]>/<key>`. Writes go to a temporary file and are renamed
 * into place, so a reader never sees a partial blob and concurrent writers of the same content do not conflict.
 */
export class FileBlobStore implements BlobStore {
  /** Shard directories this process made or saw, so a put makes no mkdir call for them again. */
  private readonly dirs = new Set<string>();

  constructor(readonly root: string) {}

  get location(): string {
    return this.root;
  }

  static keyOf(bytes: Uint8Array): string {
    return blobKeyOf(bytes);
  }

  pathOf(key: string): string {
    return path.join(this.root, checkKey(key).slice(0, 2), key);
  }

  async put(bytes: Uint8Array): Promise<StoredBlob> {
    const key = blobKeyOf(bytes);
    const file = this.pathOf(key);
    if (await this.has(key)) {
      // Refresh the time so a sweep running now does not take it for an old orphan.
      const now = new Date();
      await utimes(file, now, now).catch(() => {});
      return { key, size: bytes.byteLength, created: false };
    }
    const dir = path.dirname(file);
    if (!this.dirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.dirs.add(dir);
    }
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      try {
        await writeFile(tmp, bytes);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
        // The shard directory went away under us (someone emptied the store): make it again, once.
        await mkdir(dir, { recursive: true });
        await writeFile(tmp, bytes);
      }
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw new Error(`could not write profile blob under ${this.root}: ${(err as Error).message}`, { cause: err });
    }
    return { key, size: bytes.byteLength, created: true };
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.pathOf(key)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new BlobNotFoundError(key, this.root);
      throw err;
    }
  }

  async has(key: string): Promise<boolean> {
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch {
      return false;
    }
  }

  async delete(key: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(key));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
  }

  async *list(): AsyncIterable<BlobInfo> {
    let shards: string[];
    try {
      shards = await readdir(this.root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    for (const shard of shards.sort()) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      for (const name of (await readdir(path.join(this.root, shard)).catch(() => [] as string[])).sort()) {
        if (!KEY_RE.test(name)) continue;
        const st = await stat(path.join(this.root, shard, name)).catch(() => null);
        if (st?.isFile()) yield { key: name, size: st.size, modifiedAt: st.mtime };
      }
    }
  }

  close(): void {}
}

export interface S3BlobStoreOptions {
  bucket: string;
  /** Key prefix inside the bucket (no leading or trailing slash), e.g. `perforator`. */
  prefix?: string;
  /** Passed to the S3 client: endpoint, region, credentials, forcePathStyle. */
  client: S3ClientConfig;
  /** Keys per ListObjectsV2 page (default 1000, the S3 maximum). */
  listPageSize?: number;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NotFound" || e?.name === "NoSuchKey" || e?.$metadata?.httpStatusCode === 404;
}

/**
 * Blobs in S3-compatible object storage (`@aws-sdk/client-s3`): `<prefix>/<key[0:2]>/<key>`. An object
 * appears whole or not at all (S3 PUT semantics), so no temporary names are needed.
 */
export class S3BlobStore implements BlobStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  private readonly listPageSize: number | undefined;

  constructor(opts: S3BlobStoreOptions) {
    this.listPageSize = opts.listPageSize;
    this.bucket = opts.bucket;
    this.prefix = (opts.prefix ?? "").replace(/^\/+|\/+$/g, "");
    this.client = new S3Client({
      // Buffer bodies with no checksum trailer: S3-compatible servers that do not understand aws-chunked
      // uploads would otherwise store the chunk framing as the object.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      ...opts.client,
    });
  }

  get location(): string {
    return `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ""}`;
  }

  private objectKey(key: string): string {
    const k = `${checkKey(key).slice(0, 2)}/${key}`;
    return this.prefix ? `${this.prefix}/${k}` : k;
  }

  private fail(what: string, err: unknown): Error {
    return new Error(`${what} in ${this.location} failed: ${(err as Error).message ?? String(err)}`, { cause: err });
  }

  async put(bytes: Uint8Array): Promise<StoredBlob> {
    const key = blobKeyOf(bytes);
    const existed = await this.has(key);
    // Written even when it exists: identical bytes, and a fresh LastModified keeps a running sweep off it.
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.objectKey(key),
          Body: bytes,
          ContentLength: bytes.byteLength,
          ContentType: "application/octet-stream",
        }),
      );
    } catch (err) {
      throw this.fail(`writing profile blob ${key}`, err);
    }
    return { key, size: bytes.byteLength, created: !existed };
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      if (!out.Body) throw new Error("empty response body");
      return await out.Body.transformToByteArray();
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFoundError(key, this.location);
      throw this.fail(`reading profile blob ${key}`, err);
    }
  }

  async has(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw this.fail(`looking up profile blob ${key}`, err);
    }
  }

  async delete(key: string): Promise<boolean> {
    const had = await this.has(key);
    if (!had) return false;
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
    } catch (err) {
      throw this.fail(`deleting profile blob ${key}`, err);
    }
    return true;
  }

  async *list(): AsyncIterable<BlobInfo> {
    let token: string | undefined;
    const prefix = this.prefix ? `${this.prefix}/` : "";
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ContinuationToken: token,
            MaxKeys: this.listPageSize,
          }),
        );
      } catch (err) {
        throw this.fail("listing profile blobs", err);
      }
      for (const o of page.Contents ?? []) {
        const name = o.Key?.slice(prefix.length) ?? "";
        const m = /^[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(name);
        if (m) yield { key: m[1]!, size: o.Size ?? 0, modifiedAt: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  close(): void {
    this.client.destroy();
  }
}

/**
 * Opens the blob store named by `url` (default: env `PERFORATOR_BLOB_URL`, else `<dataDir>/blobs`):
 * - a path or `file:/path` → FileBlobStore;
 * - `s3://bucket[/prefix]?endpoint=http://host:port&region=us-east-1[&forcePathStyle=false]
 *   [&accessKeyId=…&secretAccessKey=…]` → S3BlobStore. Without keys in the URL the AWS SDK's usual sources
 *   apply (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profiles, instance roles). With an `endpoint`,
 *   path-style addressing is the default (what MinIO, Ceph and s3rver expect).
 */
export function openBlobStore(url: string | undefined, dataDir: string): BlobStore {
  const raw = (url ?? "").trim();
  if (raw === "") return new FileBlobStore(path.join(dataDir, "blobs"));
  if (raw.startsWith("s3://")) {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new Error(`PERFORATOR_BLOB_URL "${raw}" is not a valid URL: expected s3://bucket/prefix?endpoint=…`);
    }
    const bucket = u.hostname;
    if (!bucket) throw new Error(`PERFORATOR_BLOB_URL "${raw}" names no bucket: expected s3://bucket[/prefix]`);
    const q = u.searchParams;
    const endpoint = q.get("endpoint") ?? undefined;
    if (endpoint !== undefined && !/^https?:\/\//.test(endpoint)) {
      throw new Error(`PERFORATOR_BLOB_URL endpoint "${endpoint}" must start with http:// or https://`);
    }
    const accessKeyId = q.get("accessKeyId") ?? undefined;
    const secretAccessKey = q.get("secretAccessKey") ?? undefined;
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
      throw new Error("PERFORATOR_BLOB_URL: give both accessKeyId and secretAccessKey, or neither");
    }
    const forcePathStyle = q.has("forcePathStyle") ? q.get("forcePathStyle") !== "false" : endpoint !== undefined;
    return new S3BlobStore({
      bucket,
      prefix: decodeURIComponent(u.pathname),
      client: {
        region: q.get("region") ?? process.env.AWS_REGION ?? "us-east-1",
        ...(endpoint ? { endpoint } : {}),
        forcePathStyle,
        ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
      },
    });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) && !raw.startsWith("file:")) {
    throw new Error(
      `unsupported PERFORATOR_BLOB_URL "${raw.split("?")[0]}": use s3://bucket?endpoint=… or a directory`,
    );
  }
  return new FileBlobStore(path.resolve(raw.replace(/^file:(\/\/)?/, "")));
}
