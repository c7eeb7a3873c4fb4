/**
 * The byte format of a StackStore segment: the entries appended between two marks. A "PFST" container (container.ts)
 * whose header JSON is
 *   { storeId, from: StoreMark (counts before the segment), frames, labelSets, stacks, series (entry counts in the
 *     segment), labelInts, stackInts (lengths of those sections), strings: string[] }
 * and whose body sections are, in order (string ids index the header's `strings`, which are segment-local):
 *   frameLine   Float64Array(frames)       line of each frame
 *   frameText   Int32Array(4 × frames)     per frame: name, file, kind, module string ids
 *   labelData   Int32Array(labelInts)      per label set: pair count, then key and value string ids, keys sorted
 *   stackData   Int32Array(stackInts)      per stack: length, then frame ids (store ids, root first)
 *   seriesData  Int32Array(2 × series)     per series: label set id, stack id
 * A store is the concatenation of its segments applied in order: decode the first, append the rest.
 * The format of a stored profile is in stored-codec.ts.
 */
import { StringTable } from "../intern/string-table.js";
import type { Frame, Labels } from "../model.js";
import { readContainer, writeContainer } from "./container.js";
import type { StoreColumns, StoreMark } from "./stack-store.js";

const EMPTY: Labels = Object.freeze({});
const ZERO: StoreMark = { frames: 0, labelSets: 0, stacks: 0, series: 0 };

/** A decoded segment, checked against the counts of the store it is for (ids in range, sections complete). */
export interface Segment {
  readonly storeId: string;
  readonly frames: readonly Frame[];
  readonly labelSets: readonly Labels[];
  /** Per stack: length, then frame ids; stack i starts at stackStarts[i]. */
  readonly stackData: Int32Array;
  readonly stackStarts: Int32Array;
  /** Per series: label set id, stack id. */
  readonly seriesData: Int32Array;
}

/** Bytes of the entries of store `storeId` (columns `cols`, counts `now`) appended since `since`. */
export function encodeSegment(storeId: string, cols: StoreColumns, now: StoreMark, since: StoreMark): Uint8Array {
  for (const k of ["frames", "labelSets", "stacks", "series"] as const) {
    const v = since[k];
    if (!(Number.isInteger(v) && v >= 0 && v <= now[k])) {
      throw new RangeError(
        `encode(since): since.${k} = ${v} is not a mark of this store (it has ${now[k]} ${k}); pass a value returned by store.mark()`,
      );
    }
  }
  const table = new StringTable();
  const strings = table.strings;
  const sid = (s: string) => table.id(s);
  const nFrames = now.frames - since.frames;
  const frameLine = new Float64Array(nFrames);
  const frameText = new Int32Array(4 * nFrames);
  for (let i = 0; i < nFrames; i++) {
    const f = cols.frames[since.frames + i]!;
    frameLine[i] = f.line;
    frameText[4 * i] = sid(f.name);
    frameText[4 * i + 1] = sid(f.file);
    frameText[4 * i + 2] = sid(f.kind);
    frameText[4 * i + 3] = sid(f.module);
  }
  const labelData: number[] = [];
  for (let i = since.labelSets; i < now.labelSets; i++) {
    const l = cols.labelSets[i]!;
    const keys = Object.keys(l).sort();
    labelData.push(keys.length);
    for (const k of keys) labelData.push(sid(k), sid(String(l[k])));
  }
  const { stackPool: pool, stackOff, stackFramesAt: fa } = cols;
  let stackInts = 0;
  for (let s = since.stacks; s < now.stacks; s++) stackInts += 1 + pool[stackOff[s]! + 1]!;
  const stackData = new Int32Array(stackInts);
  let o = 0;
  for (let s = since.stacks; s < now.stacks; s++) {
    const b = stackOff[s]!;
    const n = pool[b + 1]!;
    stackData[o++] = n;
    for (let k = 0; k < n; k++) stackData[o++] = pool[b + fa + k]!;
  }
  const nSeries = now.series - since.series;
  const seriesData = new Int32Array(2 * nSeries);
  for (let i = 0; i < nSeries; i++) {
    seriesData[2 * i] = cols.seriesLabel[since.series + i]!;
    seriesData[2 * i + 1] = cols.seriesStack[since.series + i]!;
  }
  const header = {
    storeId,
    from: { frames: since.frames, labelSets: since.labelSets, stacks: since.stacks, series: since.series },
    frames: nFrames,
    labelSets: now.labelSets - since.labelSets,
    stacks: now.stacks - since.stacks,
    series: nSeries,
    labelInts: labelData.length,
    stackInts: stackData.length,
    strings,
  };
  return writeContainer("PFST", header, [frameLine, frameText, Int32Array.from(labelData), stackData, seriesData]);
}

/**
 * Decodes and checks a segment for the store `expect` (its id and current counts; omitted: a new store, counts 0,
 * the id the segment names). Truncated, corrupted or foreign bytes, a segment of another store or one that does not
 * start at the store's counts throw an Error naming the problem.
 */
export function decodeSegment(bytes: Uint8Array, expect?: { storeId: string; at: StoreMark }): Segment {
  const r = readContainer(bytes, "PFST");
  const h = r.header;
  const bad = (what: string): never => {
    throw new Error(`cannot decode stack store segment: ${what}`);
  };
  if (typeof h.storeId !== "string") bad("header has no storeId");
  const storeId = h.storeId as string;
  if (expect !== undefined && storeId !== expect.storeId) {
    bad(
      `it belongs to store ${JSON.stringify(h.storeId)}, not to this store (${expect.storeId}); segments only append to the store that wrote them`,
    );
  }
  const now = expect?.at ?? ZERO;
  const from = h.from as Record<string, unknown> | null;
  if (from === null || typeof from !== "object") bad("header has no `from` mark");
  for (const k of ["frames", "labelSets", "stacks", "series"] as const) {
    if (from![k] !== now[k]) {
      bad(
        `it starts at ${k} = ${String(from![k])} but this store has ${now[k]}; append segments in the order they were written, each exactly once`,
      );
    }
  }
  const count = (k: string): number => {
    const v = h[k];
    if (!(typeof v === "number" && Number.isSafeInteger(v) && v >= 0)) bad(`header field ${k} is not a count`);
    return v as number;
  };
  const nFrames = count("frames");
  const nLabels = count("labelSets");
  const nStacks = count("stacks");
  const nSeries = count("series");
  const strings = h.strings;
  if (!Array.isArray(strings) || strings.some((x) => typeof x !== "string")) {
    bad("header strings is not a list of strings");
  }
  const str = strings as string[];
  const frameLine = r.float64(nFrames, "frame lines");
  const frameText = r.int32(4 * nFrames, "frame names");
  const labelData = r.int32(count("labelInts"), "label sets");
  const stackData = r.int32(count("stackInts"), "stacks");
  const seriesData = r.int32(2 * nSeries, "series");
  r.end();
  const text = (i: number, what: string): string => {
    if (!(i >= 0 && i < str.length)) bad(`${what} refers to string ${i}, but the segment has ${str.length}`);
    return str[i]!;
  };
  const frames: Frame[] = [];
  for (let i = 0; i < nFrames; i++) {
    // Any kind string round-trips (the store keeps what it was given); the model's kinds are four.
    const kind = text(frameText[4 * i + 2]!, `frame ${i}`);
    frames.push(
      Object.freeze({
        name: text(frameText[4 * i]!, `frame ${i}`),
        file: text(frameText[4 * i + 1]!, `frame ${i}`),
        line: frameLine[i]!,
        kind: kind as Frame["kind"],
        module: text(frameText[4 * i + 3]!, `frame ${i}`),
      }),
    );
  }
  const labelSets: Labels[] = [];
  let o = 0;
  for (let i = 0; i < nLabels; i++) {
    const n = labelData[o++];
    if (n === undefined || n < 0 || o + 2 * n > labelData.length) bad(`label set ${i} runs past its section`);
    const pairs: [string, string][] = [];
    for (let k = 0; k < n!; k++) {
      pairs.push([text(labelData[o]!, `label set ${i}`), text(labelData[o + 1]!, `label set ${i}`)]);
      o += 2;
    }
    labelSets.push(n === 0 ? EMPTY : Object.freeze(Object.fromEntries(pairs)));
  }
  if (o !== labelData.length) bad("label set section has bytes past its last label set");
  const totalFrames = now.frames + nFrames;
  o = 0;
  const stackStarts = new Int32Array(nStacks);
  for (let i = 0; i < nStacks; i++) {
    stackStarts[i] = o;
    const n = stackData[o];
    if (n === undefined || n < 0 || o + 1 + n > stackData.length) bad(`stack ${now.stacks + i} runs past its section`);
    for (let k = 1; k <= n!; k++) {
      const f = stackData[o + k]!;
      if (!(f >= 0 && f < totalFrames))
        bad(`stack ${now.stacks + i} refers to frame ${f} (the store has ${totalFrames})`);
    }
    o += 1 + n!;
  }
  if (o !== stackData.length) bad("stack section has bytes past its last stack");
  const totalLabels = now.labelSets + nLabels;
  const totalStacks = now.stacks + nStacks;
  for (let i = 0; i < nSeries; i++) {
    const li = seriesData[2 * i]!;
    const si = seriesData[2 * i + 1]!;
    if (!(li >= 0 && li < totalLabels && si >= 0 && si < totalStacks)) {
      bad(
        `series ${now.series + i} refers to label set ${li} and stack ${si} (the store has ${totalLabels} and ${totalStacks})`,
      );
    }
  }
  return { storeId, frames, labelSets, stackData, stackStarts, seriesData };
}
