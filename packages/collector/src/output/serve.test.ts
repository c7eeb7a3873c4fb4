import { afterEach, describe, expect, it } from "vitest";
import { type RunningServer, serveProfile } from "./serve.js";

const running: RunningServer[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.close();
});

describe("serveProfile", () => {
  it("serves the page at / and the raw profile at /profile.pb.gz", async () => {
    const pprof = new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]);
    const s = await serveProfile({ host: "127.0.0.1", port: 0 }, { html: "<!doctype html><p>flame</p>", pprof });
    running.push(s);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/`);
    const page = await fetch(s.url);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(await page.text()).toContain("<p>flame</p>");
    const raw = await fetch(`${s.url}profile.pb.gz`);
    expect(raw.status).toBe(200);
    expect([...new Uint8Array(await raw.arrayBuffer())]).toEqual([...pprof]);
    expect((await fetch(`${s.url}nope`)).status).toBe(404);
  });

  it("explains a port that is already taken", async () => {
    const a = await serveProfile({ host: "127.0.0.1", port: 0 }, { html: "a" });
    running.push(a);
    await expect(serveProfile({ host: "127.0.0.1", port: a.port }, { html: "b" })).rejects.toThrow(
      new RegExp(`cannot serve on 127.0.0.1:${a.port}: the port is already in use`),
    );
  });

  it("prints localhost for an all-interfaces address", async () => {
    const s = await serveProfile({ host: "", port: 0 }, { html: "x" });
    running.push(s);
    expect(s.url).toBe(`http://localhost:${s.port}/`);
    expect(await (await fetch(`http://127.0.0.1:${s.port}/`)).text()).toBe("x");
  });
});
