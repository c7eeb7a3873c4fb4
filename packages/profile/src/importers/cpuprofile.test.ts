import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { totalValue } from "../model.js";
import { topFunctions } from "../ops/top.js";
import { importProfile } from "./auto.js";
import { parseCpuProfile } from "./cpuprofile.js";

describe("parseCpuProfile", () => {
  it("reads a real `node --cpu-prof` profile: the busy function dominates, stacks are root first", () => {
    const dir = mkdtempSync(join(tmpdir(), "cpuprof-"));
    const script = join(dir, "busy.mjs");
    writeFileSync(
      script,
      `function searchUser(arr, target) { for (const v of arr) { if (v === target) return true; } return false; }
function handler() { const a = Array.from({ length: 200000 }, (_, i) => i * 2); let n = 0;
  const c0 = process.cpuUsage(); const busy = () => { const c = process.cpuUsage(c0); return (c.user + c.system) / 1000; };
  while (busy() < 400) { if (searchUser(a, -1)) n++; } return n; }
handler();
`,
    );
    execFileSync(process.execPath, ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-interval", "1000", script]);
    const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))!;
    const bytes = readFileSync(join(dir, file));
    const p = importProfile(bytes, file);
    expect(p.sampleTypes.map((t) => t.type)).toEqual(["samples", "cpu"]);
    expect(totalValue(p, 0)).toBeGreaterThan(10); // 1 ms interval over 400 ms of CPU (far fewer when the machine is busy)
    // at least 400 ms of CPU time, measured in ns
    expect(totalValue(p, 1)).toBeGreaterThan(100e6);
    const top = topFunctions(p, { valueIndex: 0 });
    const search = top.find((r) => r.name === "searchUser")!;
    expect(search.file).toMatch(/busy\.mjs$/);
    expect(search.line).toBe(0);
    // The busy function is the hottest JavaScript function (startup and GC share the rest).
    expect(top.filter((r) => r.kind === "other" && !r.name.startsWith("("))[0]!.name).toBe("searchUser");
    expect(search.self / totalValue(p, 0)).toBeGreaterThan(0.25);
    const handler = top.find((r) => r.name === "handler")!;
    expect(handler.total).toBeGreaterThanOrEqual(search.total);
    const s = p.samples.find((x) => x.stack.some((i) => p.frames[i]!.name === "searchUser"))!;
    const names = s.stack.map((i) => p.frames[i]!.name);
    expect(names.indexOf("handler")).toBeLessThan(names.indexOf("searchUser"));
    expect(p.frames.find((f) => f.name === "searchUser")!.line).toBe(1);
  });

  it("uses hit counts when there are no samples and rejects other JSON", () => {
    const p = parseCpuProfile({
      nodes: [
        { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 }, children: [2] },
        { id: 2, callFrame: { functionName: "main", url: "file:///a.js", lineNumber: 4 }, hitCount: 3, children: [3] },
        { id: 3, callFrame: { functionName: "", url: "file:///a.js", lineNumber: 9 }, hitCount: 5 },
      ],
    });
    expect(totalValue(p)).toBe(8);
    const deep = p.samples.find((s) => s.stack.length === 2)!;
    expect(deep.stack.map((i) => p.frames[i]!.name)).toEqual(["main", "(anonymous)"]);
    expect(p.frames[deep.stack[0]!]!.line).toBe(5);
    expect(() => parseCpuProfile("{}")).toThrow(/nodes/);
  });
});
