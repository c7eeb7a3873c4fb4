// The TypeScript side of Sampler against a scripted stand-in for perforator-sampler: no root, no kernel.
import { chmodSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { defaultDrainIntervalMs, Sampler, SamplerError } from "./sampler.js";
import { tempDir, writeFile } from "./test-utils/targets.js";
import type { PyBpfConfig } from "./types.js";

// Speaks native/PROTOCOL.md. --freq 13 fails like a kernel refusing BPF; `pid 666` crashes; `py 13` is rejected.
const FAKE = `#!${process.execPath}
const freq = process.argv[process.argv.indexOf("--freq") + 1];
if (freq === "13") {
  console.log("error EPERM load loading the BPF program failed: Operation not permitted");
  process.exit(1);
}
if (freq === "14") {
  console.log("error ENOSYS load loading the BPF program failed: Function not implemented");
  process.exit(2);
}
console.log("ready cpus=2 freq=" + freq + " prog=7");
let buf = "";
process.stdin.on("data", (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf("\\n")) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    const [cmd, arg] = line.split(" ");
    if (cmd === "pid" && arg === "666") {
      process.stderr.write("boom: lost the perf event\\n");
      process.exit(3);
    } else if (cmd === "pid" || cmd === "unpid") console.log("ok " + cmd + " " + arg);
    else if (cmd === "py" && arg === "13") console.log("fail py missing key tssKey");
    else if (cmd === "py") console.log("ok py " + arg);
    else if (cmd === "flush") {
      console.log("s 10 11 3 0 6d61696e 6d61696e ffffffff81000010 401000,401100 7f0000001000:4:1:0,0:0:0:2");
      console.log("s 10 12 1 3 776f726b6572 6d61696e - 401200 -");
      console.log("drops lost=1 samples=4 py_frame_read=1 stack_collision=0");
      console.log("end 2");
    } else if (cmd === "quit") {
      console.log("bye");
      process.exit(0);
    }
  }
});
`;

const dir = tempDir();
const fake = writeFile(dir, "fake-sampler", FAKE);
chmodSync(fake, 0o755);

const running: Sampler[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

async function start(freqHz: number, drainIntervalMs: number): Promise<Sampler> {
  const s = await Sampler.start({ freqHz, binaryPath: fake, drainIntervalMs });
  running.push(s);
  return s;
}

const cfg: PyBpfConfig = {
  versionHex: 0x030c01f0,
  tssKey: 0,
  tsdStaticOffset: 0x310,
  tsdDynamicOffset: 0x510,
  tstateCurrentFrame: 0x38,
  cframeCurrentFrame: 0,
  frameCode: 0,
  framePrevious: 8,
  frameInstr: 0x38,
  frameOwner: 0x46,
  frameIsEntry: -1,
  codeAdaptive: 0xc0,
  codeVersion: 0x5c,
  codeFirstLineNo: 0x44,
  noneAddr: 0n,
  ownerCStack: 3,
};

describe("Sampler (scripted sampler process)", () => {
  it("returns one flush's stacks, counters and names, and starts from zero after it", async () => {
    const s = await start(99, 0);
    expect(s.progId).toBe(7);
    expect(s.cpus).toBe(2);
    for (let i = 0; i < 2; i++) {
      const r = await s.flush();
      expect(r.lost).toBe(1);
      expect(r.samples).toBe(4);
      expect(r.drops).toEqual({ py_frame_read: 1, stack_collision: 0 });
      expect(r.stacks).toEqual([
        {
          pid: 10,
          tid: 11,
          count: 3,
          pyStatus: 0,
          threadName: "main",
          processName: "main",
          kernel: [0xffffffff81000010n],
          user: [0x401000n, 0x401100n],
          python: [
            { codeAddr: 0x7f0000001000n, instrOffset: 4, guard: 1, flags: 0 },
            { codeAddr: 0n, instrOffset: 0, guard: 0, flags: 2 },
          ],
        },
        {
          pid: 10,
          tid: 12,
          count: 1,
          pyStatus: 3,
          threadName: "worker",
          processName: "main",
          kernel: [],
          user: [0x401200n],
          python: [],
        },
      ]);
    }
  });

  it("merges the periodic drains into the next flush", async () => {
    const s = await start(99, 20);
    await new Promise((r) => setTimeout(r, 150));
    const r = await s.flush();
    const [a, b] = r.stacks;
    expect(r.stacks).toHaveLength(2);
    const drains = b!.count;
    expect(drains).toBeGreaterThan(2);
    expect(a!.count).toBe(3 * drains);
    expect(r.samples).toBe(4 * drains);
    expect(r.lost).toBe(drains);
    expect(r.drops.py_frame_read).toBe(drains);
  });

  it("rejects a refused command and keeps working", async () => {
    const s = await start(99, 0);
    await expect(s.addPython(13, cfg)).rejects.toThrow(/rejected 'py': missing key tssKey/);
    const { tssKey: _, ...incomplete } = cfg;
    await expect(s.addPython(5, incomplete as PyBpfConfig)).rejects.toThrow(/tssKey must be an integer/);
    await s.addPid(5);
    await s.addPython(5, cfg);
    expect((await s.flush()).stacks).toHaveLength(2);
  });

  it("reports a sampler that dies, with its stderr, to the pending and later calls", async () => {
    const s = await start(99, 0);
    const err = await s.addPid(666).catch((e) => e);
    expect(err).toBeInstanceOf(SamplerError);
    expect(err.message).toMatch(/exited unexpectedly \(code 3\):\nboom: lost the perf event/);
    await expect(s.flush()).rejects.toThrow(/exited unexpectedly/);
  });

  it("maps EPERM at load to ENEEDSPRIV and other load errors to ESAMPLER", async () => {
    const perm = await Sampler.start({ freqHz: 13, binaryPath: fake }).catch((e) => e);
    expect(perm.code).toBe("ENEEDSPRIV");
    expect(perm.message).toMatch(/load failed with EPERM/);
    expect(perm.message).toMatch(/needs root or CAP_BPF\+CAP_PERFMON \(and CAP_SYS_ADMIN on older kernels\)/);
    const other = await Sampler.start({ freqHz: 14, binaryPath: fake }).catch((e) => e);
    expect(other.code).toBe("ESAMPLER");
    expect(other.message).toMatch(/load failed with ENOSYS: .*Function not implemented.*BTF/);
  });
});

describe("defaultDrainIntervalMs", () => {
  it("drains before 1024 samples can pile up, between 250 ms and 5 s", () => {
    expect(defaultDrainIntervalMs(99, 2)).toBe(5000);
    expect(defaultDrainIntervalMs(99, 16)).toBe(646);
    expect(defaultDrainIntervalMs(999, 2)).toBe(512);
    expect(defaultDrainIntervalMs(999, 64)).toBe(250);
    for (const [hz, cpus] of [
      [49, 1],
      [99, 4],
      [250, 8],
      [999, 4],
    ] as const) {
      const ms = defaultDrainIntervalMs(hz, cpus);
      // At most half of the 2048-entry Python-stack map fills between drains, unless the 250 ms floor applies.
      if (ms > 250) expect((hz * cpus * ms) / 1000).toBeLessThanOrEqual(1024);
    }
  });
});
