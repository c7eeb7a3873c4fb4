import { type Profile, serializeProfile, toFolded, toPprof } from "@perforator/profile";
import type { OutputFormat } from "../cli/args.js";
import { CliError, EXIT } from "../errors.js";

/** pprof protobuf, gzip-compressed (what `go tool pprof` and Pyroscope expect in `.pb.gz`). */
export function encodePprof(profile: Profile): Uint8Array {
  return toPprof(profile, { gzip: true });
}

export interface RenderOptions {
  title: string;
  baseline?: Profile;
}

type RenderStandaloneHtml = (o: { title: string; profile: Profile; baseline?: Profile }) => string | Promise<string>;

/**
 * The standalone flamegraph page of @perforator/flamegraph. Loaded when first needed so the other
 * formats work even in a build without the viewer bundle; a missing viewer is named in the error.
 */
export async function renderHtml(profile: Profile, opts: RenderOptions): Promise<string> {
  const spec = "@perforator/flamegraph/standalone";
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec)) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(
      `cannot load the flamegraph viewer (${spec}: ${(err as Error).message}): build the workspace with 'pnpm build', or use -f pprof|folded|json`,
      EXIT.failure,
    );
  }
  const render = mod.renderStandaloneHtml as RenderStandaloneHtml | undefined;
  if (typeof render !== "function") {
    throw new CliError(`${spec} has no renderStandaloneHtml(): rebuild with 'pnpm build'`, EXIT.failure);
  }
  const html = await render({ title: opts.title, profile, ...(opts.baseline ? { baseline: opts.baseline } : {}) });
  if (typeof html !== "string") throw new CliError("renderStandaloneHtml did not return HTML text", EXIT.failure);
  return html;
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
