import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  inclusive,
  py,
  python,
  pythonPath,
  readJsonProfile,
  runCli,
  stacks,
  startWorkload,
  tmp,
  WORKLOADS,
} from "./test-utils/e2e.js";

const RATIO = join(WORKLOADS, "ratio.py");
const HOT_LINE =
  readFileSync(RATIO, "utf8")
    .split("\n")
    .findIndex((l) => l.includes("# HOT-LINE")) + 1;

// `a` does twice the work of `b`: a user reading the flamegraph must see 2:1.
describe.each(["3.11.7", "3.12.1", "3.13.0"])("perforator record on Python %s", (version) => {
  it("shows a:b as 2:1 under main;outer with qualnames and the executing line", async () => {
    const w = await startWorkload(python(version), [RATIO, "60"]);
    const dir = tmp();
    try {
      const out = join(dir, "ratio.json");
      const r = await runCli(["record", "-p", String(w.pid), "-d", "5s", "-F", "999", "-f", "json", "-o", out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`Python ${version.replace(/\./g, "\\.")}`));
      const p = readJsonProfile(out);
      const a = inclusive(p, py("a"));
      const b = inclusive(p, py("b"));
      // Enough samples for ±5 points to be well outside sampling noise (~3σ at 300 samples is ±8, at 1000 ±4.5);
      // a dedicated core gives ~5000 here, a machine busy with other work fewer.
      expect(a + b, "samples in a or b").toBeGreaterThan(300);
      const share = a / (a + b);
      expect(share, `a share ${share}`).toBeGreaterThan(2 / 3 - 0.05);
      expect(share, `a share ${share}`).toBeLessThan(2 / 3 + 0.05);

      const paths = stacks(p).map((s) => pythonPath(s.frames));
      expect(paths.some((s) => s.includes("main;outer;a;Worker.spin"))).toBe(true);
      expect(paths.some((s) => s.includes("main;outer;b;Worker.spin"))).toBe(true);
      // Nothing else claims to be `a`'s parent.
      for (const s of paths) if (/(^|;)a(;|$)/.test(s)) expect(s).toMatch(/(^|;)outer;a(;|$)/);

      const spin = p.frames.filter((f) => f.kind === "python" && f.name === "Worker.spin");
      expect(spin.every((f) => f.file === RATIO)).toBe(true);
      const onHotLine = inclusive(p, (f) => f.name === "Worker.spin" && f.line === HOT_LINE);
      const inSpin = inclusive(p, (f) => f.name === "Worker.spin");
      expect(onHotLine / inSpin, `share of Worker.spin on line ${HOT_LINE}`).toBeGreaterThan(0.5);
      expect(p.samples.every((s) => s.labels.pid === String(w.pid))).toBe(true);
    } finally {
      w.stop();
    }
  });
});

describe("perforator record: threads", () => {
  it("shows both busy threads with their tids and names", async () => {
    const w = await startWorkload(python("3.12.1"), [join(WORKLOADS, "threads.py"), "60"]);
    const dir = tmp();
    try {
      const tids = new Map<string, string>();
      for (const l of w.lines) {
        const m = /^thread (\S+) (\d+)$/.exec(l);
        if (m) tids.set(m[1]!, m[2]!);
      }
      expect(tids.size).toBe(2);
      const out = join(dir, "threads.json");
      const r = await runCli(["record", "-p", String(w.pid), "-d", "3s", "-F", "999", "-f", "json", "-o", out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/3 threads|2 threads/);
      const p = readJsonProfile(out);
      for (const [name, tid] of tids) {
        const fn = name === "busy-one" ? "burn_one" : "burn_two";
        const mine = stacks(p).filter((s) => s.labels.tid === tid);
        const total = mine.reduce((t, s) => t + s.value, 0);
        expect(total, `samples of ${name} (${tid})`).toBeGreaterThan(50);
        expect(mine.every((s) => s.labels.thread_name === name)).toBe(true);
        const other = name === "busy-one" ? "burn_two" : "burn_one";
        const inFn = mine.filter((s) => s.frames.some(py(fn))).reduce((t, s) => t + s.value, 0);
        // Each thread's samples show its own function and never the other thread's.
        expect(inFn / total, `${name} in ${fn}`).toBeGreaterThan(0.9);
        expect(mine.filter((s) => s.frames.some(py(other))).length, `${name} in ${other}`).toBe(0);
      }
    } finally {
      w.stop();
    }
  });
});

describe("perforator record: unsupported Python", () => {
  it("warns once and keeps native stacks for Python 3.10", async () => {
    const w = await startWorkload(python("3.10"), [join(WORKLOADS, "ratio.py"), "60"]);
    const dir = tmp();
    try {
      const out = join(dir, "old.json");
      const r = await runCli(["record", "-p", String(w.pid), "-d", "2s", "-f", "json", "-o", out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr.match(/warning: Python 3\.10\.\d+ .*not supported/g)).toHaveLength(1);
      const p = readJsonProfile(out);
      expect(p.samples.length).toBeGreaterThan(0);
      expect(p.frames.some((f) => f.kind === "python")).toBe(false);
      // The interpreter's own native frames are there, e.g. the eval loop inside libpython3.10.
      expect(p.frames.some((f) => f.kind === "native" && /python3\.10/.test(f.module))).toBe(true);
    } finally {
      w.stop();
    }
  });
});
