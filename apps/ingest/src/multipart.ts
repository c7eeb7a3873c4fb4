/** A small multipart/form-data reader for already-buffered bodies (the ingest body limit is 4 MiB). */
import { BadRequest } from "./pyroscope.js";

export interface FormPart {
  name: string;
  filename: string | undefined;
  contentType: string | undefined;
  data: Buffer;
}

export function boundaryOf(contentType: string): string {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const b = m?.[1] ?? m?.[2];
  if (!b) throw new BadRequest("multipart/form-data request without a boundary in its Content-Type header");
  return b;
}

export function parseMultipart(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw new BadRequest("multipart body does not contain its boundary: the upload is malformed");
  for (;;) {
    pos += delimiter.length;
    // "--" after a delimiter ends the body.
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parts;
    if (body[pos] === 0x0d && body[pos + 1] === 0x0a) pos += 2;
    // A part with no headers starts with the blank line straight away.
    const headerEnd = body[pos] === 0x0d && body[pos + 1] === 0x0a ? pos - 2 : body.indexOf("\r\n\r\n", pos);
    if (headerEnd < 0) throw new BadRequest("multipart part without a header terminator: the upload is truncated");
    const headers = body.subarray(pos, Math.max(pos, headerEnd)).toString("latin1").split("\r\n");
    const next = body.indexOf(Buffer.concat([Buffer.from("\r\n"), delimiter]), headerEnd + 4);
    if (next < 0) throw new BadRequest("multipart body ends without its closing boundary: the upload is truncated");
    let name: string | undefined;
    let filename: string | undefined;
    let contentType: string | undefined;
    for (const h of headers) {
      const colon = h.indexOf(":");
      if (colon < 0) continue;
      const key = h.slice(0, colon).trim().toLowerCase();
      const value = h.slice(colon + 1).trim();
      if (key === "content-disposition") {
        name = /\bname="([^"]*)"/i.exec(value)?.[1];
        filename = /\bfilename="([^"]*)"/i.exec(value)?.[1];
      } else if (key === "content-type") {
        contentType = value;
      }
    }
    if (name !== undefined) parts.push({ name, filename, contentType, data: body.subarray(headerEnd + 4, next) });
    pos = next + 2;
  }
}
