import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeFileAtomic } from "./atomic.js";

describe("writeFileAtomic", () => {
  it("replaces the file in one step and leaves no temp files", () => {
    const dir = mkdtempSync(join(tmpdir(), "perf-atomic-"));
    const p = join(dir, "out.html");
    writeFileSync(p, "old");
    writeFileAtomic(p, "x".repeat(1 << 20));
    expect(readFileSync(p, "utf8").length).toBe(1 << 20);
    writeFileAtomic(p, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(p)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(["out.html"]);
  });
  it("keeps the old file and cleans up when the target cannot be replaced", () => {
    const dir = mkdtempSync(join(tmpdir(), "perf-atomic-"));
    // A directory at the target path makes rename fail after the temp file was written.
    const target = join(dir, "taken");
    writeFileSync(join(dir, "keep"), "k");
    mkdirSync(join(target, "sub"), { recursive: true });
    expect(() => writeFileAtomic(target, "data")).toThrow();
    expect(readdirSync(dir).sort()).toEqual(["keep", "taken"]);
  });
  it("fails with the OS reason when the directory does not exist", () => {
    expect(() => writeFileAtomic("/nonexistent-dir-perforator/x.html", "a")).toThrow(/ENOENT/);
  });
});
