import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { checkLabels, checkService, HttpError, inflateCapped, parseLabelParams } from "./limits.js";

const MiB = 1024 * 1024;

describe("inflateCapped", () => {
  it("inflates small bodies inline, bigger outputs past the inline cap on the thread pool, and refuses past the cap", async () => {
    expect((await inflateCapped(gzipSync("main;work 1\n"))).toString()).toBe("main;work 1\n");
    const raw = Buffer.from("not gzip");
    expect(await inflateCapped(raw)).toBe(raw);
    // ~20 KB that inflate to 20 MiB: over the 16 MiB inline cap, under the 32 MiB cap given here.
    const big = gzipSync(Buffer.alloc(20 * MiB));
    expect(big.length).toBeLessThan(256 * 1024);
    expect((await inflateCapped(big, 32 * MiB)).length).toBe(20 * MiB);
    await expect(inflateCapped(big, 18 * MiB)).rejects.toMatchObject({ statusCode: 413, reason: "inflated_too_large" });
    await expect(inflateCapped(big, 8 * MiB)).rejects.toBeInstanceOf(HttpError);
  });

  it("does not trust the gzip trailer and reads concatenated members", async () => {
    const lying = Buffer.from(gzipSync(Buffer.alloc(10 * MiB)));
    lying.writeUInt32LE(100, lying.length - 4); // claims 100 bytes
    await expect(inflateCapped(lying, 4 * MiB)).rejects.toMatchObject({ statusCode: 413 });
    const two = Buffer.concat([gzipSync("a;b 1\n"), gzipSync("a;c 2\n")]);
    expect((await inflateCapped(two)).toString()).toBe("a;b 1\na;c 2\n");
  });

  it("answers 400 for a truncated gzip stream", async () => {
    const cut = gzipSync(Buffer.from("x".repeat(10_000))).subarray(0, 20);
    await expect(inflateCapped(cut)).rejects.toMatchObject({ statusCode: 400, reason: "bad_gzip" });
  });
});

describe("services and labels", () => {
  it("accepts sensible names and refuses the rest with a reason", () => {
    expect(checkService("shop.api")).toBe("shop.api");
    expect(checkService("team/svc:v2_x-1")).toBe("team/svc:v2_x-1");
    for (const bad of ["", " ", "a b", ".hidden", "x".repeat(201), "é"]) {
      expect(() => checkService(bad), bad).toThrow(/service/);
    }
    expect(parseLabelParams(["env:prod", "url:http://x:1"])).toEqual({ env: "prod", url: "http://x:1" });
    expect(parseLabelParams(undefined)).toEqual({});
    expect(() => parseLabelParams("novalue")).toThrow(/name:value/);
    expect(() => parseLabelParams(":v")).toThrow(/name:value/);
    expect(() => checkLabels({ "1bad": "v" })).toThrow(/invalid label name/);
    expect(() => checkLabels({ k: "v".repeat(1024) })).toThrow(/at most 1024 bytes/);
    expect(checkLabels({ k: "v".repeat(1023) })).toEqual({ k: "v".repeat(1023) });
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"]));
    expect(() => checkLabels(many)).toThrow(/at most 64/);
  });
});
