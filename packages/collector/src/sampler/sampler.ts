// Runs build/perforator-sampler (native/sampler.c) and talks to it over the line protocol of native/PROTOCOL.md.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { formatPyCommand, parseLine, type SamplerLine, StackFieldCache, stackLineKey } from "./protocol.js";
import type { PyBpfConfig, RawStack } from "./types.js";

export interface SamplerOptions {
  /** Samples per second per CPU (cpu-clock). */
  freqHz: number;
  /** Processes to sample from the start. */
  pids?: number[];
  /** Sample every task on the machine. */
  wholeSystem?: boolean;
  /** Path of perforator-sampler; defaults to $PERFORATOR_SAMPLER_BIN or the package's build/perforator-sampler. */
  binaryPath?: string;
  /**
   * How often the BPF maps are drained into memory between flush() calls, so they never fill up (ms, 0 = never).
   * Default: defaultDrainIntervalMs(freqHz, cpus).
   */
  drainIntervalMs?: number;
}

export interface FlushResult {
  stacks: RawStack[];
  /** Samples that could not be recorded at all (aggregation map full). */
  lost: number;
  /** Counters by reason since the previous flush (native/PROTOCOL.md, `drops` line), without `lost`/`samples`. */
  drops: Record<string, number>;
  /** Samples taken of traced tasks since the previous flush. */
  samples: number;
  /** Traced processes that exited since the previous flush (the sampler stopped tracing them). */
  exited: number[];
  /** Parallel to `stacks`: a key per stack, equal for equal stacks in every flush (all fields but the count). */
  keys: string[];
}

/** Distinct stacks a drain may have to hold in the worst case: half of the smallest map (2048 Python stacks). */
const DRAIN_BUDGET = 1024;

/**
 * How often to drain the BPF maps so they cannot fill up even if every sample were a new stack: at most DRAIN_BUDGET
 * samples (freqHz per CPU) between drains, between 250 ms and 5 s. 99 Hz on 2 CPUs: 5 s; on 16 CPUs: 646 ms.
 */
export function defaultDrainIntervalMs(freqHz: number, cpus: number): number {
  const ms = Math.floor((1000 * DRAIN_BUDGET) / (freqHz * Math.max(1, cpus)));
  return Math.min(5000, Math.max(250, ms));
}

export type SamplerErrorCode = "ENEEDSPRIV" | "ENOSAMPLER" | "ESAMPLER";

export class SamplerError extends Error {
  constructor(
    message: string,
    readonly code: SamplerErrorCode,
    readonly errno?: string,
  ) {
    super(message);
    this.name = "SamplerError";
  }
}

export const NEEDS_PRIVILEGES =
  "needs root or CAP_BPF+CAP_PERFMON (and CAP_SYS_ADMIN on older kernels): run perforator with sudo";

/** Where the native sampler is built; works from src/sampler/ and dist/sampler/ alike. */
export function defaultSamplerPath(): string {
  return (
    process.env.PERFORATOR_SAMPLER_BIN ?? fileURLToPath(new URL("../../build/perforator-sampler", import.meta.url))
  );
}

/** Turns a fatal `error` line into the Error a user sees. */
export function errorFromLine(line: Extract<SamplerLine, { kind: "error" }>): SamplerError {
  if (line.errno === "EPERM" || line.errno === "EACCES") {
    return new SamplerError(
      `perforator sampler: ${line.stage} failed with ${line.errno} (${line.message}); profiling ${NEEDS_PRIVILEGES}`,
      "ENEEDSPRIV",
      line.errno,
    );
  }
  return new SamplerError(
    `perforator sampler: ${line.stage} failed with ${line.errno}: ${line.message}. ` +
      "Check that the kernel has BTF (/sys/kernel/btf/vmlinux) and perf events, and see the sampler's stderr above.",
    "ESAMPLER",
    line.errno,
  );
}

interface Waiter {
  /** Returns true when the exchange is complete. */
  onLine(line: SamplerLine): boolean;
  reject(err: Error): void;
}

interface Acc {
  /** By stackLineKey: the stack with its count in this accumulation. */
  stacks: Map<string, RawStack>;
  exited: number[];
  lost: number;
  samples: number;
  drops: Record<string, number>;
}

function emptyAcc(): Acc {
  return { stacks: new Map(), exited: [], lost: 0, samples: 0, drops: {} };
}

/** Decoded stacks kept by key across flushes, so a stack that shows up again is not parsed again. */
const MAX_KNOWN_STACKS = 1 << 16;

export class Sampler {
  private waiter: Waiter | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private failure: Error | null = null;
  private exited = false;
  private readonly stderrTail: string[] = [];
  private acc: Acc = emptyAcc();
  private timer: NodeJS.Timeout | null = null;
  private readonly exitPromise: Promise<void>;
  /** Stacks decoded before, by stackLineKey (their `count` is not used). */
  private readonly known = new Map<string, RawStack>();
  /** Decoded kernel/user/Python fields by text, for new lines that share some of them with earlier ones. */
  private readonly fields = new StackFieldCache();
  /** Set while a flush answer is being read: gets every `s` line, decoded or from `known`. */
  private onStack: ((key: string, count: number, stack: RawStack) => void) | null = null;
  /** performance.now() when the last drain was asked for. */
  private lastDrainAt = Number.NEGATIVE_INFINITY;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    const rl = createInterface({ input: child.stdout });
    rl.on("line", (text) => this.onLine(text));
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      for (const l of chunk.split("\n")) if (l) this.stderrTail.push(l);
      this.stderrTail.splice(0, Math.max(0, this.stderrTail.length - 40));
    });
    this.exitPromise = new Promise((resolve) => {
      child.on("close", (code, signal) => {
        this.exited = true;
        if (!this.failure) {
          const tail = this.stderrTail.slice(-10).join("\n");
          this.failure = new SamplerError(
            `perforator sampler exited unexpectedly (${signal ?? `code ${code}`})${tail ? `:\n${tail}` : ""}`,
            "ESAMPLER",
          );
        }
        this.waiter?.reject(this.failure);
        this.waiter = null;
        if (this.timer) clearTimeout(this.timer);
        this.timer = null;
        resolve();
      });
    });
    child.on("error", (err) => {
      this.failure ??= new SamplerError(`cannot run the perforator sampler: ${err.message}`, "ESAMPLER");
      this.waiter?.reject(this.failure);
      this.waiter = null;
    });
    // Writing to a sampler that just died raises EPIPE here; the exit handler reports the real cause.
    child.stdin.on("error", () => {});
  }

  /** Id of the loaded BPF program (`bpftool prog show id <n>`), and number of CPUs sampled. */
  progId = 0;
  cpus = 0;
  /** Whether the native sampler reports exits of the processes given to addPid/addPython (pidfds). */
  exitWatch = false;
  private exitListener: ((pid: number) => void) | null = null;

  /**
   * Calls `listener` with the pid of every process given to addPid/addPython when it exits (or right away if it was
   * already gone). Returns false when the native sampler cannot watch exits (kernel without pidfds): poll then.
   */
  watchExits(listener: (pid: number) => void): boolean {
    this.exitListener = listener;
    return this.exitWatch;
  }

  /** Process id of the native sampler (for CPU accounting). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(opts: SamplerOptions): Promise<Sampler> {
    const bin = opts.binaryPath ?? defaultSamplerPath();
    if (!existsSync(bin)) {
      throw new SamplerError(
        `perforator sampler binary not found at ${bin}: build it with \`pnpm --filter @perforator/collector build\` ` +
          "(needs clang, bpftool, libbpf-dev, libelf-dev and zlib1g-dev)",
        "ENOSAMPLER",
      );
    }
    try {
      accessSync(bin, constants.X_OK);
    } catch (err) {
      throw new SamplerError(
        `perforator sampler binary ${bin} cannot be run (${(err as NodeJS.ErrnoException).code}): rebuild it with ` +
          "`pnpm --filter @perforator/collector build` or make it executable",
        "ENOSAMPLER",
      );
    }
    if (!Number.isInteger(opts.freqHz) || opts.freqHz <= 0) {
      throw new RangeError(`freqHz must be a positive integer, got ${opts.freqHz}`);
    }
    const args = ["--freq", String(opts.freqHz)];
    if (opts.wholeSystem) args.push("--all");
    // A process group of its own: Ctrl-C in a terminal (SIGINT to the foreground group) or `timeout`/`kill -- -PGID`
    // reach the CLI only, which flushes the last samples and stops the sampler; without it the sampler died first and
    // the samples since the last flush were lost. The sampler still exits when the CLI dies (EOF on its stdin).
    const child = spawn(bin, args, { stdio: ["pipe", "pipe", "pipe"], detached: true });
    const sampler = new Sampler(child);
    try {
      await sampler.exchange(null, (l) => {
        if (l.kind !== "ready") return false;
        sampler.progId = l.progId;
        sampler.cpus = l.cpus;
        sampler.exitWatch = l.exitWatch;
        return true;
      });
      for (const pid of opts.pids ?? []) await sampler.addPid(pid);
    } catch (err) {
      await sampler.stop();
      throw err;
    }
    const every = opts.drainIntervalMs ?? defaultDrainIntervalMs(opts.freqHz, sampler.cpus);
    if (every > 0) {
      // Re-armed after every drain (flush() included), so it only wakes up when `every` ms passed without one: a
      // caller that flushes at least that often never pays for a second drain of the maps.
      sampler.timer = setTimeout(() => {
        // A flush() that started just before (still in flight when this fired) re-arms the timer when it ends.
        if (performance.now() - sampler.lastDrainAt < every / 2) {
          sampler.timer?.refresh();
          return;
        }
        sampler.drain().catch(() => {
          // the failure is kept and reported by the next call
        });
      }, every);
      sampler.timer.unref();
    }
    return sampler;
  }

  private onLine(text: string): void {
    if (this.onStack) {
      const k = stackLineKey(text);
      if (k) {
        let stack = this.known.get(k.key);
        if (!stack) {
          let parsed: SamplerLine;
          try {
            parsed = parseLine(text, this.fields);
          } catch (err) {
            this.waiter?.reject(err as Error);
            this.waiter = null;
            this.onStack = null;
            return;
          }
          if (parsed.kind !== "stack") return; // cannot happen: stackLineKey only accepts `s` lines
          stack = parsed.stack;
          if (this.known.size >= MAX_KNOWN_STACKS) this.known.clear();
          this.known.set(k.key, stack);
        }
        this.onStack(k.key, k.count, stack);
        return;
      }
    }
    let line: SamplerLine;
    try {
      line = parseLine(text);
    } catch (err) {
      this.waiter?.reject(err as Error);
      this.waiter = null;
      return;
    }
    if (line.kind === "exit") {
      // Unsolicited, between answers: a watched process exited.
      this.exitListener?.(line.pid);
      return;
    }
    if (line.kind === "error") {
      this.failure = errorFromLine(line);
      this.waiter?.reject(this.failure);
      this.waiter = null;
      return;
    }
    const w = this.waiter;
    if (!w) return; // e.g. `bye`
    if (line.kind === "fail") {
      this.waiter = null;
      w.reject(new SamplerError(`perforator sampler rejected '${line.command}': ${line.message}`, "ESAMPLER"));
      return;
    }
    if (w.onLine(line)) this.waiter = null;
  }

  /** Sends one command (or none, for the startup line) and feeds the answer lines to `onLine` until it is done. */
  private exchange(
    command: string | null,
    onLine: (l: SamplerLine) => boolean,
    onStack?: (key: string, count: number, stack: RawStack) => void,
  ): Promise<void> {
    const run = () =>
      new Promise<void>((resolve, reject) => {
        if (this.failure) return reject(this.failure);
        if (this.exited) return reject(new SamplerError("perforator sampler is not running", "ESAMPLER"));
        this.onStack = onStack ?? null;
        this.waiter = {
          onLine: (l) => {
            const done = onLine(l);
            if (done) {
              this.onStack = null;
              resolve();
            }
            return done;
          },
          reject: (err) => {
            this.onStack = null;
            reject(err);
          },
        };
        if (command !== null) this.child.stdin.write(`${command}\n`);
      });
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private okFor(command: string): (l: SamplerLine) => boolean {
    return (l) => l.kind === "ok" && l.command === command;
  }

  /** Samples the threads of process `pid`. */
  addPid(pid: number): Promise<void> {
    return this.exchange(`pid ${pid}`, this.okFor("pid"));
  }

  /** Stops sampling `pid` (and drops its Python config). */
  removePid(pid: number): Promise<void> {
    return this.exchange(`unpid ${pid}`, this.okFor("unpid"));
  }

  /** Samples `pid` and walks its Python stacks with `cfg`. */
  addPython(pid: number, cfg: PyBpfConfig): Promise<void> {
    let command: string;
    try {
      command = formatPyCommand(pid, cfg);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.exchange(command, this.okFor("py"));
  }

  /** Moves what the BPF maps hold into memory. */
  private drain(): Promise<void> {
    this.lastDrainAt = performance.now();
    const acc = this.acc;
    const onStack = (key: string, count: number, stack: RawStack) => {
      const prev = acc.stacks.get(key);
      if (prev) prev.count += count;
      else acc.stacks.set(key, { ...stack, count });
    };
    const p = this.exchange(
      "flush",
      (l) => {
        // `s` lines go to onStack.
        if (l.kind === "gone") {
          acc.exited.push(l.pid);
        } else if (l.kind === "drops") {
          acc.lost += l.lost;
          acc.samples += l.samples;
          for (const [k, v] of Object.entries(l.drops)) acc.drops[k] = (acc.drops[k] ?? 0) + v;
        }
        return l.kind === "end";
      },
      onStack,
    );
    const rearm = () => {
      if (this.timer && !this.exited) this.timer.refresh();
    };
    p.then(rearm, rearm);
    return p;
  }

  /** Everything sampled since the previous flush (or start), aggregated; the counters start again from zero. */
  async flush(): Promise<FlushResult> {
    await this.drain();
    const acc = this.acc;
    this.acc = emptyAcc();
    return {
      stacks: [...acc.stacks.values()],
      keys: [...acc.stacks.keys()],
      lost: acc.lost,
      drops: acc.drops,
      samples: acc.samples,
      exited: acc.exited,
    };
  }

  /** Detaches and ends the native sampler. Samples not flushed are discarded. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.exited) {
      this.failure ??= new SamplerError("perforator sampler was stopped", "ESAMPLER");
      this.child.stdin.end("quit\n");
      const kill = setTimeout(() => this.child.kill("SIGKILL"), 3000);
      await this.exitPromise;
      clearTimeout(kill);
    }
  }
}
