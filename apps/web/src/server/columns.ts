import { gzipSync } from "node:zlib";
import type { RollupData } from "@perforator/db";
import { columnsHeader, encodeColumns, frameColumns, type ProfileColumns } from "@perforator/flamegraph";

/**
 * A merge's columns as the viewer's ProfileColumns: the ColumnMerger's frames go to a string table, everything
 * else (stacks, series, values, label sets) is passed on as it is, with no object per sample.
 */
export function mergedColumns(d: RollupData): ProfileColumns {
  const u32 = (a: Int32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
  return {
    kind: "columns",
    ...columnsHeader(d.header),
    ...frameColumns(d.frames),
    stackOff: u32(d.stackOff),
    stackPool: u32(d.stackPool),
    labelSets: d.labelSets,
    seriesStack: u32(d.seriesStack),
    seriesLabels: u32(d.seriesLabel),
    values: d.values,
  };
}

/** No profile matched: one sample type (the asked one, else "samples"), no frames. */
export function emptyColumns(sampleType: string | undefined): ProfileColumns {
  const t = { type: sampleType ?? "samples", unit: "count" };
  return {
    kind: "columns",
    ...columnsHeader({
      sampleTypes: [t],
      defaultSampleType: 0,
      timeNanos: 0,
      durationNanos: 0,
      period: 0,
      periodType: t,
      meta: {},
    }),
    ...frameColumns([]),
    stackOff: new Uint32Array(1),
    stackPool: new Uint32Array(0),
    labelSets: [],
    seriesStack: new Uint32Array(0),
    seriesLabels: new Uint32Array(0),
    values: new Float64Array(0),
  };
}

/** The payload bytes: encodeColumns, gzip level 1 (the browser inflates with DecompressionStream). */
export function columnsPayload(c: ProfileColumns): Uint8Array {
  return gzipSync(encodeColumns(c), { level: 1 });
}
