import { describe, expect, it } from "vitest";
import { formatPyCommand, ProtocolError, parseLine, StackFieldCache, stackLineKey } from "./protocol.js";
import type { PyBpfConfig } from "./types.js";

describe("parseLine", () => {
  it("parses a stack line with kernel, user and python frames", () => {
    const l = parseLine(
      "s 8925 8931 32 0 707974686f6e33 6d61696e ffffffff8225fd19,ffffffff81000c82 7fd4314fcc77,7fd4312c2a80 " +
        "7f00aa001230:14:7:0,0:0:0:2,7f00aa004560:-2:3:1",
    );
    expect(l).toEqual({
      kind: "stack",
      stack: {
        pid: 8925,
        tid: 8931,
        count: 32,
        pyStatus: 0,
        threadName: "python3",
        processName: "main",
        kernel: [0xffffffff8225fd19n, 0xffffffff81000c82n],
        user: [0x7fd4314fcc77n, 0x7fd4312c2a80n],
        python: [
          { codeAddr: 0x7f00aa001230n, instrOffset: 14, guard: 7, flags: 0 },
          { codeAddr: 0n, instrOffset: 0, guard: 0, flags: 2 },
          { codeAddr: 0x7f00aa004560n, instrOffset: -2, guard: 3, flags: 1 },
        ],
      },
    });
  });

  it("reads '-' as empty stacks and names, and decodes names as UTF-8", () => {
    const l = parseLine(`s 1 2 3 5 - ${Buffer.from("wörker-é").toString("hex")}e2 - - -`);
    expect(l.kind).toBe("stack");
    if (l.kind !== "stack") return;
    expect(l.stack.threadName).toBe("");
    expect(l.stack.processName).toBe("wörker-é\ufffd"); // a 3-byte character cut after its first byte
    expect(l.stack.kernel).toEqual([]);
    expect(l.stack.user).toEqual([]);
    expect(l.stack.python).toEqual([]);
    expect(l.stack.pyStatus).toBe(5);
  });

  it("parses drops, end, ready, ok, fail and error lines", () => {
    expect(parseLine("drops lost=2 samples=63 py_no_tstate=1 kstack_error=0")).toEqual({
      kind: "drops",
      lost: 2,
      samples: 63,
      drops: { py_no_tstate: 1, kstack_error: 0 },
    });
    expect(parseLine("end 10")).toEqual({ kind: "end", count: 10 });
    expect(parseLine("gone 4242")).toEqual({ kind: "gone", pid: 4242 });
    expect(parseLine("ready cpus=2 freq=99 prog=431")).toEqual({
      kind: "ready",
      cpus: 2,
      freq: 99,
      progId: 431,
      exitWatch: false,
    });
    expect(parseLine("ready cpus=2 freq=99 prog=431 exitwatch=1")).toMatchObject({ kind: "ready", exitWatch: true });
    expect(parseLine("exit 4242")).toEqual({ kind: "exit", pid: 4242 });
    expect(() => parseLine("exit x")).toThrow(/expected a decimal pid/);
    expect(parseLine("ok pid 42")).toEqual({ kind: "ok", command: "pid", arg: "42" });
    expect(parseLine("fail py missing key tssKey")).toEqual({
      kind: "fail",
      command: "py",
      message: "missing key tssKey",
    });
    expect(parseLine("error EPERM load loading the BPF program failed: Operation not permitted")).toEqual({
      kind: "error",
      errno: "EPERM",
      stage: "load",
      message: "loading the BPF program failed: Operation not permitted",
    });
  });

  it("rejects malformed lines with the offending line in the message", () => {
    expect(() => parseLine("s 1 2 3")).toThrow(ProtocolError);
    expect(() => parseLine("s 1 2 x 0 - - - - -")).toThrow(/decimal count/);
    expect(() => parseLine("s 1 2 3 0 - - zz - -")).toThrow(/hex address/);
    expect(() => parseLine("s 1 2 3 0 - - - - 12:3:4")).toThrow(/bad python frame/);
    expect(() => parseLine("s 1 2 3 0 abc - - - -")).toThrow(/bad hex-encoded name/);
    expect(() => parseLine("hello world")).toThrow(/unknown record 'hello'.*hello world/);
    expect(() => parseLine("drops lost")).toThrow(/key=value/);
  });
});

describe("formatPyCommand", () => {
  const cfg: PyBpfConfig = {
    versionHex: 0x030d00f0,
    tssKey: 1,
    tsdStaticOffset: 0x310,
    tsdDynamicOffset: 0x510,
    tstateCurrentFrame: 0x48,
    cframeCurrentFrame: -1,
    frameCode: 0,
    framePrevious: 8,
    frameInstr: 0x38,
    frameOwner: 0x46,
    frameIsEntry: -1,
    codeAdaptive: 0xc8,
    codeVersion: 0x5c,
    codeFirstLineNo: 0x44,
    noneAddr: 0x7f1234567890n,
    ownerCStack: 3,
  };

  it("sends every field by its contract name", () => {
    expect(formatPyCommand(77, cfg)).toBe(
      "py 77 versionHex=51183856 tssKey=1 tsdStaticOffset=784 tsdDynamicOffset=1296 tstateCurrentFrame=72 " +
        "cframeCurrentFrame=-1 frameCode=0 framePrevious=8 frameInstr=56 frameOwner=70 frameIsEntry=-1 " +
        "codeAdaptive=200 codeVersion=92 codeFirstLineNo=68 noneAddr=0x7f1234567890 ownerCStack=3",
    );
  });

  it("refuses a config with a missing or non-integer field", () => {
    const { tssKey: _, ...missing } = cfg;
    expect(() => formatPyCommand(1, missing as PyBpfConfig)).toThrow(/tssKey must be an integer/);
    expect(() => formatPyCommand(1, { ...cfg, frameCode: 1.5 })).toThrow(/frameCode/);
  });
});

describe("stackLineKey", () => {
  const line =
    "s 8925 8931 32 0 707974686f6e33 6d61696e ffffffff8225fd19 7fd4314fcc77,7fd4312c2a80 7f00aa001230:14:7:0";

  it("gives the count and a key that ignores only the count", () => {
    const k = stackLineKey(line);
    expect(k?.count).toBe(32);
    expect(stackLineKey(line.replace(" 32 ", " 7 "))).toEqual({ key: k?.key, count: 7 });
    // Any other field changes the key: pid, tid, pyStatus, stacks.
    for (const other of [
      line.replace("s 8925", "s 8926"),
      line.replace(" 8931 ", " 8932 "),
      line.replace(" 32 0 ", " 32 5 "),
      line.replace("7fd4312c2a80", "7fd4312c2a81"),
      line.replace(":14:7:0", ":16:7:0"),
    ]) {
      expect(stackLineKey(other)?.key).not.toBe(k?.key);
    }
  });

  it("is null for other lines and for a stack line without a decimal count", () => {
    expect(stackLineKey("drops lost=0 samples=1")).toBeNull();
    expect(stackLineKey("end 3")).toBeNull();
    expect(stackLineKey("s 1 2")).toBeNull();
    expect(stackLineKey("s 1 2 x3 0 - - - - -")).toBeNull();
    expect(stackLineKey("s 1 2  0 - - - - -")).toBeNull();
  });
});

describe("StackFieldCache", () => {
  it("decodes a field once and hands the same frames to lines that share it", () => {
    const fields = new StackFieldCache();
    const a = parseLine("s 1 1 3 0 - - ffffffff81000001 7f0000000010,7f0000000020 7f00aa001230:14:7:0", fields);
    const b = parseLine("s 1 1 5 0 - - - 7f0000000099,7f0000000020 7f00aa001230:14:7:0", fields);
    const c = parseLine("s 1 2 5 0 - - ffffffff81000001 - 7f00aa001230:16:7:0", fields);
    if (a.kind !== "stack" || b.kind !== "stack" || c.kind !== "stack") throw new Error("not stack lines");
    expect(b.stack.python).toBe(a.stack.python);
    expect(c.stack.kernel).toBe(a.stack.kernel);
    expect(b.stack.user).not.toBe(a.stack.user);
    expect(b.stack.user).toEqual([0x7f0000000099n, 0x7f0000000020n]);
    expect(c.stack.python).toEqual([{ codeAddr: 0x7f00aa001230n, instrOffset: 16, guard: 7, flags: 0 }]);
    // Same result as without the cache.
    expect(parseLine("s 1 1 5 0 - - - 7f0000000099,7f0000000020 7f00aa001230:14:7:0")).toEqual(b);
  });
});
