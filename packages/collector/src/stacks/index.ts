export { isEvalFrame, type MergeContext, type MergeStats, mergeStack, splitActivations } from "./merge.js";
export {
  createStackResolver,
  type ProcessSummary,
  type PythonFrames,
  pythonFramesFor,
  type StackResolver,
  type StackResolverOptions,
  type UserSymbolizer,
} from "./resolver.js";
