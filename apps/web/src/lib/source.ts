/**
 * What a flamegraph shows: one stored profile, or the merge of every profile a selector matches in a time range.
 * The same shape travels in page URLs (prefixed keys), in share links' state and to the bytes endpoint.
 */
export type Source = { kind: "profile"; id: string } | { kind: "query"; selector: string; from: string; until: string };

/** Query-string keys: `<prefix>p` (profile id) or `<prefix>query` + `<prefix>from` + `<prefix>until`. */
export function sourceToParams(s: Source, prefix = "", into = new URLSearchParams()): URLSearchParams {
  if (s.kind === "profile") into.set(`${prefix}p`, s.id);
  else {
    into.set(`${prefix}query`, s.selector);
    into.set(`${prefix}from`, s.from);
    into.set(`${prefix}until`, s.until);
  }
  return into;
}

export function sourceFromParams(p: URLSearchParams, prefix = ""): Source | null {
  const id = p.get(`${prefix}p`);
  if (id) return { kind: "profile", id };
  const selector = p.get(`${prefix}query`);
  if (selector === null) return null;
  return {
    kind: "query",
    selector,
    from: p.get(`${prefix}from`) ?? "now-24h",
    until: p.get(`${prefix}until`) ?? "now",
  };
}

/** Validates an untrusted object (share link state, JSON input) as a Source. */
export function parseSource(v: unknown): Source | null {
  if (!v || typeof v !== "object") return null;
  const o = v as Record<string, unknown>;
  if (o.kind === "profile" && typeof o.id === "string" && o.id) return { kind: "profile", id: o.id };
  if (o.kind === "query" && typeof o.selector === "string" && typeof o.from === "string" && typeof o.until === "string")
    return { kind: "query", selector: o.selector, from: o.from, until: o.until };
  return null;
}

/** `view`: what the viewer reads (a profile's stored body, or the columnar payload of a merge). */
export type Download = "view" | "raw" | "pprof" | "folded" | "html";

/** URL of a source's bytes; with `share`, read through a public link (side = which of its sources). */
export function sourceUrl(
  s: Source,
  opts: { format?: Download; share?: { id: string; side: "target" | "baseline" } } = {},
): string {
  const p = new URLSearchParams();
  if (opts.share) {
    p.set("share", opts.share.id);
    p.set("side", opts.share.side);
  } else sourceToParams(s, "", p);
  if (opts.format) p.set("format", opts.format);
  return `/api/source?${p}`;
}
