import { readReportBodies } from "@perforator/db";
import type { NextRequest } from "next/server";
import { renderReportShell, resolveReport } from "../../../server/reports";
import { sessionUser } from "../../../server/session";
import { errorResponse, HttpError, readyDatabase } from "../../../server/sources";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/**
 * A report's frozen profiles for its flamegraph (`side=baseline|target`: gzip'd profile JSON, parsed in the browser)
 * and its export (`side=html`: the self-contained page with both profiles, the report page adds the document). `id` is the report's slug (team members) or a public link
 * id (anyone); anything else is a 404.
 */
export async function GET(req: NextRequest): Promise<Response> {
  try {
    const { database, db } = await readyDatabase();
    const p = req.nextUrl.searchParams;
    const side = p.get("side") ?? "target";
    if (!["baseline", "target", "html"].includes(side))
      throw new HttpError(400, "side must be baseline, target or html");
    const user = await sessionUser(req.headers, database);
    const r = await resolveReport(db, user?.id ?? null, p.get("id") ?? "");
    if (!r) throw new HttpError(404, "this report does not exist, or its link was revoked");
    const headers = { "cache-control": "private, no-store" };
    if (side === "html") {
      const name = r.report.title.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80) || "report";
      return new Response(await renderReportShell(db, r), {
        headers: {
          ...headers,
          "content-type": "text/html; charset=utf-8",
          "content-disposition": `attachment; filename="${name}.html"`,
        },
      });
    }
    const bodies = await readReportBodies(db, r.teamId, r.report.slug, { gzip: true });
    if (!bodies) throw new HttpError(404, "this report does not exist");
    const bytes = side === "baseline" ? bodies.baseline : bodies.target;
    return new Response(bytes as BodyInit, {
      headers: { ...headers, "content-type": "application/octet-stream", "content-length": String(bytes.length) },
    });
  } catch (err) {
    return errorResponse(err, "GET /api/report", "could not read the report");
  }
}
