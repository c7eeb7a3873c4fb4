/**
 * The pieces a recording session orchestrates, as interfaces. The real implementations live in
 * src/sampler (eBPF), src/python (CPython detection) and src/stacks (symbolization), wired in real-deps.ts; tests of
 * the session's own logic can pass other implementations of the same interfaces.
 */
import type { PythonDetection, PythonFound } from "../python/detect.js";
import type { FlushResult } from "../sampler/sampler.js";
import type { StackResolver } from "../stacks/resolver.js";

/**
 * What a session reads of a sampler's flush (the real one, Sampler.flush, returns all of FlushResult). `keys` may be
 * left out: the session then builds a key from each stack.
 */
export type SamplerFlush = Pick<FlushResult, "stacks" | "lost" | "drops"> & Partial<Pick<FlushResult, "keys">>;

export interface SamplerHandle {
  /** Process id of a separate sampler process, when there is one (for CPU accounting). */
  readonly pid?: number | undefined;
  addPid(pid: number): unknown;
  addPython(pid: number, config: unknown): unknown;
  flush(): SamplerFlush | Promise<SamplerFlush>;
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

/**
 * The StackResolver (src/stacks/resolver.ts) as the session uses it: `resolve` is all a fake must have. `addPython`
 * receives the session's own detections (of type `P`: a PythonInfo from the real detectPython).
 */
export type SessionResolver<P extends PythonFound = PythonFound> = Pick<StackResolver, "resolve"> &
  Partial<Pick<StackResolver, "close" | "generation" | "forget">> & {
    addPython?(pid: number, info: P): void;
  };

export interface SessionDeps<P extends PythonFound = PythonFound> {
  startSampler(opts: SamplerStartOptions): Promise<SamplerHandle>;
  detectPython(pid: number): PythonDetection<P> | Promise<PythonDetection<P>>;
  createStackResolver(): SessionResolver<P>;
}
