"use client";

import { COLUMNS_CONTENT_TYPE, decodeColumns, type ProfileColumns } from "@perforator/flamegraph";
import { importProfile, type Profile } from "@perforator/profile";
import { useEffect, useState } from "react";

export type LoadState =
  | { phase: "idle" }
  | { phase: "waiting"; since: number }
  | { phase: "downloading"; received: number; total: number | null }
  | { phase: "parsing" }
  | { phase: "done"; profile: Profile | ProfileColumns; bytes: number; ms: number }
  | { phase: "error"; message: string; status?: number };

/**
 * Fetches profile bytes (the stored body, parsed with importProfile, or the gzip'd columnar payload of a
 * server-side merge, inflated by the browser's DecompressionStream and read as ProfileColumns) in the browser,
 * reporting each phase so the page can show progress instead of freezing. A new URL aborts the previous request.
 */
export function useProfile(url: string | null): LoadState {
  const [state, setState] = useState<LoadState>({ phase: "idle" });
  useEffect(() => {
    if (!url) {
      setState({ phase: "idle" });
      return;
    }
    const abort = new AbortController();
    const started = performance.now();
    setState({ phase: "waiting", since: Date.now() });
    (async () => {
      const res = await fetch(url, { signal: abort.signal, credentials: "same-origin" });
      if (!res.ok) {
        const body = (await res.json().catch(() => ({}))) as { error?: string };
        setState({ phase: "error", status: res.status, message: body.error ?? `the server answered ${res.status}` });
        return;
      }
      const total = Number(res.headers.get("content-length")) || null;
      const reader = res.body!.getReader();
      const chunks: Uint8Array[] = [];
      let received = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received += value.length;
        setState({ phase: "downloading", received, total });
      }
      const bytes = new Uint8Array(received);
      let off = 0;
      for (const c of chunks) {
        bytes.set(c, off);
        off += c.length;
      }
      setState({ phase: "parsing" });
      // Let the "parsing" state paint before the synchronous parse.
      await new Promise((r) => setTimeout(r, 0));
      if (abort.signal.aborted) return;
      const profile =
        res.headers.get("content-type") === COLUMNS_CONTENT_TYPE
          ? decodeColumns(await inflate(bytes))
          : importProfile(bytes);
      if (abort.signal.aborted) return;
      setState({ phase: "done", profile, bytes: received, ms: Math.round(performance.now() - started) });
    })().catch((err: unknown) => {
      if (abort.signal.aborted) return;
      setState({ phase: "error", message: `could not load the profile: ${(err as Error).message}` });
    });
    return () => abort.abort();
  }, [url]);
  return state;
}

async function inflate(gz: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([gz as BlobPart]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
