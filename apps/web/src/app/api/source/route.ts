import { COLUMNS_CONTENT_TYPE } from "@perforator/flamegraph";
import { renderStandaloneHtml } from "@perforator/flamegraph/standalone";
import { toFolded, toPprof } from "@perforator/profile";
import type { NextRequest } from "next/server";
import { type Source, sourceFromParams } from "../../../lib/source";
import { mergedBytes } from "../../../server/merged-view";
import { sessionUser, TEAM_COOKIE } from "../../../server/session";
import { currentTeam, errorResponse, HttpError, loadSource, readyDatabase, shareState } from "../../../server/sources";

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
    if (format === "raw" || format === "view") {
      let bytes: Uint8Array;
      let type = "application/octet-stream";
      if (loaded.raw) bytes = await loaded.raw();
      else {
        // A merge: for the viewer its columns, gzip'd (see docs/web.md); raw is gzipped pprof.
        const merged = await mergedBytes(loaded, format === "view" ? "view" : "pprof");
        bytes = merged.bytes;
        headers["server-timing"] = merged.timing;
        if (format === "view") type = COLUMNS_CONTENT_TYPE;
      }
      return new Response(bytes as BodyInit, {
        headers: { ...headers, "content-type": type, "content-length": String(bytes.length) },
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

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 100);
}
