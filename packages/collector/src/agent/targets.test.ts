import { type ChildProcess, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { python } from "../cli/test-utils/e2e.js";
import { isPython, procInfo, TargetFinder } from "./targets.js";

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
});

/** A process idling with `tag` on its command line; resolves once it runs. */
async function idle(tag: string, cmd = process.execPath, args = ["-e", "setInterval(() => {}, 1e6)"]): Promise<number> {
  const c = spawn(cmd, [...args, tag], { stdio: "ignore" });
  children.push(c);
  await new Promise((r) => c.once("spawn", r));
  // the command line is the new program's once exec has happened
  for (let i = 0; i < 100 && !procInfo(c.pid!)?.cmdline.includes(tag); i++) await new Promise((r) => setTimeout(r, 20));
  return c.pid!;
}

const kill = async (pid: number) => {
  const c = children.find((x) => x.pid === pid)!;
  const gone = new Promise((r) => c.once("exit", r));
  c.kill("SIGKILL");
  await gone;
};

describe("target discovery", () => {
  it("--process-regex matches command lines, new processes included, and forgets exited ones", async () => {
    const tag = `perforator-test-${process.pid}-${Date.now()}`;
    const finder = new TargetFinder(
      { pids: [], processRegex: new RegExp(tag), python: false },
      { log: () => {}, exclude: () => [] },
    );
    const a = await idle(tag);
    expect(finder.find()).toEqual([a]);
    // the agent's own process and its children (the sampler) are never targets
    const self = new TargetFinder(
      { pids: [], processRegex: new RegExp(tag), python: false },
      { log: () => {}, exclude: () => [process.pid] },
    );
    expect(self.find()).toEqual([]);
    const b = await idle(tag);
    expect(finder.find().sort()).toEqual([a, b].sort());
    await kill(a);
    expect(finder.find()).toEqual([b]);
  });

  it("--pid follows the target when it restarts under a new pid (same executable and command line)", async () => {
    const tag = `perforator-follow-${process.pid}-${Date.now()}`;
    const first = await idle(tag);
    const logs: string[] = [];
    const finder = new TargetFinder({ pids: [first], python: false }, { log: (m) => logs.push(m), exclude: () => [] });
    expect(finder.find()).toEqual([first]);
    await kill(first);
    expect(finder.find()).toEqual([]);
    const other = await idle(`${tag}-other`); // not the same command line
    const second = await idle(tag);
    expect(finder.find()).toEqual([second]);
    expect(other).not.toBe(second);
    expect(logs.join("\n")).toMatch(
      new RegExp(`exited; following its command line[\\s\\S]*restarted as pid ${second}`),
    );
  });

  it("a --pid that does not exist is an error naming it", () => {
    expect(() => new TargetFinder({ pids: [4_000_000], python: false }, { log: () => {}, exclude: () => [] })).toThrow(
      /no process with PID 4000000/,
    );
  });

  it("--python tells CPython processes from others", async () => {
    const py = await idle("x", python("3.12.1"), ["-c", "import time; time.sleep(1000)"]);
    const node = await idle("y");
    expect(isPython(procInfo(py)!)).toBe(true);
    expect(isPython(procInfo(node)!)).toBe(false);
    const finder = new TargetFinder({ pids: [], python: true }, { log: () => {}, exclude: () => [] });
    const found = finder.find();
    expect(found).toContain(py);
    expect(found).not.toContain(node);
  });
});
