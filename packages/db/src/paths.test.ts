import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultDataDir, findRepoRoot, resolveDatabase } from "./paths.js";

describe("resolveDatabase", () => {
  it("defaults to the embedded SQLite file under PERFORATOR_DATA_DIR", () => {
    const r = resolveDatabase(undefined, { PERFORATOR_DATA_DIR: "/var/lib/perforator" });
    expect(r).toMatchObject({ kind: "sqlite", file: "/var/lib/perforator/perforator.db" });
  });

  it("defaults the data dir to .data at the repository root", () => {
    expect(defaultDataDir({})).toBe(path.join(findRepoRoot()!, ".data"));
    expect(resolveDatabase(undefined, {}).file).toBe(path.join(findRepoRoot()!, ".data", "perforator.db"));
  });

  it("uses DATABASE_URL for PostgreSQL, masks the password and takes ?schema=", () => {
    const r = resolveDatabase(undefined, { DATABASE_URL: "postgresql://app:s3cret@db:5432/prof?schema=team1" });
    expect(r.kind).toBe("postgres");
    expect(r.schema).toBe("team1");
    expect(r.url).not.toContain("schema=");
    expect(r.display).toBe("postgresql://app:***@db:5432/prof?schema=team1");
    expect(resolveDatabase("postgres://h/db").schema).toBe("public");
  });

  it("accepts file: URLs and bare .db paths, relative to the working directory", () => {
    expect(resolveDatabase("file:./x/p.db", {}).file).toBe(path.resolve("x/p.db"));
    expect(resolveDatabase("/tmp/p.sqlite", {}).file).toBe("/tmp/p.sqlite");
  });

  it("rejects other databases with what to use instead", () => {
    expect(() => resolveDatabase("mysql://root@localhost/x")).toThrow(
      /unsupported DATABASE_URL scheme "mysql".*postgresql:\/\//,
    );
    expect(() => resolveDatabase("postgres://h/db?schema=a;drop")).toThrow(/plain identifier/);
  });
});
