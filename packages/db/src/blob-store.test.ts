import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BlobNotFoundError, blobKeyOf, FileBlobStore } from "./blob-store.js";

let root = "";
afterEach(() => rmSync(root, { recursive: true, force: true }));
function store(): FileBlobStore {
  root = mkdtempSync(path.join(tmpdir(), "perforator-blobs-"));
  return new FileBlobStore(path.join(root, "blobs"));
}

describe("FileBlobStore", () => {
  it("round-trips bytes under their sha256 and stores identical content once", async () => {
    const s = store();
    const bytes = new Uint8Array(200_000).map((_, i) => (i * 31) % 251);
    const a = await s.put(bytes);
    expect(a.key).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(a).toMatchObject({ size: 200_000, created: true });
    expect(Buffer.from(await s.get(a.key)).equals(Buffer.from(bytes))).toBe(true);
    const b = await s.put(bytes.slice());
    expect(b).toEqual({ key: a.key, size: 200_000, created: false });
    // One file, sharded by the first two hex digits, no temporary files left behind.
    expect(readdirSync(path.join(s.root, a.key.slice(0, 2)))).toEqual([a.key]);
  });

  it("writes concurrently without leaving partial or temporary files", async () => {
    const s = store();
    const bodies = Array.from({ length: 20 }, (_, i) => new TextEncoder().encode(`main;f${i % 5} ${i % 5}\n`));
    const results = await Promise.all(bodies.map((b) => s.put(b)));
    expect(new Set(results.map((r) => r.key)).size).toBe(5);
    for (const r of results) expect(new TextDecoder().decode(await s.get(r.key))).toMatch(/^main;f\d \d\n$/);
    const files = readdirSync(s.root, { recursive: true }).map(String);
    expect(files.filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("tells a missing blob from a malformed key, and deletes", async () => {
    const s = store();
    const missing = "0".repeat(64);
    await expect(s.get(missing)).rejects.toBeInstanceOf(BlobNotFoundError);
    await expect(s.get("../../etc/passwd")).rejects.toThrow(/invalid blob key/);
    const { key } = await s.put(new Uint8Array([1, 2, 3]));
    expect(await s.has(key)).toBe(true);
    expect(await s.delete(key)).toBe(true);
    expect(await s.has(key)).toBe(false);
    expect(await s.delete(key)).toBe(false);
  });

  it("keeps writing when the store's directories are removed under it", async () => {
    const s = store();
    const first = await s.put(new Uint8Array([1]));
    rmSync(s.root, { recursive: true, force: true });
    // Same shard as before, whose directory this process remembers making.
    let other = new Uint8Array([2]);
    for (let i = 3; blobKeyOf(other).slice(0, 2) !== first.key.slice(0, 2); i++)
      other = new Uint8Array([i & 255, i >> 8]);
    const again = await s.put(other);
    expect(again.created).toBe(true);
    expect(await s.get(again.key)).toEqual(other);
  });
});
