import { COLUMNS_CONTENT_TYPE } from "@perforator/flamegraph";
import { renderStandaloneHtml } from "@perforator/flamegraph/standalone";
import { toFolded, toPprof } from "@perforator/profile";
import type { NextRequest } from "next/server";
import { type Source, sourceFromParams } from "../../../lib/source";
import { columnsPayload } from "../../../server/columns";
import { getCached, putCached } from "../../../server/render-cache";
import { sessionUser, TEAM_COOKIE } from "../../../server/session";
import {
  currentTeam,
  errorResponse,
  HttpError,
  type Loaded,
  loadSource,
  readyDatabase,
  shareState,
} from "../../../server/sources";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const FORMATS = ["view", "raw", "pprof", "folded", "html"] as const;
type Format = (typeof FORMATS)[number];

/**
 * The bytes of a profile or of a merged selection, for the viewer (`format=view`: the stored body of one profile,
 * or the columnar payload of a merge, see docs/web.md; `format=raw`: the stored body, or gzipped pprof of a merge)
 * and for downloads (pprof, folded, standalone HTML).
 * Access: the session's team, or `share=<public link id>` naming what it shows (`side=target|baseline`), nothing else.
 */
export async function GET(req: NextRequest): Promise<Response> {
  try {
    const { database, db } = await readyDatabase();
    const p = req.nextUrl.searchParams;
    const format = (p.get("format") ?? "raw") as Format;
    if (!FORMATS.includes(format)) throw new HttpError(400, `format must be one of ${FORMATS.join(", ")}`);

    let teamId: string;
    let source: Source | null;
    let baseline: Source | undefined;
    const shareId = p.get("share");
    if (shareId) {
      const share = await shareState(db, shareId);
      teamId = share.teamId;
      const side = p.get("side") ?? "target";
      source = side === "baseline" ? (share.state.baseline ?? null) : side === "target" ? share.state.target : null;
      if (!source) throw new HttpError(404, "this link has no such side");
      if (format === "html" && side === "target") baseline = share.state.baseline;
    } else {
      const user = await sessionUser(req.headers, database);
      if (!user) throw new HttpError(401, "sign in first");
      teamId = await currentTeam(db, user.id, req.cookies.get(TEAM_COOKIE)?.value);
      source = sourceFromParams(p);
      if (!source) throw new HttpError(400, 'say what to read: ?p=<profile id> or ?query={service="…"}&from=&until=');
      baseline = sourceFromParams(p, "b") ?? undefined;
    }

    const loaded = await loadSource(db, teamId, source);
    const headers: Record<string, string> = { "cache-control": "private, no-store" };
    const attach = (ext: string) => ({ "content-disposition": `attachment; filename="${safe(loaded.name)}.${ext}"` });
    if (format === "view" && loaded.columns) {
      // A merge for the viewer: its columns, gzip'd (see docs/web.md).
      const bytes = await cachedMerge(loaded, headers, loaded.columns, columnsPayload, "view");
      return new Response(bytes as BodyInit, {
        headers: { ...headers, "content-type": COLUMNS_CONTENT_TYPE, "content-length": String(bytes.length) },
      });
    }
    if (format === "raw" || format === "view") {
      const bytes = loaded.raw
        ? await loaded.raw()
        : await cachedMerge(loaded, headers, loaded.profile, (p) => toPprof(p), "pprof");
      return new Response(bytes as BodyInit, {
        headers: { ...headers, "content-type": "application/octet-stream", "content-length": String(bytes.length) },
      });
    }
    const profile = await loaded.profile();
    if (format === "pprof") {
      const bytes = toPprof(profile);
      return new Response(bytes as BodyInit, {
        headers: { ...headers, ...attach("pb.gz"), "content-type": "application/octet-stream" },
      });
    }
    if (format === "folded") {
      return new Response(toFolded(profile), {
        headers: { ...headers, ...attach("folded.txt"), "content-type": "text/plain; charset=utf-8" },
      });
    }
    const base = baseline ? await (await loadSource(db, teamId, baseline)).profile() : undefined;
    const html = renderStandaloneHtml({ title: loaded.name, profile, ...(base ? { baseline: base } : {}) });
    return new Response(html, {
      headers: { ...headers, ...attach("html"), "content-type": "text/html; charset=utf-8" },
    });
  } catch (err) {
    return errorResponse(err, "GET /api/source", "could not read the profile");
  }
}

/**
 * A merge's bytes in one encoding from the render cache, or merged, encoded and cached; the
 * Server-Timing header says which, and where the time went.
 */
async function cachedMerge<T>(
  loaded: Loaded,
  headers: Record<string, string>,
  merge: () => Promise<T>,
  encode: (merged: T) => Uint8Array,
  encoding: string,
): Promise<Uint8Array> {
  const key = loaded.cacheKey ? `${loaded.cacheKey} ${encoding}` : undefined;
  const cached = key ? getCached(key) : undefined;
  if (cached) {
    headers["server-timing"] = `cache;desc="hit (merged ${cached.timing.replace(/"/g, "'")})"`;
    return cached.bytes;
  }
  const merged = await merge();
  const t = performance.now();
  const bytes = encode(merged);
  const timing = `${loaded.timing?.() ?? ""}, encode;dur=${(performance.now() - t).toFixed(1)}`;
  headers["server-timing"] = timing;
  if (key) putCached(key, { bytes, timing });
  return bytes;
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 100);
}
