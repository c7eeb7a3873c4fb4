import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  compileNative,
  foldedCount,
  python,
  readJsonProfile,
  runCli,
  stacks,
  startWorkload,
  tmp,
  WORKLOADS,
} from "./test-utils/e2e.js";

describe("perforator record: native code and outputs", () => {
  it("symbolizes a frame-pointer C program's call chain", async () => {
    const dir = tmp();
    const bin = compileNative(dir);
    const w = await startWorkload(bin, ["30"]);
    try {
      const out = join(dir, "native.json");
      const r = await runCli(["record", "-p", String(w.pid), "-d", "2s", "-F", "999", "-f", "json", "-o", out]);
      expect(r.code, r.stderr).toBe(0);
      const p = readJsonProfile(out);
      let chain = 0;
      let all = 0;
      for (const s of stacks(p)) {
        all += s.value;
        const names = s.frames.map((f) => f.name).join(";");
        if (names.includes("main;level_one;level_two;burn_cpu")) chain += s.value;
      }
      expect(all).toBeGreaterThan(100);
      expect(chain / all).toBeGreaterThan(0.9);
      const burn = p.frames.find((f) => f.name === "burn_cpu")!;
      expect(burn.kind).toBe("native");
      expect(burn.module).toMatch(/native$/);
    } finally {
      w.stop();
    }
  });

  it("launches -- COMMAND, stops when it exits, reports the exit code and writes folded stacks", async () => {
    const dir = tmp();
    const out = join(dir, "child.folded");
    const started = Date.now();
    const r = await runCli([
      "record",
      "-d",
      "30s",
      "-F",
      "999",
      "-f",
      "folded",
      "-o",
      out,
      "--",
      python("3.12.1"),
      join(WORKLOADS, "ratio.py"),
      "4",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.stderr).toMatch(/command exited with code 0/);
    expect(r.stderr).toMatch(/Python 3\.12\.1 stacks included/);
    expect(r.stdout).toMatch(/^ready \d+/m);
    const folded = readFileSync(out, "utf8");
    const a = foldedCount(folded, ["main", "outer", "a"]);
    const b = foldedCount(folded, ["main", "outer", "b"]);
    expect(a + b, r.stderr).toBeGreaterThan(100);
    expect(a / (a + b), `a=${a} b=${b}`).toBeGreaterThan(2 / 3 - 0.07);
    expect(a / (a + b), `a=${a} b=${b}`).toBeLessThan(2 / 3 + 0.07);
  });

  it("writes pprof that go tool pprof reads, and view/diff turn files into pages", async () => {
    const dir = tmp();
    const w = await startWorkload(python("3.12.1"), [join(WORKLOADS, "ratio.py"), "60"]);
    try {
      const pb = join(dir, "ratio.pb.gz");
      const r1 = await runCli(["record", "-p", String(w.pid), "-d", "2s", "-f", "pprof", "-o", pb]);
      expect(r1.code, r1.stderr).toBe(0);
      const raw = execFileSync("go", ["tool", "pprof", "-raw", pb], {
        encoding: "utf8",
        env: { ...process.env, HOME: dir },
      });
      expect(raw).toMatch(/samples\/count cpu\/nanoseconds/);
      expect(raw).toMatch(/Worker\.spin/);
      expect(raw).toMatch(/\bouter\b/);

      const json = join(dir, "ratio.json");
      const r2 = await runCli(["record", "-p", String(w.pid), "-d", "2s", "-f", "json", "-o", json]);
      expect(r2.code, r2.stderr).toBe(0);

      const view = await runCli(["view", pb, "-o", join(dir, "view.html")]);
      expect(view.code, view.stderr).toBe(0);
      const html = readFileSync(join(dir, "view.html"), "utf8");
      expect(html).toMatch(/<html/i);
      expect(html).toContain("Worker.spin");

      const diff = await runCli(["diff", pb, json, "-o", join(dir, "diff.html")]);
      expect(diff.code, diff.stderr).toBe(0);
      expect(readFileSync(join(dir, "diff.html"), "utf8")).toContain("Worker.spin");
      expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    } finally {
      w.stop();
    }
  });

  it("serves the flamegraph with --serve until Ctrl-C, and writes the default file without -o", async () => {
    const dir = tmp();
    const w = await startWorkload(python("3.12.1"), [join(WORKLOADS, "ratio.py"), "60"]);
    try {
      let url = "";
      let page = "";
      let pprofBytes = 0;
      const r = await runCli(["record", "-p", String(w.pid), "-d", "1s", "-S", "127.0.0.1:0"], {
        onStderr: (text, child) => {
          const m = /flamegraph at (http:\/\/\S+)/.exec(text);
          if (m && !url) {
            url = m[1]!;
            void (async () => {
              page = await (await fetch(url)).text();
              pprofBytes = (await (await fetch(`${url}profile.pb.gz`)).arrayBuffer()).byteLength;
              child.kill("SIGINT");
            })();
          }
        },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(page).toContain("Worker.spin");
      expect(pprofBytes).toBeGreaterThan(100);

      const d = await runCli(["record", "-p", String(w.pid), "-d", "1s"], { cwd: dir });
      expect(d.code, d.stderr).toBe(0);
      expect(existsSync(join(dir, "perforator.html"))).toBe(true);
      expect(d.stderr).toMatch(/wrote .*perforator\.html/);
    } finally {
      w.stop();
    }
  });
});
