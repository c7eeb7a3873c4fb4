/** Public surface of @perforator/collector: the CLI entry, the recording session and its building blocks. */
export const PACKAGE = "@perforator/collector";

export {
  CliError,
  defaultOutputName,
  EXIT,
  type OutputFormat,
  parseDuration,
  parseFormat,
  parseFreq,
  parseListenAddress,
  parsePids,
  UsageError,
} from "./cli/args.js";
export { loadProfileFile } from "./cli/load.js";
export { runCli } from "./cli/main.js";
// Building blocks, for agents that embed the collector.
export {
  CodeObjectResolver,
  detectPython,
  findPython,
  MissingPythonError,
  OFFSETS,
  type PythonDetection as PythonDetectionResult,
  type PythonInfo,
  type PythonInterpreter,
  PyVersion,
  pythonInstallHint,
  requirePython,
  walkPythonThreads,
} from "./python/index.js";
export { writeFileAtomic } from "./record/atomic.js";
export type { FlushResult, PythonDetection, RawStack, SamplerHandle, SessionDeps } from "./record/deps.js";
export { encodeProfile, renderHtml } from "./record/output.js";
export { checkPrivileges } from "./record/privileges.js";
export { loadRealDeps } from "./record/real-deps.js";
export { type RunningServer, serveProfile } from "./record/serve.js";
export { type RecordOptions, type RecordResult, type RecordStats, record } from "./record/session.js";
export * from "./sampler/index.js";
export { createStackResolver, type StackResolver, type StackResolverOptions } from "./stacks/index.js";
