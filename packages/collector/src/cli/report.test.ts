import { describe, expect, it } from "vitest";
import type { RecordStats } from "../record/session.js";
import { progressLine, summaryLines } from "./report.js";

const stats = (over: Partial<RecordStats> = {}): RecordStats => ({
  samples: 5928,
  lost: 3,
  drops: new Map(),
  durationMs: 60_000,
  freqHz: 99,
  processes: new Map([[4242, "python3"]]),
  threads: new Set(["4242/4242", "4242/4243"]),
  pythons: new Map([[4242, "3.12.1"]]),
  unsupportedPythons: new Set(),
  stopReason: "duration",
  unresolved: 0,
  ...over,
});

describe("summary", () => {
  it("states samples, lost, duration, processes, threads, Python and the output", () => {
    const text = summaryLines(stats(), "flamegraph at http://localhost:9006/").join("\n");
    expect(text).toContain("recorded 1m00s at 99 Hz (duration reached): 5,928 samples, 3 lost");
    expect(text).toContain("1 process (python3[4242]), 2 threads");
    expect(text).toContain("Python 3.12.1");
    expect(text).toContain("http://localhost:9006/");
    expect(text).not.toMatch(/warning/);
  });
  it("reports a launched command's exit, incomplete stacks and an empty profile", () => {
    const text = summaryLines(
      stats({
        samples: 0,
        stopReason: "command-exited",
        child: { pid: 7, code: 3, signal: null },
        drops: new Map([["py_frame_read", 4]]),
        pythons: new Map(),
        unsupportedPythons: new Set(["3.10.13"]),
      }),
      "wrote /tmp/x.html",
    ).join("\n");
    expect(text).toContain("(command exited with code 3)");
    expect(text).toContain("incomplete stacks: py_frame_read 4");
    expect(text).toContain("unsupported Python 3.10.13");
    expect(text).toMatch(/no samples were collected/);
  });
  it("shows elapsed, samples and lost on the live line", () => {
    expect(progressLine(12_300, 1234, 2)).toMatch(/12\.3s.*samples 1,234.*lost 2/);
  });
});
