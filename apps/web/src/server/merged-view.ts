import { toPprof } from "@perforator/profile";
import type { Source } from "../lib/source";
import { columnsPayload } from "./columns";
import { cachedOrMake } from "./render-cache";
import { type Loaded, loadSource, readyDatabase } from "./sources";

/**
 * A merge's bytes in one encoding (`view`: the columnar payload; `pprof`: gzipped pprof), from the render cache, from
 * a merge already running for the same key, or merged and encoded now (and cached), with the Server-Timing value
 * that says which and where the time went.
 */
export async function mergedBytes(
  loaded: Loaded,
  encoding: "view" | "pprof",
): Promise<{ bytes: Uint8Array; timing: string }> {
  const make = async () => {
    const encode = async (): Promise<() => Uint8Array> => {
      if (encoding === "view" && loaded.columns) {
        const columns = await loaded.columns();
        return () => columnsPayload(columns);
      }
      const profile = await loaded.profile();
      return () => toPprof(profile);
    };
    const run = await encode();
    const t = performance.now();
    const bytes = run();
    return { bytes, timing: `${loaded.timing?.() ?? ""}, encode;dur=${(performance.now() - t).toFixed(1)}` };
  };
  if (!loaded.cacheKey) return make();
  const { entry, from } = await cachedOrMake(`${loaded.cacheKey} ${encoding}`, make);
  if (from === "made") return entry;
  const how = from === "cache" ? "hit" : "joined the merge in flight";
  return { bytes: entry.bytes, timing: `cache;desc="${how} (merged ${entry.timing.replace(/"/g, "'")})"` };
}

/**
 * Starts the merge a page is about to fetch (`/api/source?format=view`) while the page itself is still being
 * rendered and hydrated, so the browser's request finds it running or done. Errors are left to that request.
 */
export function prefetchMergedView(teamId: string, source: Source | null): void {
  if (source?.kind !== "query") return;
  void (async () => {
    const { db } = await readyDatabase();
    await mergedBytes(await loadSource(db, teamId, source), "view");
  })().catch(() => {});
}
