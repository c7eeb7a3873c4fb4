import { detectPython, type PythonDetection as PyDetection, type PythonInfo } from "../python/index.js";
import { Sampler } from "../sampler/index.js";
import { createStackResolver, type PythonFrames, pythonFramesFor } from "../stacks/index.js";
import type { SessionDeps, StackResolverHandle } from "./deps.js";

/**
 * The eBPF sampler, CPython detection and stack resolver of this package, wired so Python is detected
 * once per process: the session's detection (which also configures the BPF walker) is what the resolver
 * uses to decode code objects, and unsupported versions are warned about by the session only.
 */
export async function loadRealDeps(opts: { warn?: (m: string) => void } = {}): Promise<SessionDeps> {
  return {
    startSampler: async (o) => Sampler.start(o),
    detectPython: (pid) => detectPython(pid),
    createStackResolver: (): StackResolverHandle => {
      const known = new Map<number, PyDetection>();
      // Processes the resolver has set up without Python (it keeps that per process): when their interpreter
      // is found later (a launched command still starting up), they get a resolver of their own.
      const setUpWithout = new Set<number>();
      const overrides = new Map<number, ReturnType<typeof createStackResolver>>();
      const python = (pid: number): PythonFrames | null => {
        let d = known.get(pid);
        if (d === undefined) {
          try {
            d = detectPython(pid);
          } catch {
            d = null;
          }
          known.set(pid, d);
        }
        if (!d || "unsupported" in d) {
          setUpWithout.add(pid);
          return null;
        }
        return pythonFramesFor(d);
      };
      const make = () => createStackResolver({ python, ...(opts.warn ? { warn: opts.warn } : {}) });
      const inner = make();
      return {
        resolve: (raw) => (overrides.get(raw.pid) ?? inner).resolve(raw),
        // A process that got its own resolver (Python found late) is in another numbering: keep them apart.
        generation: (pid) => {
          const o = overrides.get(pid);
          return o ? 2 ** 51 + o.generation(pid) : inner.generation(pid);
        },
        forget: (pid) => {
          inner.forget(pid);
          overrides.get(pid)?.close();
          overrides.delete(pid);
          known.delete(pid);
          setUpWithout.delete(pid);
        },
        addPython: (pid, info) => {
          if (!info || "unsupported" in info) return;
          known.set(pid, info as PythonInfo);
          if (setUpWithout.delete(pid)) {
            overrides.get(pid)?.close();
            overrides.set(pid, make());
          }
        },
        close: () => {
          inner.close();
          for (const r of overrides.values()) r.close();
        },
      };
    },
  };
}
