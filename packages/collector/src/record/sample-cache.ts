/**
 * Per-recording cache from a raw stack (as the sampler aggregates it: pid, tid, names, kernel/user/Python
 * addresses) to its resolved, interned stack and labels, with the samples counted so far.
 *
 * A stack seen in an earlier flush costs one map lookup and an addition; only stacks never seen (or whose
 * process changed, see below) are symbolized and interned. Counts go into the ProfileBuilder when an entry
 * is retired (its process changed) and at the end (`finish`).
 *
 * An entry is reused only while the resolver's view of its process is unchanged:
 * - `generation(pid)` (resolver): changes when the process's mappings changed (dlopen, exec) or its Python
 *   support changed; entries made under another generation are re-resolved.
 * - process identity (start time, executable): checked once per flush for every pid with an unseen stack;
 *   when it changed (pid reused by a new process, or exec), the pid's entries are retired and the resolver
 *   is told to forget the process.
 * - Python code objects: the raw key holds each frame's code address and guard (co_version / firstlineno),
 *   so a reused code address with another guard is another key.
 */
import { type Frame, type Labels, type ProfileBuilder, WELL_KNOWN_LABELS } from "@perforator/profile";
import { processIdentity } from "../proc/index.js";
import type { RawStack } from "../sampler/types.js";
import type { SessionResolver } from "./deps.js";

/** The raw-stack key when the sampler did not give one: every field but the count. */
export function rawStackKey(s: RawStack): string {
  let py = "";
  for (const f of s.python) py += `${f.codeAddr.toString(16)}:${f.instrOffset}:${f.guard}:${f.flags},`;
  return `${s.pid}|${s.tid}|${s.threadName}|${s.processName}|${s.pyStatus}|${s.kernel.join(",")}|${s.user.join(",")}|${py}`;
}

interface Entry {
  pid: number;
  generation: number;
  stack: number[];
  labels: Labels;
  count: number;
}

export class SampleCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byPid = new Map<number, Set<string>>();
  private readonly identities = new Map<number, string>();
  /** Pids whose identity was checked during the current flush. */
  private readonly checked = new Set<number>();
  private readonly identity: (pid: number) => string | undefined;
  /** Frame ids by frame object: resolvers hand out the same objects for repeated frames (Python activations). */
  private frameIds = new WeakMap<Frame, number>();
  /** Stacks resolved so far (misses), for tests and diagnostics. */
  resolvedCount = 0;

  constructor(
    private builder: ProfileBuilder,
    private readonly resolver: SessionResolver,
    private readonly valuesOf: (count: number) => number[],
    opts: { identity?: (pid: number) => string | undefined } = {},
  ) {
    this.identity = opts.identity ?? processIdentity;
  }

  /**
   * Counts `raw.count` samples of this raw stack. `frames` resolves it when it is not cached (the caller
   * handles failures there); `key` is the sampler's key for it, or rawStackKey(raw). Returns true when the stack
   * had to be resolved (it was not cached).
   */
  add(raw: RawStack, key: string, frames: (raw: RawStack) => Frame[]): boolean {
    const pid = raw.pid;
    const e = this.entries.get(key);
    if (e !== undefined && e.generation === this.generationOf(pid)) {
      e.count += raw.count;
      return false;
    }
    this.checkIdentity(pid);
    const stale = this.entries.get(key); // the identity check may have retired it
    if (stale !== undefined) this.retire(key, stale);
    const resolved = frames(raw);
    const stack = resolved.map((f) => {
      let id = this.frameIds.get(f);
      if (id === undefined) {
        id = this.builder.frame(f);
        this.frameIds.set(f, id);
      }
      return id;
    });
    const entry: Entry = {
      pid,
      // After resolving: resolving may itself have re-read the process's mappings.
      generation: this.generationOf(pid),
      stack,
      labels: {
        [WELL_KNOWN_LABELS.pid]: String(pid),
        [WELL_KNOWN_LABELS.tid]: String(raw.tid),
        [WELL_KNOWN_LABELS.threadName]: raw.threadName,
        [WELL_KNOWN_LABELS.processName]: raw.processName,
      },
      count: raw.count,
    };
    this.entries.set(key, entry);
    let keys = this.byPid.get(pid);
    if (!keys) {
      keys = new Set();
      this.byPid.set(pid, keys);
    }
    keys.add(key);
    this.resolvedCount++;
    return true;
  }

  /** Call after each flush: process identities are checked again (once) during the next one. */
  endFlush(): void {
    this.checked.clear();
  }

  /** Moves the counts of every entry of `pid` into the builder and forgets them (the process changed). */
  invalidate(pid: number): void {
    const keys = this.byPid.get(pid);
    if (!keys) return;
    for (const key of keys) {
      const e = this.entries.get(key);
      if (e) this.retire(key, e);
    }
    this.byPid.delete(pid);
  }

  /** Moves every count into the builder. The cache is empty afterwards. */
  finish(): void {
    for (const [key, e] of this.entries) this.retire(key, e);
    this.byPid.clear();
  }

  /**
   * Continuous recording: moves every count into the current builder and goes on counting into `next`. Stacks seen
   * since the last rotation stay resolved (their frames are interned in `next`); the others are dropped, so the cache
   * holds what the last interval saw, not everything since the start.
   */
  rotate(next: ProfileBuilder): void {
    for (const [key, e] of this.entries) {
      if (e.count === 0) this.retire(key, e);
      else {
        this.builder.add(e.stack, this.valuesOf(e.count), e.labels);
        e.count = 0;
      }
    }
    const frames = this.builder.build().frames;
    this.builder = next;
    this.frameIds = new WeakMap();
    for (const e of this.entries.values()) e.stack = e.stack.map((i) => next.frame(frames[i]!));
    for (const [pid, keys] of this.byPid) {
      if (keys.size === 0) {
        this.byPid.delete(pid);
        this.identities.delete(pid);
      }
    }
  }

  /** Entries currently cached. */
  get size(): number {
    return this.entries.size;
  }

  private generationOf(pid: number): number {
    return this.resolver.generation?.(pid) ?? 0;
  }

  private checkIdentity(pid: number): void {
    if (this.checked.has(pid)) return;
    this.checked.add(pid);
    const id = this.identity(pid);
    if (id === undefined) return; // exited: what was resolved stays valid for its last samples
    const prev = this.identities.get(pid);
    this.identities.set(pid, id);
    if (prev !== undefined && prev !== id) {
      this.invalidate(pid);
      this.resolver.forget?.(pid);
    }
  }

  private retire(key: string, e: Entry): void {
    this.entries.delete(key);
    this.byPid.get(e.pid)?.delete(key);
    if (e.count > 0) this.builder.add(e.stack, this.valuesOf(e.count), e.labels);
  }
}
