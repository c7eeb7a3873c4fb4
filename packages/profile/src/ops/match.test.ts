import { describe, expect, it } from "vitest";
import { buildDiffFlameTree } from "../exporters/build-flame-tree.js";
import type { FlameTree } from "../flame-tree-format.js";
import { type Frame, type Profile, ProfileBuilder } from "../model.js";
import { topFunctionsDiff } from "./diff.js";
import { alignFrames, frameMatchKey, mainScriptFiles, parseFrameMatch, pythonModuleOf } from "./match.js";

// Profiles of the tutorial's shape: `python3 server.py` (linear search) recorded on a laptop, and
// `python3 server_dict.py` (dict lookup) recorded on a server, with another Python install, another libc path
// and the script in another directory: every frame from the interpreter's entry down to search_user.
interface Site {
  script: string;
  stdlib: string;
  python: string;
  libc: string;
}
const LAPTOP: Site = {
  script: "/home/alice/tutorial/server.py",
  stdlib: "/usr/lib/python3.12",
  python: "/usr/bin/python3.12",
  libc: "/lib/x86_64-linux-gnu/libc.so.6",
};
const SERVER: Site = {
  script: "/srv/app/releases/42/server_dict.py",
  stdlib: "/usr/local/lib/python3.12",
  python: "/usr/local/bin/python3.12",
  libc: "/usr/lib/x86_64-linux-gnu/libc.so.6",
};

function tutorialProfile(site: Site, searchSamples: number, pollSamples: number): Profile {
  const b = new ProfileBuilder([{ type: "samples", unit: "count" }]);
  const native = (name: string, module: string): Frame => ({ name, file: "", line: 0, kind: "native", module });
  const py = (name: string, file: string, line: number): Frame => ({ name, file, line, kind: "python", module: "" });
  const entry = [
    native("_start", site.python),
    native("__libc_start_main", site.libc),
    native("Py_BytesMain", site.python),
    native("Py_RunMain", site.python),
    py("<module>", site.script, 66),
    py("run", site.script, 61),
    py("BaseServer.serve_forever", `${site.stdlib}/socketserver.py`, 235),
  ];
  const handler = [
    py("BaseServer._handle_request_noblock", `${site.stdlib}/socketserver.py`, 318),
    py("BaseServer.finish_request", `${site.stdlib}/socketserver.py`, 361),
    py("BaseRequestHandler.__init__", `${site.stdlib}/socketserver.py`, 761),
    py("BaseHTTPRequestHandler.handle", `${site.stdlib}/http/server.py`, 436),
    py("BaseHTTPRequestHandler.handle_one_request", `${site.stdlib}/http/server.py`, 424),
    py("UserIDSearchHandler.do_GET", site.script, 36),
    py("search_user", site.script, 24),
  ];
  const poll = [
    py("BaseSelector.select", `${site.stdlib}/selectors.py`, 415),
    { name: "do_sys_poll", file: "", line: 0, kind: "kernel", module: "[kernel.kallsyms]" } satisfies Frame,
  ];
  const ids = (fs: Frame[]) => fs.map((f) => b.frame(f));
  b.add(ids([...entry, ...handler]), [searchSamples]);
  b.add(ids([...entry, ...poll]), [pollSamples]);
  // A worker thread: its outermost Python frame is threading's, not a script's <module>.
  b.add(ids([py("Thread._bootstrap", `${site.stdlib}/threading.py`, 1032), py("worker", site.script, 12)]), [3]);
  return b.build();
}

const before = tutorialProfile(LAPTOP, 90, 10);
const after = tutorialProfile(SERVER, 2, 40);

/** Name path of every node: "all;_start;…". */
function paths(t: FlameTree): string[] {
  const out: string[] = [];
  for (let i = 0; i < t.nodeFrame.length; i++) {
    const p = t.nodeParent[i]!;
    const name = t.strings[t.frameName[t.nodeFrame[i]!]!]!;
    out.push(p < 0 ? name : `${out[p]};${name}`);
  }
  return out;
}

describe("diff frame matching", () => {
  it("lines up the tutorial's server.py and server_dict.py recorded on two machines (default: by name)", () => {
    const t = buildDiffFlameTree(before, after);
    const ps = paths(t);
    // One node per path: nothing from <module> down appears twice as "removed" and "new".
    expect(new Set(ps).size).toBe(ps.length);
    const search = ps.findIndex((p) => p.endsWith(";UserIDSearchHandler.do_GET;search_user"));
    expect(search).toBeGreaterThan(0);
    expect(t.nodeBaseTotal![search]).toBe(90);
    expect(t.nodeTotal[search]).toBe(2);
    // Every node is in both profiles, so the diff shows the change, not two disjoint trees.
    for (let i = 0; i < ps.length; i++) {
      expect(t.nodeTotal[i], ps[i]).toBeGreaterThan(0);
      expect(t.nodeBaseTotal![i], ps[i]).toBeGreaterThan(0);
    }
    // The target's frames are shown: its script and its stdlib.
    const f = t.nodeFrame[search]!;
    expect(t.strings[t.frameFile[f]!]).toBe(SERVER.script);
    expect(ps[0]).toBe("all");
    expect(ps).toContain("all;_start;__libc_start_main;Py_BytesMain;Py_RunMain;<module>;run");
  });

  it("keeps the exact match as an option: every frame whose path differs is removed and new", () => {
    const t = buildDiffFlameTree(before, after, { match: "exact" });
    const ps = paths(t);
    const module = ps.filter((p) => p.endsWith(";<module>"));
    expect(module.length).toBe(2);
    const removed = ps.findIndex((p, i) => p.endsWith(";search_user") && t.nodeTotal[i] === 0);
    const added = ps.findIndex((p, i) => p.endsWith(";search_user") && t.nodeBaseTotal![i] === 0);
    expect(removed).toBeGreaterThan(0);
    expect(added).toBeGreaterThan(0);
    expect(ps.length).toBeGreaterThan(paths(buildDiffFlameTree(before, after)).length);
  });

  it("matches top-table rows the same way", () => {
    const rows = topFunctionsDiff(before, after);
    const search = rows.filter((r) => r.name === "search_user");
    expect(search).toHaveLength(1);
    expect(search[0]).toMatchObject({ beforeSelf: 90, afterSelf: 2, file: SERVER.script, line: 0 });
    expect(topFunctionsDiff(before, after, { sortBy: "self" })[0]!.name).toBe("search_user"); // biggest change first
    expect(rows.filter((r) => r.name === "<module>")).toHaveLength(1);
    expect(rows.filter((r) => r.name === "__libc_start_main")).toHaveLength(1);
    const exact = topFunctionsDiff(before, after, { match: "exact" });
    expect(exact.filter((r) => r.name === "search_user")).toHaveLength(2);
  });

  it("finds the main script from the outermost Python frame", () => {
    expect([...mainScriptFiles(before)]).toEqual([LAPTOP.script]);
    expect([...mainScriptFiles(after)]).toEqual([SERVER.script]);
  });

  it("derives a Python module from the path below site-packages, the stdlib root, or the base name", () => {
    const cases: [string, string][] = [
      ["/home/alice/.venv/lib/python3.12/site-packages/requests/api.py", "requests/api.py"],
      ["/opt/app/venv/lib/python3.11/site-packages/requests/api.py", "requests/api.py"],
      ["/usr/lib/python3/dist-packages/yaml/__init__.py", "yaml/__init__.py"],
      ["/usr/lib/python3.12/json/decoder.py", "json/decoder.py"],
      ["/usr/local/lib/python3.13t/threading.py", "threading.py"],
      ["C:\\Python312\\Lib\\site-packages\\numpy\\core\\numeric.py", "numpy/core/numeric.py"],
      ["<frozen importlib._bootstrap>", "<frozen importlib._bootstrap>"],
      ["/srv/app/util.py", "util.py"],
      ["util.py", "util.py"],
      ["", ""],
    ];
    for (const [file, module] of cases) expect(pythonModuleOf(file), file).toBe(module);
    expect(pythonModuleOf("/srv/x/server_dict.py", new Set(["/srv/x/server_dict.py"]))).toBe("__main__");
  });

  it("keeps functions of different modules apart and lines up one module deployed in two places", () => {
    const py = (name: string, file: string): Frame => ({ name, file, line: 7, kind: "python", module: "" });
    const key = (f: Frame) => frameMatchKey(f, "name", false);
    expect(key(py("helper", "/home/alice/app/util.py"))).toBe(key(py("helper", "/srv/app/util.py")));
    expect(key(py("helper", "/srv/app/util.py"))).not.toBe(key(py("helper", "/srv/app/other.py")));
    expect(key(py("helper", "/srv/app/util.py"))).not.toBe(key(py("helper2", "/srv/app/util.py")));
    const nat = (module: string): Frame => ({
      name: "memcpy",
      file: "/build/glibc/memcpy.S",
      line: 3,
      kind: "native",
      module,
    });
    expect(key(nat("/lib/x86_64-linux-gnu/libc.so.6"))).toBe(key(nat("/usr/lib/x86_64-linux-gnu/libc.so.6")));
    expect(key(nat("libc.so.6"))).not.toBe(key(nat("libm.so.6")));
    // Lines count only by line.
    const at = (line: number): Frame => ({ ...py("helper", "/srv/app/util.py"), line });
    expect(key(at(1))).toBe(key(at(2)));
    expect(frameMatchKey(at(1), "name", true)).not.toBe(frameMatchKey(at(2), "name", true));
    expect(frameMatchKey(py("f", "/a/u.py"), "exact", false)).not.toBe(
      frameMatchKey(py("f", "/b/u.py"), "exact", false),
    );
  });

  it("leaves the inputs alone: same samples, new frame tables; exact returns them as they are", () => {
    const [b, t] = alignFrames(before, after);
    expect(b.samples).toBe(before.samples);
    expect(t.samples).toBe(after.samples);
    expect(b.frames).toHaveLength(before.frames.length);
    expect(before.frames.find((f) => f.name === "search_user")!.file).toBe(LAPTOP.script);
    expect(b.frames.find((f) => f.name === "search_user")!.file).toBe(SERVER.script);
    const [eb, et] = alignFrames(before, after, { match: "exact" });
    expect(eb).toBe(before);
    expect(et).toBe(after);
  });

  it("parses the option and names the choices for a bad one", () => {
    expect(parseFrameMatch("exact")).toBe("exact");
    expect(parseFrameMatch("name")).toBe("name");
    expect(() => parseFrameMatch("path")).toThrow(/unknown frame match "path": use name or exact/);
  });
});
