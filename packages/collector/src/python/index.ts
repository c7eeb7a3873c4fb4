export { CodeObjectResolver, type PyFrameInfo, readPyBytes, readPyUnicode, unknownPyFrame } from "./code-resolver.js";
export { compareDebugOffsets, type DebugOffsets, parseDebugOffsets313 } from "./debug-offsets.js";
export {
  detectPython,
  type PythonDetection,
  type PythonFound,
  type PythonInfo,
  type PythonUnsupported,
  PyVersion,
} from "./detect.js";
export {
  findPython,
  MissingPythonError,
  type PythonInterpreter,
  pythonInstallHint,
  requirePython,
} from "./interpreters.js";
export { decodeLineTable, displayLine, type LineEntry, lineForOffset } from "./linetable.js";
export { OFFSETS, offsetsFor, type PyOffsets, SUPPORTED_MINORS } from "./offsets.js";
export { type PyThreadStack, walkPythonThreads } from "./walker.js";
