/**
 * The pieces a recording session orchestrates, as interfaces. The real implementations live in
 * src/sampler (eBPF), src/python (CPython detection) and src/stacks (symbolization); tests of the
 * session's own logic can pass other implementations of the same interfaces.
 */
import type { Frame } from "@perforator/profile";

export interface RawPyFrame {
  codeAddr: bigint;
  instrOffset: number;
  guard: number;
  flags: number;
}

export interface RawStack {
  pid: number;
  tid: number;
  threadName: string;
  processName: string;
  count: number;
  kernel: bigint[];
  user: bigint[];
  python: RawPyFrame[];
  pyStatus: number;
}

export interface FlushResult {
  stacks: RawStack[];
  /** Samples the kernel or the ring buffer dropped since the last flush. */
  lost: number;
  /** Why stacks were incomplete or dropped since the last flush: a total, or counters by reason. */
  drops: number | Record<string, number>;
  /**
   * Optional, parallel to `stacks`: a key per stack that is equal for equal stacks across flushes (every field but
   * the count). Without it the session builds one from the stack.
   */
  keys?: readonly string[];
}

export interface SamplerHandle {
  /** Process id of a separate sampler process, when there is one (for CPU accounting). */
  readonly pid?: number | undefined;
  addPid(pid: number): unknown;
  addPython(pid: number, config: unknown): unknown;
  flush(): FlushResult | Promise<FlushResult>;
  stop(): unknown;
  /**
   * Optional: calls `listener` when a process given to addPid/addPython exits. Returns true when exits will be
   * reported (the session then stops polling target liveness every second), false when they cannot be.
   */
  watchExits?(listener: (pid: number) => void): boolean;
}

export interface SamplerStartOptions {
  freqHz: number;
  pids?: number[];
  wholeSystem?: boolean;
}

export type PythonDetection =
  | {
      /** "3.12.1", or an object printing as it. */
      version: string | { toString(): string };
      libPath: string;
      runtimeAddr: bigint;
      bpfConfig: unknown;
      /** Things that were not verified but did not prevent support. */
      warnings?: string[];
    }
  | { unsupported: string; reason?: string }
  | null;

export interface StackResolverHandle {
  resolve(raw: RawStack): Frame[];
  /** Tells the resolver about a Python interpreter found in `pid` (when it wants to know). */
  addPython?(pid: number, info: PythonDetection): void;
  /** Releases file handles at the end of the recording. */
  close?(): void;
  /**
   * Changes whenever stacks of `pid` resolved before may resolve differently now (its mappings changed): the
   * session then resolves them again instead of reusing its cache. Without it, a resolved stack is reused.
   */
  generation?(pid: number): number;
  /** Forgets `pid`: the id now belongs to another process (or the process exec'd another program). */
  forget?(pid: number): void;
}

export interface SessionDeps {
  startSampler(opts: SamplerStartOptions): Promise<SamplerHandle>;
  detectPython(pid: number): PythonDetection | Promise<PythonDetection>;
  createStackResolver(): StackResolverHandle;
}
