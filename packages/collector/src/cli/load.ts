import { readFileSync } from "node:fs";
import { importProfile, type Profile } from "@perforator/profile";
import { CliError, EXIT } from "./args.js";

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
  try {
    return importProfile(bytes, path);
  } catch (err) {
    throw new CliError(`cannot read profile ${path}: ${(err as Error).message}`, EXIT.failure);
  }
}
