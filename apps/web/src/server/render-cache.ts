/**
 * Recently merged flamegraph payloads (the viewer's columnar payload, gzipped pprof) by encoding, team + selector + absolute range + the stamp of the
 * profiles in it (count and newest upload: a new or late upload changes the key), least recently used evicted past a
 * byte budget (PERFORATOR_RENDER_CACHE_MB, default 128). A relative range ("last 24 hours") resolves against "now" rounded down to
 * QUANTUM_MS, so reopening a link, switching tabs back or a second viewer within that window reuses the merge.
 */
export const QUANTUM_MS = 15_000;
const BUDGET_BYTES = Number(process.env.PERFORATOR_RENDER_CACHE_MB ?? 128) * 1024 * 1024;

export interface Entry {
  bytes: Uint8Array;
  timing: string;
}

const entries = new Map<string, Entry>();
let used = 0;

export function quantizedNow(now = Date.now()): number {
  return Math.floor(now / QUANTUM_MS) * QUANTUM_MS;
}

export function getCached(key: string): Entry | undefined {
  const e = entries.get(key);
  if (e) {
    entries.delete(key); // most recently used goes last
    entries.set(key, e);
  }
  return e;
}

export function putCached(key: string, e: Entry): void {
  if (e.bytes.length > BUDGET_BYTES / 4) return; // one huge merge must not flush everything else
  const old = entries.get(key);
  if (old) {
    used -= old.bytes.length;
    entries.delete(key);
  }
  entries.set(key, e);
  used += e.bytes.length;
  for (const [k, v] of entries) {
    if (used <= BUDGET_BYTES) break;
    entries.delete(k);
    used -= v.bytes.length;
  }
}

const inflight = new Map<string, Promise<Entry>>();

/**
 * The entry for `key`: cached, being made by an earlier caller (a page's server render starts the merge before the
 * browser asks for it), or made now by `make` and cached. A failed `make` is not cached: the next caller tries again.
 */
export async function cachedOrMake(
  key: string,
  make: () => Promise<Entry>,
): Promise<{ entry: Entry; from: "cache" | "in flight" | "made" }> {
  const hit = getCached(key);
  if (hit) return { entry: hit, from: "cache" };
  const pending = inflight.get(key);
  if (pending) return { entry: await pending, from: "in flight" };
  const p = make();
  inflight.set(key, p);
  try {
    const entry = await p;
    putCached(key, entry);
    return { entry, from: "made" };
  } finally {
    inflight.delete(key);
  }
}
