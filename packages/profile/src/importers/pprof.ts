/**
 * pprof (profile.proto), raw or gzipped. pprof stacks are leaf first (and a location's
 * inlined lines are innermost first); the model is root first, so both are reversed.
 * The protobuf reader is `pprof-reader.ts`; this file adds the gzip layer.
 */
import { gunzipSync } from "fflate";
import type { Profile } from "../model.js";
import { decodePprofMessage, type PprofScan, scanPprofMessage } from "./pprof-reader.js";

export type { PprofScan } from "./pprof-reader.js";

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Deflate expands at most ~1032:1; a larger size in the gzip trailer means a cut or corrupt stream. */
const MAX_RATIO = 1032;

function inflate(input: Uint8Array): Uint8Array {
  if (!isGzip(input)) return input;
  // fflate allocates the output at the size the trailer (the last 4 bytes) claims: check it first, so a cut
  // stream fails fast instead of allocating up to 4 GiB.
  const n = input.length;
  const claimed =
    n >= 18 ? (input[n - 4]! | (input[n - 3]! << 8) | (input[n - 2]! << 16) | (input[n - 1]! << 24)) >>> 0 : 0;
  if (claimed > n * MAX_RATIO + 65536) {
    throw new Error(
      `pprof: the gzip stream is corrupt or truncated (its trailer claims ${claimed} bytes from ${n} compressed)`,
    );
  }
  try {
    return gunzipSync(input);
  } catch (e) {
    throw new Error(`pprof: the gzip stream is corrupt or truncated (${(e as Error).message})`);
  }
}

/** Decodes a pprof profile (raw or gzipped) into the profile model; throws an Error naming the problem and where. */
export function parsePprof(input: Uint8Array): Profile {
  return decodePprofMessage(inflate(input));
}

/**
 * The cheap path for an upload handler: checks everything {@link parsePprof} checks (it throws the same error for
 * the same input) and returns the sample types, period, times, sample count and value totals, without building
 * frames or samples.
 */
export function scanPprof(input: Uint8Array): PprofScan {
  return scanPprofMessage(inflate(input));
}
