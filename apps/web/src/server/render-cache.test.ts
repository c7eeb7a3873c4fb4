import { describe, expect, it } from "vitest";
import { cachedOrMake, getCached } from "./render-cache";

const entry = (s: string) => ({ bytes: new TextEncoder().encode(s), timing: `made ${s}` });

describe("cachedOrMake", () => {
  it("runs one merge for callers that ask while it is in flight, then answers from the cache", async () => {
    let runs = 0;
    let finish!: () => void;
    const make = () =>
      new Promise<ReturnType<typeof entry>>((resolve) => {
        runs++;
        finish = () => resolve(entry("a"));
      });
    const first = cachedOrMake("k1", make);
    const second = cachedOrMake("k1", make);
    finish();
    const [a, b] = await Promise.all([first, second]);
    expect(runs).toBe(1);
    expect(a.from).toBe("made");
    expect(b.from).toBe("in flight");
    expect(b.entry).toBe(a.entry);
    expect((await cachedOrMake("k1", make)).from).toBe("cache");
    expect(runs).toBe(1);
  });

  it("does not keep a failure: the next caller merges again", async () => {
    await expect(cachedOrMake("k2", () => Promise.reject(new Error("blob missing")))).rejects.toThrow("blob missing");
    expect(getCached("k2")).toBeUndefined();
    const again = await cachedOrMake("k2", async () => entry("b"));
    expect(again.from).toBe("made");
    expect(new TextDecoder().decode(again.entry.bytes)).toBe("b");
  });
});
