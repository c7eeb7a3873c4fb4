export { followsCall } from "./callsite.js";
export { findKernelSymbol, type KernelSymbol, type KernelSymbols, loadKallsyms, parseKallsyms } from "./kallsyms.js";
export { candidatePaths, findMapping, type Mapping, moduleName, parseMaps, readMaps } from "./maps.js";
export {
  DEFAULT_DEBUG_DIRS,
  type KernelFrameSymbol,
  KernelSymbolizer,
  loadBias,
  ProcessSymbolizer,
  symbolSource,
  type UserSymbol,
} from "./symbolizer.js";
