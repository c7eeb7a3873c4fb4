/**
 * The compact viewer format: a call tree flattened in DFS pre-order over a
 * string table, with typed arrays so a 1M-node tree costs a few tens of MB and
 * needs no object per node. This is the contract between @perforator/profile
 * (which builds it) and @perforator/flamegraph (which lays it out and draws it).
 *
 * Node 0 is the synthetic root ("all"); its total is the profile total.
 * Children of a node follow it contiguously (pre-order); `nodeParent[0] = -1`.
 * Sibling order is by frame name (classic flamegraph); the viewer may reorder.
 */
import type { FrameKind } from "./model.js";

export const FRAME_KINDS: readonly FrameKind[] = ["python", "native", "kernel", "other"];

export interface FlameTree {
  version: 1;
  /** String table. strings[0] is always "". */
  strings: string[];
  sampleType: string;
  unit: string;
  // --- frame table (one entry per distinct frame) ---
  frameName: Uint32Array; // index into strings
  frameFile: Uint32Array; // index into strings ("" when unknown)
  frameLine: Uint32Array; // 0 when unknown
  frameKind: Uint8Array; // index into FRAME_KINDS
  frameModule: Uint32Array; // index into strings
  // --- nodes, DFS pre-order; node 0 = root ---
  nodeFrame: Uint32Array; // index into the frame table (root points at a frame named "all")
  nodeParent: Int32Array;
  nodeDepth: Uint16Array;
  nodeTotal: Float64Array;
  nodeSelf: Float64Array;
  // --- diff mode only: the baseline's values for the same path (0 when absent) ---
  /** Baseline totals, raw (not scaled). Present only in a diff tree. */
  nodeBaseTotal?: Float64Array;
  nodeBaseSelf?: Float64Array;
  /** Whole-profile baseline total (the diff normalises each side by its own total). */
  baseTotal?: number;
}
