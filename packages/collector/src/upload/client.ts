/**
 * The HTTP client of the ingest API (`POST /api/v1/profiles`, apps/ingest). One call = one attempt; what to do with
 * a failure (retry later, set aside) is decided by the caller from the outcome's `kind`.
 */

export interface UploadTarget {
  /** Base URL of the ingest service, e.g. `http://ingest:4040` (a trailing path prefix is kept). */
  url: string;
  /** Ingest token (`Authorization: Bearer …`). */
  token: string;
}

export interface UploadRequest {
  service: string;
  /** Sent as `label=k:v` query parameters. */
  labels: Record<string, string>;
  /** Unix seconds of the profile's start and end, when known. */
  from?: number;
  until?: number;
  body: Uint8Array;
  contentType: string;
  /** Same key again → the ingest answers with the first profile and stores nothing new. */
  idempotencyKey?: string;
}

export type UploadOutcome =
  | { kind: "ok"; id: string; url: string; status: number }
  /** Worth another attempt later: no answer, 5xx, 408 or 429 (`retryAfterMs` from Retry-After). */
  | { kind: "retry"; status?: number; reason: string; retryAfterMs?: number }
  /** The ingest refused this request (another 4xx): retrying the same request gives the same answer. */
  | { kind: "reject"; status: number; reason: string; auth: boolean };

/** The `POST /api/v1/profiles?…` URL for a request. */
export function uploadUrl(base: string, req: Pick<UploadRequest, "service" | "labels" | "from" | "until">): string {
  const u = new URL(base);
  u.pathname = `${u.pathname.replace(/\/+$/, "")}/api/v1/profiles`;
  u.searchParams.set("service", req.service);
  for (const [k, v] of Object.entries(req.labels)) u.searchParams.append("label", `${k}:${v}`);
  if (req.from !== undefined) u.searchParams.set("from", String(Math.floor(req.from)));
  if (req.until !== undefined) u.searchParams.set("until", String(Math.ceil(req.until)));
  return u.toString();
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The error text of an answer: `{"error": …}` / `{"message": …}` JSON, or the start of the body. */
async function reasonOf(res: Response): Promise<string> {
  let text = "";
  try {
    text = await res.text();
  } catch {
    // body unreadable: the status says enough
  }
  let detail = text.trim().slice(0, 300);
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown };
    const m = typeof j.error === "string" ? j.error : typeof j.message === "string" ? j.message : undefined;
    if (m) detail = m;
  } catch {
    // not JSON
  }
  const status = `${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
  return detail ? `${status}: ${detail}` : status;
}

/** One upload attempt. Never throws for network or HTTP failures: they are outcomes. */
export async function uploadOnce(
  target: UploadTarget,
  req: UploadRequest,
  opts: { timeoutMs?: number } = {},
): Promise<UploadOutcome> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${target.token}`,
    "content-type": req.contentType,
  };
  if (req.idempotencyKey) headers["idempotency-key"] = req.idempotencyKey;
  let res: Response;
  try {
    res = await fetch(uploadUrl(target.url, req), {
      method: "POST",
      headers,
      body: req.body,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why =
      e.name === "TimeoutError"
        ? `no answer within ${Math.round((opts.timeoutMs ?? 30_000) / 1000)} s`
        : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { kind: "retry", reason: `cannot reach ${target.url}: ${why}` };
  }
  if (res.status >= 200 && res.status < 300) {
    let body: { id?: unknown; url?: unknown };
    try {
      body = (await res.json()) as { id?: unknown; url?: unknown };
    } catch {
      body = {};
    }
    if (typeof body.id !== "string" && typeof body.id !== "number") {
      return { kind: "retry", status: res.status, reason: `${res.status} without a profile id in the answer` };
    }
    return { kind: "ok", id: String(body.id), url: typeof body.url === "string" ? body.url : "", status: res.status };
  }
  const reason = await reasonOf(res);
  if (res.status === 429 || res.status === 408 || res.status >= 500) {
    const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"));
    return { kind: "retry", status: res.status, reason, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }
  return { kind: "reject", status: res.status, reason, auth: res.status === 401 || res.status === 403 };
}

/** Exponential backoff with full jitter: a random wait in [base/2, min(cap, base·2^attempt)]. */
export function backoffMs(
  attempt: number,
  opts: { baseMs?: number; capMs?: number; random?: () => number } = {},
): number {
  const base = opts.baseMs ?? 1000;
  const cap = opts.capMs ?? 60_000;
  const top = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  const low = Math.min(top, base / 2);
  return Math.round(low + (opts.random ?? Math.random)() * (top - low));
}
