/** Format auto-detection: gzip → (pprof | text), JSON → perforator JSON or .cpuprofile, binary → pprof, text → folded. */
import { gunzipSync } from "fflate";
import type { Profile } from "../model.js";
import { isCpuProfileShape, parseCpuProfile } from "./cpuprofile.js";
import { parseFolded } from "./folded.js";
import { parseProfile } from "./json.js";
import { isGzip, parsePprof } from "./pprof.js";

export type ProfileFormat = "pprof" | "folded" | "cpuprofile" | "perforator-json";

const utf8 = /* @__PURE__ */ new TextDecoder("utf-8", { fatal: true });

function looksBinary(b: Uint8Array): boolean {
  const n = Math.min(b.length, 4096);
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c < 0x09 || (c > 0x0d && c < 0x20)) return true;
  }
  // A protobuf message can be all printable bytes in its first 4 KiB, but then it is not valid UTF-8 text
  // most of the time; leave that to the decoder below.
  return false;
}

function firstNonSpace(b: Uint8Array): number {
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0xef && c !== 0xbb && c !== 0xbf) return c;
  }
  return -1;
}

/** Guesses the format of (already gunzipped) profile bytes. */
export function detectFormat(bytes: Uint8Array, filenameHint = ""): ProfileFormat {
  const hint = filenameHint.toLowerCase();
  if (hint.endsWith(".cpuprofile")) return "cpuprofile";
  if (hint.endsWith(".pb") || hint.endsWith(".pprof") || hint.endsWith(".pb.gz")) return "pprof";
  if (firstNonSpace(bytes) === 0x7b /* { */) return "perforator-json";
  if (looksBinary(bytes)) return "pprof";
  try {
    utf8.decode(bytes.subarray(0, Math.min(bytes.length, 65536)));
  } catch {
    return "pprof";
  }
  return "folded";
}

const KIND_NAMES: Record<ProfileFormat, string> = {
  pprof: "pprof (profile.proto)",
  folded: "folded stacks text",
  cpuprofile: "Chrome .cpuprofile JSON",
  "perforator-json": "perforator-profile JSON",
};

/**
 * Reads any supported profile: pprof (raw or gzipped), folded stacks, Chrome .cpuprofile,
 * or the collector's JSON (any of them may be gzipped). Throws an error naming the file
 * and the format it tried when the content cannot be parsed.
 */
export function importProfile(bytes: Uint8Array, filenameHint?: string): Profile {
  const what = filenameHint ? `"${filenameHint}"` : "profile";
  let data = bytes;
  if (data.length === 0) throw new Error(`cannot import ${what}: the file is empty`);
  if (isGzip(data)) {
    try {
      data = gunzipSync(data);
    } catch (e) {
      throw new Error(`cannot import ${what}: it starts like gzip but does not decompress (${(e as Error).message})`);
    }
  }
  let format = detectFormat(data, filenameHint?.replace(/\.gz$/i, "") ?? "");
  try {
    if (format === "perforator-json" || format === "cpuprofile") {
      const doc: unknown = JSON.parse(new TextDecoder().decode(data));
      if (isCpuProfileShape(doc)) {
        format = "cpuprofile";
        return parseCpuProfile(doc);
      }
      if (typeof doc === "object" && doc !== null && (doc as { format?: unknown }).format === "perforator-profile") {
        format = "perforator-json";
        return parseProfile(doc);
      }
      throw new Error(
        'the JSON is neither a perforator-profile ({"format":"perforator-profile",...}) nor a .cpuprofile ({"nodes":[...]})',
      );
    }
    if (format === "pprof") return parsePprof(data);
    return parseFolded(data, { filename: filenameHint ?? "folded input" });
  } catch (e) {
    throw new Error(
      `cannot import ${what} as ${KIND_NAMES[format]}: ${(e as Error).message}. Supported formats: pprof (.pb, .pb.gz), folded stacks ("a;b;c 12" lines), Chrome .cpuprofile, perforator-profile JSON.`,
    );
  }
}
