import { readStandaloneHtml } from "@perforator/flamegraph/standalone";
import { detectFormat, importProfile, isGzip, type Profile, serializeProfile } from "@perforator/profile";
import { gunzipSync } from "fflate";
import { HttpError } from "./sources";

export const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;
const MAX_INFLATED_BYTES = 256 * 1024 * 1024;

export interface ParsedFile {
  profile: Profile;
  /** What to store: the file as uploaded, or the embedded profile as JSON for an HTML page. */
  body: Uint8Array;
  format: string;
}

/**
 * A file dropped on /upload: pprof (raw or gzip), folded stacks, Chrome .cpuprofile, our JSON, or a flamegraph page
 * written by `perforator record -o x.html` (its embedded profile). 400 naming the problem otherwise.
 */
export function parseUploadedFile(bytes: Uint8Array, filename: string): ParsedFile {
  if (bytes.length === 0) throw new HttpError(400, `${filename} is empty`);
  if (bytes.length > MAX_UPLOAD_BYTES) throw new HttpError(413, `${filename} is larger than 16 MiB`);
  let data = bytes;
  if (isGzip(bytes)) {
    try {
      data = gunzipSync(bytes);
    } catch (err) {
      throw new HttpError(400, `${filename} looks gzipped but does not inflate: ${(err as Error).message}`);
    }
    if (data.length > MAX_INFLATED_BYTES) throw new HttpError(413, `${filename} inflates to more than 256 MiB`);
  }
  const head = new TextDecoder().decode(data.subarray(0, 512)).trimStart().toLowerCase();
  if (head.startsWith("<!doctype html") || head.startsWith("<html")) {
    let page: ReturnType<typeof readStandaloneHtml>;
    try {
      page = readStandaloneHtml(new TextDecoder().decode(data));
    } catch (err) {
      throw new HttpError(400, `the profile embedded in ${filename} is not valid: ${(err as Error).message}`);
    }
    if (!page) {
      throw new HttpError(
        400,
        `${filename} is an HTML page without an embedded profile: upload the pprof, folded or JSON file instead`,
      );
    }
    return {
      profile: page.profile,
      body: new TextEncoder().encode(serializeProfile(page.profile)),
      format: "perforator-json",
    };
  }
  let profile: Profile;
  try {
    profile = importProfile(data, filename);
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
  const format = detectFormat(data, filename);
  return { profile, body: bytes, format };
}

/** A service name from a file name: `server.py.pb.gz` → `server.py`. */
export function serviceFromFilename(filename: string): string {
  const base = filename.replace(/^.*[\\/]/, "").replace(/\.(gz|pb|pprof|folded|txt|json|cpuprofile|html?)$/gi, "");
  const again = base.replace(/\.(pb|pprof|folded|txt|json|cpuprofile|html?)$/gi, "");
  const clean = again.replace(/[^A-Za-z0-9_.:/-]+/g, "-").replace(/^[^A-Za-z0-9_]+/, "");
  return clean.slice(0, 100) || "upload";
}
