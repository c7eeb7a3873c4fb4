import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Frame, type Profile, ProfileBuilder, toPprof } from "@perforator/profile";
import { describe, expect, it } from "vitest";
import { runCli, tmp, useChromium } from "./test-utils/e2e.js";

// `perforator diff` of the tutorial's two servers recorded in two places: server.py (linear search) from a laptop,
// server_dict.py (dict lookup) from a server with another Python install. Frames line up by function name and
// module unless --match exact.
/** The viewer's test hook (window.__flamegraph in the page; this package compiles without the DOM types). */
type Hooked = { __flamegraph?: { main?: { diffStatuses(name: string): string[] } } };

const chromiumBrowser = useChromium();

function tutorial(script: string, root: string, search: number, idle: number): Profile {
  const b = new ProfileBuilder([{ type: "samples", unit: "count" }], { durationNanos: 10e9 });
  const py = (name: string, file: string, line: number): Frame => ({ name, file, line, kind: "python", module: "" });
  const native = (name: string): Frame => ({
    name,
    file: "",
    line: 0,
    kind: "native",
    module: `${root}/bin/python3.12`,
  });
  const lib = `${root}/lib/python3.12`;
  const main = [
    native("Py_RunMain"),
    py("<module>", script, 66),
    py("run", script, 61),
    py("BaseServer.serve_forever", `${lib}/socketserver.py`, 235),
  ];
  const handler = [
    py("BaseHTTPRequestHandler.handle_one_request", `${lib}/http/server.py`, 424),
    py("UserIDSearchHandler.do_GET", script, 36),
    py("search_user", script, 24),
  ];
  const ids = (fs: Frame[]) => fs.map((f) => b.frame(f));
  b.add(ids([...main, ...handler]), [search], { thread_name: "python3.12" });
  b.add(ids([...main, py("BaseSelector.select", `${lib}/selectors.py`, 415)]), [idle], { thread_name: "python3.12" });
  return b.build();
}

async function statuses(html: string, names: string[]): Promise<Record<string, string[]>> {
  const page = await chromiumBrowser().newPage();
  try {
    const url = pathToFileURL(html).href;
    await page.route("**/*", (r) => (r.request().url().split("?")[0] === url ? r.continue() : r.abort()));
    await page.goto(url);
    await page.waitForFunction(() => (globalThis as Hooked).__flamegraph?.main !== undefined);
    const out: Record<string, string[]> = {};
    for (const n of names) {
      out[n] = (await page.evaluate((x) => (globalThis as Hooked).__flamegraph!.main!.diffStatuses(x), n)).sort();
    }
    return out;
  } finally {
    await page.close();
  }
}

describe("perforator diff: frame matching", () => {
  it("lines up server.py and server_dict.py from two machines by default, and keeps --match exact", async () => {
    const dir = tmp();
    const before = join(dir, "before.pb.gz");
    const after = join(dir, "after.pb.gz");
    writeFileSync(before, toPprof(tutorial("/home/alice/tutorial/server.py", "/usr", 90, 10), { gzip: true }));
    writeFileSync(
      after,
      toPprof(tutorial("/srv/app/releases/42/server_dict.py", "/opt/python", 2, 40), { gzip: true }),
    );
    const names = ["<module>", "BaseServer.serve_forever", "UserIDSearchHandler.do_GET", "search_user"];

    const byName = await runCli(["diff", before, after, "-o", join(dir, "name.html")]);
    expect(byName.code, byName.stderr).toBe(0);
    const s1 = await statuses(join(dir, "name.html"), names);
    for (const n of names) expect(s1[n], n).toEqual(["both"]);

    const exact = await runCli(["diff", before, after, "--match", "exact", "-o", join(dir, "exact.html")]);
    expect(exact.code, exact.stderr).toBe(0);
    const s2 = await statuses(join(dir, "exact.html"), names);
    for (const n of names) expect(s2[n], n).toEqual(["new", "removed"]);

    const bad = await runCli(["diff", before, after, "--match", "path", "-o", join(dir, "bad.html")]);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/--match/);
    expect(bad.stderr).toMatch(/name, exact/);
  });
});
