import { CliError, EXIT } from "../cli/args.js";
import { Sampler } from "../sampler/index.js";
import type { PythonDetection, SessionDeps, StackResolverHandle } from "./deps.js";

type Mod = Record<string, unknown>;

async function load(rel: string, what: string): Promise<Mod> {
  try {
    return (await import(new URL(rel, import.meta.url).href)) as Mod;
  } catch (err) {
    throw new CliError(
      `the ${what} is not available in this build (${(err as Error).message}): run 'pnpm build' and retry`,
      EXIT.failure,
    );
  }
}

function need<T>(mod: Mod, name: string, what: string): T {
  const v = mod[name];
  if (v === undefined)
    throw new CliError(`the ${what} does not export ${name}: rebuild with 'pnpm build'`, EXIT.failure);
  return v as T;
}

/** The eBPF sampler, CPython detection and stack resolver of this package. */
export async function loadRealDeps(): Promise<SessionDeps> {
  const [pythonMod, stacksMod] = await Promise.all([
    load("../python/index.js", "Python support"),
    load("../stacks/index.js", "stack resolver"),
  ]);
  const detectPython = need<(pid: number) => PythonDetection | Promise<PythonDetection>>(
    pythonMod,
    "detectPython",
    "Python support",
  );
  const createStackResolver = need<() => StackResolverHandle>(stacksMod, "createStackResolver", "stack resolver");
  return {
    startSampler: async (o) => Sampler.start(o),
    detectPython: (pid) => detectPython(pid),
    createStackResolver: () => createStackResolver(),
  };
}
