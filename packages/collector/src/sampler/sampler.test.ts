// Runs the real sampler against real processes: needs root (CI runs as root), BTF and perf events.
import { execFileSync } from "node:child_process";
import { chmodSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { bpfConfigOf, GLIBC_TSD_DYNAMIC, GLIBC_TSD_STATIC, offsetsFor } from "../python/offsets.js";
import { defaultSamplerPath, Sampler, SamplerError } from "./sampler.js";
import {
  codeFirstLine,
  codeName,
  is311,
  type PyVersion,
  pyConfig,
  pythonBin,
  readMem,
  startTarget,
  type Target,
  tempDir,
  writeFile,
} from "./test-utils/targets.js";
import { PY_FRAME_ENTRY, PY_FRAME_SHIM, PyStatus, type RawStack } from "./types.js";

const pkgDir = fileURLToPath(new URL("../..", import.meta.url));
const isRoot = process.getuid?.() === 0;

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

// Sample counts depend on how much CPU the target gets on a shared machine; require enough for the ratios to mean
// something, not the nominal rate.
const MIN_SAMPLES = 30;

async function sampleFor(s: Sampler, ms: number) {
  await new Promise((r) => setTimeout(r, ms));
  return s.flush();
}

function total(stacks: RawStack[]): number {
  return stacks.reduce((n, s) => n + s.count, 0);
}

async function withSampler(freqHz: number): Promise<Sampler> {
  const s = await Sampler.start({ freqHz });
  cleanup.push(() => s.stop());
  return s;
}

async function target(cmd: string, args: string[]): Promise<Target> {
  const t = await startTarget(cmd, args);
  cleanup.push(t.kill);
  return t;
}

describe("Sampler without the native binary", () => {
  it("rejects a binary that cannot run, with the reason", async () => {
    const notExecutable = writeFile(tempDir(), "perforator-sampler", "not a program\n");
    chmodSync(notExecutable, 0o644);
    const err = await Sampler.start({ freqHz: 99, binaryPath: notExecutable }).catch((e) => e);
    expect(err).toBeInstanceOf(SamplerError);
    expect(err.code).toBe("ENOSAMPLER");
    expect(err.message).toMatch(/perforator-sampler cannot be run \(EACCES\): rebuild it/);
  });

  it("says how to build it", async () => {
    const err = await Sampler.start({ freqHz: 99, binaryPath: "/nonexistent/perforator-sampler" }).catch((e) => e);
    expect(err).toBeInstanceOf(SamplerError);
    expect(err.code).toBe("ENOSAMPLER");
    expect(err.message).toMatch(/pnpm --filter @perforator\/collector build/);
  });
});

describe.skipIf(!isRoot)("Sampler on the running kernel", () => {
  let dir: string;
  beforeAll(() => {
    execFileSync("bash", [join(pkgDir, "native/build.sh")], { stdio: "inherit" });
    dir = tempDir();
  }, 120_000);

  it("maps a permission failure to ENEEDSPRIV with what to do", async () => {
    const wrapper = writeFile(
      dir,
      "as-nobody.sh",
      `#!/bin/sh\nexec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all ${defaultSamplerPath()} "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    const err = await Sampler.start({ freqHz: 99, binaryPath: wrapper }).catch((e) => e);
    expect(err).toBeInstanceOf(SamplerError);
    expect(err.code).toBe("ENEEDSPRIV");
    expect(err.message).toMatch(/needs root or CAP_BPF\+CAP_PERFMON \(and CAP_SYS_ADMIN on older kernels\)/);
  });

  it("records frame-pointer user stacks of a C program inside its functions, and flush clears counts", async () => {
    const src = writeFile(
      dir,
      "spin.c",
      `#include <stdio.h>
volatile unsigned long sink;
__attribute__((noinline)) void inner_spin(void) { while (sink != ~0UL) sink++; }
__attribute__((noinline)) void middle_fn(void) { inner_spin(); sink--; }
__attribute__((noinline)) void outer_fn(void) { middle_fn(); sink--; }
int main(void) { printf("ready\\n"); fflush(stdout); outer_fn(); return 0; }
`,
    );
    const bin = join(dir, "spin");
    execFileSync("gcc", ["-O0", "-fno-omit-frame-pointer", "-no-pie", "-o", bin, src]);
    const syms = new Map<string, [bigint, bigint]>();
    for (const line of execFileSync("nm", ["-S", bin], { encoding: "utf8" }).split("\n")) {
      const [addr, size, , name] = line.split(" ");
      if (name && size) syms.set(name, [BigInt(`0x${addr}`), BigInt(`0x${addr}`) + BigInt(`0x${size}`)]);
    }
    const fn = (a: bigint) => [...syms].find(([, [lo, hi]]) => a >= lo && a < hi)?.[0] ?? "?";

    const s = await withSampler(499);
    const t = await target(bin, []);
    await s.addPid(t.pid);
    const { stacks, lost } = await sampleFor(s, 1000);
    const mine = stacks.filter((x) => x.pid === t.pid);
    const n = total(mine);
    expect(n).toBeGreaterThan(MIN_SAMPLES); // ~499 for one busy thread on an idle machine
    expect(lost).toBe(0);
    expect(mine.every((x) => x.processName === "spin" && x.threadName === "spin" && x.tid === t.pid)).toBe(true);
    const good = mine.filter((x) => {
      const names = x.user.map(fn);
      return names[0] === "inner_spin" && names.slice(1, 4).join(",") === "middle_fn,outer_fn,main";
    });
    expect(total(good) / n).toBeGreaterThan(0.9);

    // Stopped: nothing new after a flush. Continued: counting again.
    t.proc.kill("SIGSTOP");
    await new Promise((r) => setTimeout(r, 50));
    await s.flush();
    const idle = await sampleFor(s, 300);
    expect(total(idle.stacks.filter((x) => x.pid === t.pid))).toBe(0);
    t.proc.kill("SIGCONT");
    const again = await sampleFor(s, 300);
    expect(total(again.stacks.filter((x) => x.pid === t.pid))).toBeGreaterThan(5);
    expect(again.exited).toEqual([]);

    // Exited: announced as it happens (pidfd), reported once by the next flush, and no longer traced.
    const exits: number[] = [];
    expect(s.watchExits((pid) => exits.push(pid))).toBe(true);
    t.kill();
    await new Promise<void>((r) =>
      t.proc.exitCode !== null || t.proc.signalCode !== null ? r() : t.proc.once("exit", () => r()),
    );
    await new Promise((r) => setTimeout(r, 50)); // reaped
    expect(exits).toEqual([t.pid]);
    expect((await s.flush()).exited).toEqual([t.pid]);
    expect((await s.flush()).exited).toEqual([]);
    // A process that is already gone when it is added is announced at once.
    const gone = execFileSync("sh", ["-c", "sleep 0 & echo $!"], { encoding: "utf8" }).trim();
    await s.addPid(Number(gone));
    await new Promise((r) => setTimeout(r, 50));
    expect(exits).toEqual([t.pid, Number(gone)]);
  });

  it("records kernel stacks, samples every task in whole-system mode, and stops on removePid", async () => {
    const s = await Sampler.start({ freqHz: 499, wholeSystem: true });
    cleanup.push(() => s.stop());
    expect(s.progId).toBeGreaterThan(0);
    expect(s.cpus).toBeGreaterThan(0);
    // Never added by pid: whole-system mode must still see it. dd spends its time in the kernel (read_zero/copy).
    const t = await target("sh", ["-c", "echo ready; exec dd if=/dev/zero of=/dev/null bs=4M"]);
    const all = await sampleFor(s, 800);
    const mine = all.stacks.filter((x) => x.pid === t.pid);
    const n = total(mine);
    expect(n).toBeGreaterThan(MIN_SAMPLES);
    const inKernel = mine.filter((x) => x.kernel.length > 2 && x.kernel.every((a) => a >= 0xffff800000000000n));
    expect(total(inKernel) / n).toBeGreaterThan(0.5);
    expect(total(mine.filter((x) => x.processName === "dd" && x.threadName === "dd")) / n).toBeGreaterThan(0.9);
    expect(mine.every((x) => x.python.length === 0 && x.pyStatus === 0)).toBe(true);
    expect(new Set(all.stacks.map((x) => x.pid)).size).toBeGreaterThan(1);

    // Back to a pid set: add then remove the target; after removal nothing of it is counted.
    await s.flush();
    const s2 = await withSampler(499);
    await s2.addPid(t.pid);
    expect(total((await sampleFor(s2, 300)).stacks.filter((x) => x.pid === t.pid))).toBeGreaterThan(5);
    await s2.removePid(t.pid);
    await s2.flush();
    expect(total((await sampleFor(s2, 300)).stacks)).toBe(0);
  });

  it("walks a synthetic 3.13-layout frame chain through a TSD key >= 32: shims, guards, offsets, a failed read", async () => {
    // A C program lays out fake PyThreadState/_PyInterpreterFrame/PyCodeObject memory and publishes the tstate under
    // pthread key 35 (glibc's second-level TSD blocks), then spins. Every field the BPF walk reports is known exactly.
    const src = writeFile(
      dir,
      "fakepy.c",
      `#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static char *obj(void) { return calloc(1, 0x200); }
static void put64(char *p, int off, uint64_t v) { memcpy(p + off, &v, 8); }
static void put32(char *p, int off, uint32_t v) { memcpy(p + off, &v, 4); }
volatile unsigned long sink;
int main(void) {
  pthread_key_t key = 0;
  for (int i = 0; i < 36; i++) pthread_key_create(&key, NULL);
  char *ts = obj(), *none = obj(), *f[4], *code[3];
  for (int i = 0; i < 4; i++) f[i] = obj();
  for (int i = 0; i < 3; i++) { code[i] = obj(); put32(code[i], 0x5c, 100 + i); put32(code[i], 0x44, 7 + i); }
  put64(ts, 0x48, (uint64_t)f[0]);
  put64(f[0], 0x0, (uint64_t)code[0]); put64(f[0], 0x38, (uint64_t)(code[0] + 0xc8 + 10)); put64(f[0], 0x8, (uint64_t)f[1]);
  put64(f[1], 0x0, (uint64_t)code[1]); put64(f[1], 0x38, (uint64_t)(code[1] + 0xc8 + 24)); put64(f[1], 0x8, (uint64_t)f[2]);
  put64(f[2], 0x0, (uint64_t)none); f[2][0x46] = 3; put64(f[2], 0x8, (uint64_t)f[3]);
  put64(f[3], 0x0, (uint64_t)code[2]); put64(f[3], 0x38, (uint64_t)(code[2] + 0xc8 - 2)); put64(f[3], 0x8, 0xdead0000);
  pthread_setspecific(key, ts);
  printf("fake %u %lx %lx %lx %lx\\nready\\n", key, (unsigned long)code[0], (unsigned long)code[1], (unsigned long)code[2],
         (unsigned long)none);
  fflush(stdout);
  for (;;) sink++;
}
`,
    );
    const bin = join(dir, "fakepy");
    execFileSync("gcc", ["-O1", "-pthread", "-o", bin, src]);
    const s = await withSampler(499);
    const t = await target(bin, []);
    const m = /fake (\d+) (\w+) (\w+) (\w+) (\w+)/.exec(t.output);
    expect(m, t.output).not.toBeNull();
    const key = Number(m![1]);
    const [a, b, c, none] = m!.slice(2).map((x) => BigInt(`0x${x}`)) as [bigint, bigint, bigint, bigint];
    expect(key).toBeGreaterThanOrEqual(32);
    // The fake lays its structs out as 3.13 does (the offsets in its source are those of PY313).
    await s.addPython(
      t.pid,
      bpfConfigOf(offsetsFor(3, 13)!, {
        versionHex: 0x030d00f0,
        tssKey: key,
        tsdStaticOffset: GLIBC_TSD_STATIC,
        tsdDynamicOffset: GLIBC_TSD_DYNAMIC,
        noneAddr: none,
      }),
    );
    const { stacks, drops } = await sampleFor(s, 800);
    const mine = stacks.filter((x) => x.pid === t.pid);
    expect(total(mine)).toBeGreaterThan(MIN_SAMPLES);
    for (const st of mine) {
      expect(st.pyStatus).toBe(PyStatus.frameRead); // previous of the last frame points at unmapped memory
      expect(st.python).toEqual([
        { codeAddr: a, instrOffset: 10, guard: 100, flags: 0 },
        { codeAddr: b, instrOffset: 24, guard: 101, flags: 0 },
        { codeAddr: 0n, instrOffset: 0, guard: 0, flags: PY_FRAME_SHIM },
        { codeAddr: c, instrOffset: -2, guard: 102, flags: 0 },
      ]);
    }
    expect(drops.py_frame_read).toBe(total(mine));
  });

  const nested = `
def level5():
    print("ready", flush=True)
    x = 0
    while True:
        x += 1
def level4():
    level5()
def level3():
    level4()
def level2():
    level3()
def level1():
    level2()
level1()
`;

  for (const v of ["3.11.7", "3.12.1", "3.13.0", "debian-3.11"] as PyVersion[]) {
    it(`walks Python ${v} stacks to the script's nesting depth`, async () => {
      const s = await withSampler(499);
      const t = await target(pythonBin(v), [writeFile(dir, "nested.py", nested)]);
      await s.addPython(t.pid, pyConfig(v, t.pid));
      const { stacks } = await sampleFor(s, 1000);
      const mine = stacks.filter((x) => x.pid === t.pid);
      const n = total(mine);
      expect(n).toBeGreaterThan(MIN_SAMPLES);
      const ok = mine.filter((x) => x.pyStatus === PyStatus.ok && x.python.length > 0);
      expect(total(ok) / n).toBeGreaterThan(0.95);
      for (const st of ok) {
        const frames = st.python.filter((f) => !(f.flags & PY_FRAME_SHIM));
        expect(frames.map((f) => codeName(v, t.pid, f.codeAddr))).toEqual([
          "level5",
          "level4",
          "level3",
          "level2",
          "level1",
          "<module>",
        ]);
        for (const f of frames) {
          if (is311(v)) expect(f.guard).toBe(codeFirstLine(v, t.pid, f.codeAddr));
          else expect(f.guard).toBe(readMem(t.pid, f.codeAddr + 0x5cn, 4).readUInt32LE(0));
          expect(f.instrOffset % 2).toBe(0);
          expect(f.instrOffset).toBeGreaterThanOrEqual(0);
          expect(f.instrOffset).toBeLessThan(1000);
        }
        const shims = st.python.filter((f) => f.flags & PY_FRAME_SHIM);
        if (is311(v)) {
          expect(shims).toHaveLength(0);
          expect(frames.map((f) => f.flags & PY_FRAME_ENTRY)).toEqual([0, 0, 0, 0, 0, PY_FRAME_ENTRY]);
        } else {
          // the interpreter's entry trampoline closes the only _PyEval_EvalFrameDefault activation
          expect(st.python.at(-1)).toEqual({ codeAddr: 0n, instrOffset: 0, guard: 0, flags: PY_FRAME_SHIM });
          expect(shims).toHaveLength(1);
        }
      }
    });
  }

  for (const v of ["3.11.7", "3.12.1", "3.13.0"] as PyVersion[]) {
    it(`still reads the Python ${v} stack of a thread that released the GIL (zlib.compress)`, async () => {
      const script = `
import os, threading, zlib
data = os.urandom(1 << 20)
def compress_loop():
    while True:
        zlib.compress(data, 6)
def worker():
    compress_loop()
t = threading.Thread(target=worker, name="squeezer")
t.start()
print("ready", flush=True)
t.join()
`;
      const s = await withSampler(499);
      const t = await target(pythonBin(v), [writeFile(dir, "gil.py", script)]);
      await s.addPython(t.pid, pyConfig(v, t.pid));
      const { stacks } = await sampleFor(s, 1000);
      const worker = stacks.filter((x) => x.pid === t.pid && x.tid !== t.pid);
      const n = total(worker);
      expect(n).toBeGreaterThan(MIN_SAMPLES);
      const withPy = worker.filter((x) => {
        const names = x.python.filter((f) => f.codeAddr !== 0n).map((f) => codeName(v, t.pid, f.codeAddr));
        return names[0] === "compress_loop" && names[1] === "worker";
      });
      expect(total(withPy) / n).toBeGreaterThan(0.9);
    });
  }

  it("truncates stacks deeper than 128 frames and says so", async () => {
    const v: PyVersion = "3.12.1";
    const script = `
import sys
sys.setrecursionlimit(10000)
def rec(n):
    if n == 0:
        print("ready", flush=True)
        while True:
            pass
    rec(n - 1)
rec(200)
`;
    const s = await withSampler(499);
    const t = await target(pythonBin(v), [writeFile(dir, "deep.py", script)]);
    await s.addPython(t.pid, pyConfig(v, t.pid));
    const { stacks, drops } = await sampleFor(s, 500);
    const mine = stacks.filter((x) => x.pid === t.pid);
    expect(total(mine)).toBeGreaterThan(MIN_SAMPLES / 2);
    for (const st of mine) {
      expect(st.pyStatus).toBe(PyStatus.truncated);
      expect(st.python).toHaveLength(128);
      expect(new Set(st.python.map((f) => codeName(v, t.pid, f.codeAddr)))).toEqual(new Set(["rec"]));
    }
    expect(drops.py_truncated).toBe(total(mine));
  });
});
