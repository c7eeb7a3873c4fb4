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
        if (!d || "unsupported" in d) return null;
        return pythonFramesFor(d);
      };
      const inner = createStackResolver({ python, ...(opts.warn ? { warn: opts.warn } : {}) });
      return {
        resolve: (raw) => inner.resolve(raw),
        addPython: (pid, info) => {
          if (info) known.set(pid, info as PythonInfo);
        },
        close: () => inner.close(),
      };
    },
  };
}
