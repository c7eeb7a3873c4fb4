import { listMemberships, roleAtLeast, storeProfile } from "@perforator/db";
import type { NextRequest } from "next/server";
import { forbiddenOrigin, sameOrigin } from "../../../server/origin";
import { sessionUser, TEAM_COOKIE } from "../../../server/session";
import { errorResponse, HttpError, readyDatabase } from "../../../server/sources";
import { MAX_UPLOAD_BYTES, parseUploadedFile, serviceFromFilename } from "../../../server/upload";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const SERVICE_RE = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,99}$/;

/**
 * `POST /api/upload?filename=F[&service=S]`, body = the file. Stores it for the selected team (member or owner) and
 * answers `{ id, url }` for its /p/<id> page.
 */
export async function POST(req: NextRequest): Promise<Response> {
  if (!sameOrigin(req)) return forbiddenOrigin();
  try {
    const { database, db } = await readyDatabase();
    const user = await sessionUser(req.headers, database);
    if (!user) throw new HttpError(401, "sign in first");
    const memberships = await listMemberships(db, user.id);
    const selected = req.cookies.get(TEAM_COOKIE)?.value;
    const team = memberships.find((m) => m.teamId === selected) ?? memberships[0];
    if (!team) throw new HttpError(403, "you are not a member of any team");
    if (!roleAtLeast(team.role, "member")) throw new HttpError(403, `viewers cannot upload to team ${team.teamName}`);

    const filename = req.nextUrl.searchParams.get("filename") ?? "profile";
    const service = req.nextUrl.searchParams.get("service")?.trim() || serviceFromFilename(filename);
    if (!SERVICE_RE.test(service)) {
      throw new HttpError(
        400,
        `bad service name "${service}": letters, digits and . _ : / - only, at most 100 characters`,
      );
    }
    const declared = Number(req.headers.get("content-length") ?? 0);
    if (declared > MAX_UPLOAD_BYTES) throw new HttpError(413, `${filename} is larger than 16 MiB`);
    const bytes = await readCapped(req, MAX_UPLOAD_BYTES, filename);
    const parsed = parseUploadedFile(bytes, filename);
    if (parsed.profile.samples.length === 0) throw new HttpError(400, `${filename} has no samples: nothing to store`);
    const p = parsed.profile;
    const start = p.timeNanos > 0 ? new Date(Math.round(p.timeNanos / 1e6)) : new Date();
    const until = new Date(start.getTime() + Math.round(p.durationNanos / 1e6));
    const saved = await storeProfile(db, {
      teamId: team.teamId,
      service,
      labels: { source: "upload", filename: filename.slice(0, 200) },
      from: start,
      until,
      profile: p,
      body: Buffer.from(parsed.body),
      format: parsed.format,
    });
    return Response.json({ id: saved.id, url: `/p/${saved.id}`, service }, { status: 201 });
  } catch (err) {
    return errorResponse(err, "POST /api/upload", "could not store the profile");
  }
}

/** The request body, refusing (413) as soon as it passes `max` bytes, whatever Content-Length said. */
async function readCapped(req: Request, max: number, filename: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    const reader = req.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > max) {
        await reader.cancel();
        throw new HttpError(413, `${filename} is larger than 16 MiB`);
      }
      chunks.push(value);
    }
  }
  const out = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
