export { followsCall } from "./callsite.js";
export { findKernelSymbol, type KernelSymbol, type KernelSymbols, loadKallsyms, parseKallsyms } from "./kallsyms.js";
export { candidatePaths, findMapping, type Mapping, moduleName, parseMaps, readMaps } from "./maps.js";
export {
  type KernelFrameSymbol,
  KernelSymbolizer,
  loadBias,
  ProcessSymbolizer,
  type UserSymbol,
} from "./symbolizer.js";
