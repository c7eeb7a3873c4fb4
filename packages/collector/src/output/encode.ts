/** A finished profile as bytes: the flamegraph page, pprof, folded stacks or perforator JSON. */
import { type FrameMatch, type Profile, serializeProfile, toFolded, toPprof } from "@perforator/profile";
import { CliError, EXIT } from "../errors.js";

/** The file formats a profile is written in. */
export const OUTPUT_FORMATS = ["html", "pprof", "folded", "json"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** pprof protobuf, gzip-compressed (what `go tool pprof` and Pyroscope expect in `.pb.gz`). */
export function encodePprof(profile: Profile): Uint8Array {
  return toPprof(profile, { gzip: true });
}

export interface RenderOptions {
  title: string;
  baseline?: Profile;
  /** In a diff, how frames are matched (the page's default: by name). */
  match?: FrameMatch;
}

/**
 * The standalone flamegraph page of @perforator/flamegraph (its `./standalone` export). Loaded when first needed so
 * the other formats work even in a build without the viewer; a missing viewer is named in the error.
 */
export async function renderHtml(profile: Profile, opts: RenderOptions): Promise<string> {
  let viewer: typeof import("@perforator/flamegraph/standalone");
  try {
    viewer = await import("@perforator/flamegraph/standalone");
  } catch (err) {
    throw new CliError(
      `cannot load the flamegraph viewer (@perforator/flamegraph/standalone: ${(err as Error).message}): build the workspace with 'pnpm build', or use -f pprof|folded|json`,
      EXIT.failure,
    );
  }
  return viewer.renderStandaloneHtml({
    title: opts.title,
    profile,
    ...(opts.baseline ? { baseline: opts.baseline, ...(opts.match ? { match: opts.match } : {}) } : {}),
  });
}

export async function encodeProfile(profile: Profile, format: OutputFormat, opts: RenderOptions): Promise<Uint8Array> {
  switch (format) {
    case "pprof":
      return encodePprof(profile);
    case "folded": {
      // Sample counts (integers), as flamegraph.pl, speedscope and py-spy's raw output use; not nanoseconds.
      const counts = profile.sampleTypes.findIndex((t) => t.type === "samples" && t.unit === "count");
      return Buffer.from(toFolded(profile, counts >= 0 ? { valueIndex: counts } : {}), "utf8");
    }
    case "json":
      return Buffer.from(serializeProfile(profile), "utf8");
    case "html":
      return Buffer.from(await renderHtml(profile, opts), "utf8");
  }
}
