import { gzipSync } from "node:zlib";
import type { Profile } from "@perforator/profile";
import { CliError, EXIT, type OutputFormat } from "../cli/args.js";

/**
 * Encoders for the output formats, backed by the exporters of @perforator/profile and the standalone
 * viewer of @perforator/flamegraph. They are looked up when first used so a missing piece fails with a
 * message naming it instead of breaking every command.
 */
type Fn = (...args: never[]) => unknown;

async function lookup(moduleName: string, exportName: string): Promise<Fn> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(moduleName)) as Record<string, unknown>;
  } catch (err) {
    throw new CliError(
      `cannot load ${moduleName} (${(err as Error).message}): build the workspace with 'pnpm build' and retry`,
      EXIT.failure,
    );
  }
  const fn = mod[exportName];
  if (typeof fn !== "function") {
    throw new CliError(
      `${moduleName} has no ${exportName}() in this build: rebuild with 'pnpm build', or pick another --format`,
      EXIT.failure,
    );
  }
  return fn as Fn;
}

function toBytes(v: unknown, what: string): Uint8Array {
  if (typeof v === "string") return Buffer.from(v, "utf8");
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  throw new CliError(`${what} returned ${typeof v}, expected bytes or text`, EXIT.failure);
}

export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** pprof protobuf, gzip-compressed (what `go tool pprof` and Pyroscope expect in `.pb.gz`). */
export async function encodePprof(profile: Profile): Promise<Uint8Array> {
  const toPprof = (await lookup("@perforator/profile", "toPprof")) as unknown as (p: Profile) => unknown;
  const raw = toBytes(await toPprof(profile), "toPprof");
  return isGzip(raw) ? raw : gzipSync(raw);
}

export interface RenderOptions {
  title: string;
  baseline?: Profile;
}

export async function renderHtml(profile: Profile, opts: RenderOptions): Promise<string> {
  const render = (await lookup("@perforator/flamegraph/standalone", "renderStandaloneHtml")) as unknown as (o: {
    title: string;
    profile: Profile;
    baseline?: Profile;
  }) => unknown;
  const html = await render({ title: opts.title, profile, ...(opts.baseline ? { baseline: opts.baseline } : {}) });
  if (typeof html !== "string") throw new CliError("renderStandaloneHtml did not return HTML text", EXIT.failure);
  return html;
}

export async function encodeProfile(profile: Profile, format: OutputFormat, opts: RenderOptions): Promise<Uint8Array> {
  switch (format) {
    case "pprof":
      return encodePprof(profile);
    case "folded": {
      const toFolded = (await lookup("@perforator/profile", "toFolded")) as unknown as (p: Profile) => unknown;
      return toBytes(await toFolded(profile), "toFolded");
    }
    case "json": {
      const ser = (await lookup("@perforator/profile", "serializeProfile")) as unknown as (p: Profile) => unknown;
      return toBytes(await ser(profile), "serializeProfile");
    }
    case "html":
      return Buffer.from(await renderHtml(profile, opts), "utf8");
  }
}
