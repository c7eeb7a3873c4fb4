import { readFileSync } from "node:fs";
import { importProfile, type Profile, parseProfile } from "@perforator/profile";
import { CliError, EXIT } from "../errors.js";

/**
 * Reads any profile file the profile package can import (pprof .pb/.pb.gz, folded stacks, perforator
 * json, Chrome .cpuprofile; detected from the bytes, the file name as a hint) into the profile model.
 */
export function loadProfileFile(path: string): Profile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "it is a directory" : e.message;
    throw new CliError(`cannot read profile ${path}: ${why}`, EXIT.failure);
  }
  if (bytes.length === 0) throw new CliError(`cannot read profile ${path}: the file is empty`, EXIT.failure);
  const head = Buffer.from(bytes.subarray(0, 512)).toString("utf8").trimStart().toLowerCase();
  if (head.startsWith("<!doctype html") || head.startsWith("<html")) return profileFromPage(path, bytes);
  try {
    return importProfile(bytes, path);
  } catch (err) {
    throw new CliError(`cannot read profile ${path}: ${(err as Error).message}`, EXIT.failure);
  }
}

const DATA_TAG = /<script type="application\/json" id="perforator-data">([\s\S]*?)<\/script>/;

/** A flamegraph page written by `perforator record` / `view` embeds its profile: read it back. */
function profileFromPage(path: string, bytes: Uint8Array): Profile {
  const m = DATA_TAG.exec(Buffer.from(bytes).toString("utf8"));
  if (!m) {
    throw new CliError(
      `cannot read profile ${path}: it is an HTML page without embedded perforator data; pass the pprof, folded or json file instead`,
      EXIT.failure,
    );
  }
  try {
    const data = JSON.parse(m[1]!) as { profile?: unknown };
    return parseProfile(data.profile);
  } catch (err) {
    throw new CliError(`cannot read the profile embedded in ${path}: ${(err as Error).message}`, EXIT.failure);
  }
}
