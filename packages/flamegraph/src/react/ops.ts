/**
 * The profile operations the viewer uses, from @perforator/profile (the viewer imports them only from here, so the
 * set it depends on is in one place).
 */
export {
  buildDiffFlameTree,
  buildFlameTree,
  type FrameMatch,
  sandwich,
  type TopDiffRow,
  type TopRow,
  topFunctions,
  topFunctionsDiff,
} from "@perforator/profile";
