export { formatPyCommand, ProtocolError, parseLine, type SamplerLine } from "./protocol.js";
export {
  defaultSamplerPath,
  type FlushResult,
  NEEDS_PRIVILEGES,
  Sampler,
  SamplerError,
  type SamplerErrorCode,
  type SamplerOptions,
} from "./sampler.js";
export { PY_FRAME_ENTRY, PY_FRAME_SHIM, type PyBpfConfig, PyStatus, type RawPyFrame, type RawStack } from "./types.js";
