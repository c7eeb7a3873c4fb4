/**
 * Input limits of the upload endpoints: body and inflated sizes, service names and labels.
 * Every violation is an {@link HttpError} whose status and message the client can act on.
 */
import { promisify } from "node:util";
import { gunzip, gunzipSync } from "node:zlib";

/** Largest accepted request body (compressed or not). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Largest accepted profile once inflated (a gzip body is inflated with this cap, whatever its trailer says). */
export const MAX_INFLATED_BYTES = 256 * 1024 * 1024;
export const MAX_LABELS = 64;
/** Largest `key:value` label (both parts together), in bytes. */
export const MAX_LABEL_BYTES = 1024;

/** An error answered with its HTTP status; `reason` is the metrics label of the rejection. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly statusCode: number,
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

export class BadRequest extends HttpError {
  override name = "BadRequest";
  constructor(message: string, reason = "bad_request") {
    super(400, message, reason);
  }
}

export function mib(n: number): string {
  return `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;
}

export function isGzipped(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

function isTooLarge(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE" || err instanceof RangeError;
}

const gunzipAsync = promisify(gunzip) as (buf: Uint8Array, opts: { maxOutputLength: number }) => Promise<Buffer>;

/**
 * Bodies up to this size are inflated inline (typically well under a millisecond), with output capped at
 * INLINE_INFLATED_BYTES so a small bomb cannot hold the event loop; anything bigger goes to the thread pool.
 */
const INLINE_INFLATE_BYTES = 256 * 1024;
const INLINE_INFLATED_BYTES = 16 * 1024 * 1024;

/**
 * Inflates a gzip body, stopping at `cap` bytes of output: a gzip bomb is refused after inflating at most
 * `cap` bytes, whatever sizes its header or trailer claim. Not gzip: returned as is. Small bodies (typical
 * uploads) inflate synchronously: a thread-pool round trip would cost more than the work and wait for the event loop.
 */
export async function inflateCapped(body: Buffer, cap = MAX_INFLATED_BYTES): Promise<Buffer> {
  if (!isGzipped(body)) return body;
  try {
    if (body.length <= INLINE_INFLATE_BYTES) {
      const inlineCap = Math.min(cap, INLINE_INFLATED_BYTES);
      try {
        return gunzipSync(body, { maxOutputLength: inlineCap });
      } catch (err) {
        if (!isTooLarge(err) || inlineCap === cap) throw err;
      }
    }
    return await gunzipAsync(body, { maxOutputLength: cap });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (isTooLarge(e)) {
      throw new HttpError(
        413,
        `the gzipped profile inflates to more than ${mib(cap)}: send shorter profiles (e.g. every 10 s instead of every minute)`,
        "inflated_too_large",
      );
    }
    throw new BadRequest(
      `the body starts like gzip but does not decompress (${e.message}): send the complete file, gzipped or raw`,
      "bad_gzip",
    );
  }
}

/** Service names: letters, digits and `. _ - : /`, starting with a letter, digit or `_`, at most 200 characters. */
const SERVICE_RE = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,199}$/;
const LABEL_KEY_RE = /^[A-Za-z_][A-Za-z0-9_.]{0,127}$/;

export function checkService(raw: unknown): string {
  if (typeof raw !== "string" || raw.trim() === "") {
    throw new BadRequest(
      'missing query parameter "service": the name of the profiled program, e.g. service=shop.api',
      "bad_service",
    );
  }
  if (!SERVICE_RE.test(raw)) {
    throw new BadRequest(
      `invalid service name "${raw.slice(0, 300)}": use at most 200 letters, digits and . _ - : / (starting with a letter, digit or _), e.g. service=shop.api`,
      "bad_service",
    );
  }
  return raw;
}

/** Checks a label set (from any source: query, Pyroscope name): count, key syntax, size. */
export function checkLabels(labels: Record<string, string>): Record<string, string> {
  const keys = Object.keys(labels);
  if (keys.length > MAX_LABELS) {
    throw new BadRequest(`${keys.length} labels: at most ${MAX_LABELS} are accepted per profile`, "too_many_labels");
  }
  for (const k of keys) {
    const v = labels[k]!;
    if (!LABEL_KEY_RE.test(k)) {
      throw new BadRequest(
        `invalid label name "${k.slice(0, 200)}": use letters, digits, _ and . (starting with a letter or _), at most 128 characters`,
        "bad_label",
      );
    }
    if (Buffer.byteLength(k) + Buffer.byteLength(v) > MAX_LABEL_BYTES) {
      throw new BadRequest(
        `label "${k}" is ${Buffer.byteLength(k) + Buffer.byteLength(v)} bytes: a label (name and value) may be at most ${MAX_LABEL_BYTES} bytes`,
        "label_too_large",
      );
    }
  }
  return labels;
}

/** `label=k:v` query parameters (one string or several) → a label set, checked. */
export function parseLabelParams(raw: unknown): Record<string, string> {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (list.length > MAX_LABELS) {
    throw new BadRequest(`${list.length} labels: at most ${MAX_LABELS} are accepted per profile`, "too_many_labels");
  }
  const labels: Record<string, string> = {};
  for (const item of list) {
    const s = String(item);
    const colon = s.indexOf(":");
    if (colon <= 0) {
      throw new BadRequest(
        `invalid label "${s.slice(0, 200)}": write label=name:value, e.g. label=env:staging`,
        "bad_label",
      );
    }
    labels[s.slice(0, colon)] = s.slice(colon + 1);
  }
  return checkLabels(labels);
}
