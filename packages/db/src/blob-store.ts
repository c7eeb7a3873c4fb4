import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

export interface StoredBlob {
  /** sha256 of the content, lowercase hex: the same bytes always get the same key. */
  key: string;
  size: number;
  /** False when identical content was already stored (nothing was written). */
  created: boolean;
}

const KEY_RE = /^[0-9a-f]{64}$/;

export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`profile blob ${key} not found in the blob store (deleted, or the data dir changed?)`);
    this.name = "BlobNotFoundError";
  }
}

/**
 * Content-addressed storage for profile bodies on the local filesystem, kept out of the database
 * rows: `<root>/<key[0:2]>/<key>`. Writes go to a temporary file and are renamed into place, so a
 * reader never sees a partial blob and concurrent writers of the same content do not conflict.
 */
export class FileBlobStore {
  constructor(readonly root: string) {}

  static keyOf(bytes: Uint8Array): string {
    return createHash("sha256").update(bytes).digest("hex");
  }

  pathOf(key: string): string {
    if (!KEY_RE.test(key)) throw new Error(`invalid blob key "${key}": expected 64 lowercase hex characters`);
    return path.join(this.root, key.slice(0, 2), key);
  }

  async put(bytes: Uint8Array): Promise<StoredBlob> {
    const key = FileBlobStore.keyOf(bytes);
    const file = this.pathOf(key);
    if (await this.has(key)) return { key, size: bytes.byteLength, created: false };
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await writeFile(tmp, bytes);
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
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new BlobNotFoundError(key);
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

  /** Removes a blob; returns false when it did not exist. */
  async delete(key: string): Promise<boolean> {
    try {
      await unlink(this.pathOf(key));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw err;
    }
  }
}
