/** Public surface of @perforator/collector: the CLI entry, the recording session and its building blocks. */
export const PACKAGE = "@perforator/collector";

export {
  defaultOutputName,
  parseDuration,
  parseFormat,
  parseFreq,
  parseListenAddress,
  parsePids,
} from "./cli/args.js";
export { loadProfileFile } from "./cli/load.js";
export { runCli } from "./cli/main.js";
export { CliError, EXIT, UsageError } from "./errors.js";
export * from "./output/index.js";
// Building blocks, for agents that embed the collector.
export {
  CodeObjectResolver,
  detectPython,
  findPython,
  MissingPythonError,
  OFFSETS,
  type PythonDetection,
  type PythonFound,
  type PythonInfo,
  type PythonInterpreter,
  PyVersion,
  pythonInstallHint,
  requirePython,
  walkPythonThreads,
} from "./python/index.js";
export type { SamplerFlush, SamplerHandle, SessionDeps, SessionResolver } from "./record/deps.js";
export { checkPrivileges } from "./record/privileges.js";
export { loadRealDeps } from "./record/real-deps.js";
export { type RecordOptions, type RecordResult, type RecordStats, record } from "./record/session.js";
export * from "./sampler/index.js";
export { createStackResolver, type StackResolver, type StackResolverOptions } from "./stacks/index.js";
