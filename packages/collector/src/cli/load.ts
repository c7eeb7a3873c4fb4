import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import type { Profile } from "@perforator/profile";
import { CliError, EXIT } from "./args.js";

export type InputKind = "pprof" | "json" | "folded";

/** Sniffs a profile file: gzip or protobuf → pprof, a JSON object → perforator json, text lines → folded. */
export function sniffProfile(bytes: Uint8Array): { kind: InputKind; data: Uint8Array } {
  let data = bytes;
  if (data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b) data = gunzipSync(data);
  let i = 0;
  while (i < data.length && (data[i] === 0x20 || data[i] === 0x0a || data[i] === 0x0d || data[i] === 0x09)) i++;
  if (data[i] === 0x7b) return { kind: "json", data };
  // pprof starts with a protobuf tag: field 1 (sample_type, wire type 2) = 0x0a, or another small field tag.
  const head = data.subarray(0, Math.min(data.length, 512));
  const binary = head.some((b) => b < 0x09 || (b > 0x0d && b < 0x20 && b !== 0x1b));
  if (binary) return { kind: "pprof", data };
  return { kind: "folded", data };
}

const IMPORTERS: Record<InputKind, string[]> = {
  pprof: ["fromPprof", "parsePprof", "importPprof"],
  json: ["deserializeProfile", "parseProfileJson"],
  folded: ["fromFolded", "parseFolded", "importFolded"],
};

/** Reads any supported profile file into the profile model. */
export async function loadProfileFile(path: string): Promise<Profile> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "it is a directory" : e.message;
    throw new CliError(`cannot read profile ${path}: ${why}`, EXIT.failure);
  }
  let sniffed: { kind: InputKind; data: Uint8Array };
  try {
    sniffed = sniffProfile(bytes);
  } catch (err) {
    throw new CliError(`cannot read profile ${path}: corrupt gzip data (${(err as Error).message})`, EXIT.failure);
  }
  const mod = (await import("@perforator/profile")) as unknown as Record<string, unknown>;
  const name = IMPORTERS[sniffed.kind].find((n) => typeof mod[n] === "function");
  if (!name) {
    throw new CliError(
      `cannot read profile ${path}: this build has no ${sniffed.kind} importer in @perforator/profile; rebuild with 'pnpm build'`,
      EXIT.failure,
    );
  }
  const importer = mod[name] as (input: Uint8Array | string) => Profile | Promise<Profile>;
  try {
    const input = sniffed.kind === "pprof" ? sniffed.data : Buffer.from(sniffed.data).toString("utf8");
    return await importer(input);
  } catch (err) {
    throw new CliError(
      `cannot read profile ${path} as ${sniffed.kind}: ${(err as Error).message}; supported: pprof (.pb, .pb.gz), folded stacks, perforator json`,
      EXIT.failure,
    );
  }
}
