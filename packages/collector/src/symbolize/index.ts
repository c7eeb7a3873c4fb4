export { followsCall } from "./callsite.js";
export { findKernelSymbol, type KernelSymbol, type KernelSymbols, loadKallsyms, parseKallsyms } from "./kallsyms.js";
export {
  DEFAULT_DEBUG_DIRS,
  type KernelFrameSymbol,
  KernelSymbolizer,
  loadBias,
  ProcessSymbolizer,
  symbolSource,
  type UserSymbol,
} from "./symbolizer.js";
