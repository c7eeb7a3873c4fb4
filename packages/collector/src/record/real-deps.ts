import { detectPython, type PythonInfo } from "../python/index.js";
import { Sampler } from "../sampler/index.js";
import { createStackResolver } from "../stacks/index.js";
import type { SessionDeps } from "./deps.js";

/**
 * The eBPF sampler, CPython detection and stack resolver of this package. Python is detected once per process: the
 * session's detection (which also configures the BPF walker) is handed to the resolver (addPython), and unsupported
 * versions are warned about by the session only (the resolver shows them as native frames without a word).
 */
export async function loadRealDeps(opts: { warn?: (m: string) => void } = {}): Promise<SessionDeps<PythonInfo>> {
  return {
    startSampler: async (o) => Sampler.start(o),
    detectPython: (pid) => detectPython(pid),
    createStackResolver: () =>
      createStackResolver({
        ...(opts.warn ? { warn: opts.warn } : {}),
        detect: (pid) => {
          const d = detectPython(pid);
          return d && "unsupported" in d ? null : d;
        },
      }),
  };
}
