export { buildDiffFlameTree, buildFlameTree, type FlameTreeOptions } from "./exporters/build-flame-tree.js";
export { type ToFoldedOptions, toFolded } from "./exporters/folded.js";
export {
  PROFILE_JSON_FORMAT,
  PROFILE_JSON_VERSION,
  type ProfileJsonV1,
  serializeProfile,
} from "./exporters/json.js";
// exporters
export { type ToPprofOptions, toPprof } from "./exporters/pprof.js";
export * from "./flame-tree-format.js";
export { formatFrameText, KERNEL_SUFFIX, looksLikePythonFile, parseFrameText } from "./frame-text.js";
// importers
export { detectFormat, importProfile, type ProfileFormat } from "./importers/auto.js";
export { type CpuProfileJson, isCpuProfileShape, parseCpuProfile } from "./importers/cpuprofile.js";
export { type FoldedOptions, parseFolded } from "./importers/folded.js";
export { parseProfile } from "./importers/json.js";
export { isGzip, type PprofScan, parsePprof, scanPprof } from "./importers/pprof.js";
// operations
export { FrameTable } from "./intern/frame-table.js";
export { fnv1a } from "./intern/hash.js";
export * from "./model.js";
export { type CallTreeNode, type CallTreeOptions, callTree } from "./ops/call-tree.js";
export { type TopDiffOptions, type TopDiffRow, topFunctionsDiff } from "./ops/diff.js";
export { dropFrames, filterByLabel, groupByLabel } from "./ops/filter.js";
export {
  alignFrames,
  FRAME_MATCHES,
  type FrameMatch,
  frameMatchKey,
  type MatchOptions,
  mainScriptFiles,
  parseFrameMatch,
  pythonModuleOf,
} from "./ops/match.js";
export { MergeInfo, type MergeOptions, merge, type ProfileHeader } from "./ops/merge.js";
export { type FunctionRef, type Sandwich, sandwich } from "./ops/sandwich.js";
export {
  compileMatchers,
  formatSelector,
  type LabelMatcher,
  type MatchOp,
  parseSelector,
  SelectorError,
} from "./ops/selector.js";
export { functionKey, type TopOptions, type TopRow, topFunctions } from "./ops/top.js";
// stored form: profiles interned against a shared stack dictionary
export {
  decodeStored,
  encodeStored,
  mergeStored,
  StackStore,
  type StoredProfile,
  type StoreMark,
} from "./store/index.js";

import { parseProfile as parseProfileJsonImpl } from "./importers/json.js";
/** Alias of parseProfile (the collector's JSON). */
export const parseProfileJson = parseProfileJsonImpl;
