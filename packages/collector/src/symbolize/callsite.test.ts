import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { requirePython } from "../python/interpreters.js";
import { followsCall } from "./callsite.js";
import { ProcessSymbolizer } from "./symbolizer.js";

const b = (...x: number[]) => Uint8Array.from([0x90, 0x90, 0x90, ...x]);

describe("followsCall", () => {
  it("recognises direct and indirect call encodings", () => {
    expect(followsCall(b(0xe8, 1, 2, 3, 4))).toBe(true); // call rel32
    expect(followsCall(b(0xff, 0xd0))).toBe(true); // call rax
    expect(followsCall(b(0x41, 0xff, 0xd3))).toBe(true); // call r11
    expect(followsCall(b(0xff, 0x15, 1, 2, 3, 4))).toBe(true); // call [rip+disp32]
    expect(followsCall(b(0xff, 0x50, 0x08))).toBe(true); // call [rax+8]
    expect(followsCall(b(0xff, 0x54, 0x24, 0x08))).toBe(true); // call [rsp+8]
    expect(followsCall(b(0xff, 0x14, 0xc5, 1, 2, 3, 4))).toBe(true); // call [rax*8+disp32]
    expect(followsCall(b(0xff, 0x90, 1, 2, 3, 4))).toBe(true); // call [rax+disp32]
  });

  it("rejects jumps and ordinary instructions", () => {
    expect(followsCall(b(0xff, 0xe0))).toBe(false); // jmp rax
    expect(followsCall(b(0x48, 0x89, 0xc7))).toBe(false); // mov rdi, rax
    expect(followsCall(b(0xe9, 1, 2, 3, 4))).toBe(false); // jmp rel32
    expect(followsCall(b(0xff, 0x50))).toBe(false); // truncated call [rax+disp8]: length mismatch
    expect(followsCall(Uint8Array.from([]))).toBe(false);
  });
});

describe("isCallSite on a live libpython", () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill("SIGKILL");
  });

  it("accepts the address after every call in _PyEval_EvalFrameDefault and rejects most other addresses", async () => {
    const py = requirePython("3.12.1", { shared: true });
    const lib = py.runtimeFile;
    const c = spawn(py.executable, ["-c", "import time; print(1, flush=True); time.sleep(60)"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    children.push(c);
    await new Promise((r) => c.stdout!.once("data", r));
    const s = new ProcessSymbolizer(c.pid!);
    const m = s.mappings().find((x) => x.path === lib && x.executable)!;
    // For this library, text vaddr == file offset, so runtime = vaddr - m.offset + m.start.
    const dis = execFileSync("objdump", ["-d", "--no-show-raw-insn", "--disassemble=_PyEval_EvalFrameDefault", lib], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    });
    const insns = [...dis.matchAll(/^\s+([0-9a-f]+):\s+(\S+)/gm)].map((x) => ({
      addr: BigInt(`0x${x[1]}`),
      op: x[2]!,
    }));
    expect(insns.length).toBeGreaterThan(5000);
    let calls = 0;
    let others = 0;
    let falsePositives = 0;
    for (let i = 0; i + 1 < insns.length; i++) {
      const after = insns[i + 1]!.addr - m.offset + m.start;
      if (insns[i]!.op.startsWith("call")) {
        calls++;
        expect(s.isCallSite(after), insns[i + 1]!.addr.toString(16)).toBe(true);
      } else {
        others++;
        if (s.isCallSite(after)) falsePositives++;
      }
    }
    expect(calls).toBeGreaterThan(200);
    // Instruction boundaries after non-calls can look like calls by accident, but rarely.
    expect(falsePositives / others).toBeLessThan(0.02);
    expect(s.isCallSite(0x10n)).toBe(false);
    s.close();
  });
});
