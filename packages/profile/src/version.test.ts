import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { perforatorVersion } from "./version.js";

describe("perforatorVersion", () => {
  it("is the root package.json's version", () => {
    const root = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
      name: string;
      version: string;
    };
    expect(root.name).toBe("perforator-ts");
    expect(root.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(perforatorVersion()).toBe(root.version);
  });
});
