/**
 * Bytes of one StoredProfile: a "PFSP" container (layout in container.ts) whose
 *   header JSON is { storeId, storeSeries, storeDigest, samples, sampleTypes, periodType, meta }
 *   body is      numbers Float64Array(4): defaultSampleType, timeNanos, durationNanos, period (binary, so
 *                        -0, NaN and every double come back bit for bit)
 *                values  Float64Array(samples × sampleTypes.length), row-major as in StoredProfile
 *                series  Int32Array(samples), store series ids
 * Series ids are checked against a store by mergeStored (or here, when a store is passed to decodeStored).
 */
import type { ValueType } from "../model.js";
import { readContainer, writeContainer } from "./container.js";
import type { StackStore, StoredProfile } from "./stack-store.js";

export function encodeStored(sp: StoredProfile): Uint8Array {
  const nt = sp.sampleTypes.length;
  if (sp.values.length !== sp.series.length * nt) {
    throw new Error(
      `cannot encode stored profile: ${sp.series.length} samples × ${nt} sample types need ${sp.series.length * nt} values, it has ${sp.values.length}`,
    );
  }
  const header = {
    storeId: sp.storeId,
    storeSeries: sp.storeSeries,
    storeDigest: sp.storeDigest,
    samples: sp.series.length,
    sampleTypes: sp.sampleTypes.map((t) => ({ type: t.type, unit: t.unit })),
    periodType: { type: sp.periodType.type, unit: sp.periodType.unit },
    meta: sp.meta,
  };
  const numbers = Float64Array.of(sp.defaultSampleType, sp.timeNanos, sp.durationNanos, sp.period);
  return writeContainer("PFSP", header, [numbers, sp.values, sp.series]);
}

const isValueType = (v: unknown): v is ValueType =>
  v !== null &&
  typeof v === "object" &&
  typeof (v as ValueType).type === "string" &&
  typeof (v as ValueType).unit === "string";

/**
 * Reads bytes written by encodeStored. Truncated, corrupted or foreign bytes throw an Error saying what
 * is wrong. With `store`, also checks that the profile belongs to it and that the store knows every series.
 */
export function decodeStored(bytes: Uint8Array, store?: StackStore): StoredProfile {
  const r = readContainer(bytes, "PFSP");
  const h = r.header;
  const bad = (what: string): never => {
    throw new Error(`cannot decode stored profile: ${what}`);
  };
  if (typeof h.storeId !== "string") bad("header has no storeId");
  const storeId = h.storeId as string;
  const n = h.samples;
  if (!(typeof n === "number" && Number.isSafeInteger(n) && n >= 0)) bad("header field samples is not a count");
  const storeSeries = h.storeSeries;
  if (!(typeof storeSeries === "number" && Number.isSafeInteger(storeSeries) && storeSeries >= 0)) {
    bad("header field storeSeries is not a count");
  }
  const storeDigest = h.storeDigest;
  if (!(typeof storeDigest === "number" && Number.isInteger(storeDigest) && (storeDigest | 0) === storeDigest)) {
    bad("header field storeDigest is not a 32-bit integer");
  }
  if (!Array.isArray(h.sampleTypes) || h.sampleTypes.length === 0 || !h.sampleTypes.every(isValueType)) {
    bad("header sampleTypes is not a non-empty list of {type, unit}");
  }
  const sampleTypes = (h.sampleTypes as ValueType[]).map((t) => ({ type: t.type, unit: t.unit }));
  if (!isValueType(h.periodType)) bad("header periodType is not {type, unit}");
  const pt = h.periodType as ValueType;
  const meta = h.meta;
  if (
    meta === null ||
    typeof meta !== "object" ||
    Array.isArray(meta) ||
    Object.values(meta).some((v) => typeof v !== "string")
  ) {
    bad("header meta is not an object of strings");
  }
  const numbers = r.float64(4, "numbers");
  const defaultSampleType = numbers[0]!;
  if (!(Number.isInteger(defaultSampleType) && defaultSampleType >= 0 && defaultSampleType < sampleTypes.length)) {
    bad(`defaultSampleType ${defaultSampleType} is not an index into its ${sampleTypes.length} sample types`);
  }
  const values = r.float64((n as number) * sampleTypes.length, "values");
  const series = r.int32(n as number, "series");
  r.end();
  for (let i = 0; i < series.length; i++) {
    if (series[i]! < 0 || series[i]! >= (storeSeries as number)) {
      bad(`sample ${i} has series id ${series[i]}, outside the ${storeSeries} series its store had`);
    }
  }
  if (store !== undefined) {
    if (storeId !== store.id) {
      bad(`it was interned in store ${storeId}, not in this store (${store.id})`);
    }
    if ((storeSeries as number) > store.seriesCount) {
      bad(
        `it was interned when store ${storeId} had ${storeSeries} series, this copy has ${store.seriesCount}; append the store segments written after this profile first`,
      );
    }
    if (store.digestAt(storeSeries as number) !== storeDigest) {
      bad(
        `this copy of store ${storeId} has a different history than the one that interned it (a fork, or a store restored from an older copy that interned since)`,
      );
    }
  }
  return {
    storeId,
    sampleTypes,
    defaultSampleType,
    timeNanos: numbers[1]!,
    durationNanos: numbers[2]!,
    period: numbers[3]!,
    periodType: { type: pt.type, unit: pt.unit },
    meta: { ...(meta as Record<string, string>) },
    series,
    values,
    storeSeries: storeSeries as number,
    storeDigest: storeDigest as number,
  };
}
