/**
 * The compactor in a worker thread: the same passes as startCompactor, but parsing and merging profiles happens
 * off the event loop of the process that serves uploads (a pass parses every new profile once, tens of
 * milliseconds each, which would otherwise delay requests). The thread opens its own database connection.
 */
import { setPriority } from "node:os";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { type CompactResult, startCompactor } from "./compactor.js";
import { openDatabase } from "./database.js";

export interface CompactorThreadOptions {
  /** Database and blob store, as for openDatabase (defaults: DATABASE_URL, PERFORATOR_DATA_DIR, PERFORATOR_BLOB_URL). */
  url?: string;
  dataDir?: string;
  blobUrl?: string;
  /** Milliseconds between passes (default 10 s). */
  intervalMs?: number;
  graceMs?: number;
  /**
   * Nice value of the compactor's thread (default 10): uploads are answered first, the compactor catches up
   * with what the CPUs have left. 0 keeps the process's own priority.
   */
  nice?: number;
  /** Called after each pass with what it did (from the main thread). */
  onPass?: (r: CompactResult) => void;
  onError?: (message: string) => void;
}

export interface CompactorThread {
  /** Stops after the pass in progress, closes the thread's connection and ends the thread. */
  stop(): Promise<void>;
}

type FromWorker = { pass: CompactResult } | { error: string } | { stopped: true };

export function startCompactorThread(opts: CompactorThreadOptions = {}): CompactorThread {
  const { onPass, onError, ...data } = opts;
  const worker = new Worker(fileURLToPath(import.meta.url), { workerData: data });
  worker.unref();
  let resolveStopped: () => void = () => {};
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });
  worker.on("message", (m: FromWorker) => {
    if ("pass" in m) onPass?.(m.pass);
    else if ("error" in m) (onError ?? ((e: string) => console.error(`compactor: ${e}`)))(m.error);
    else resolveStopped();
  });
  worker.on("error", (err) => (onError ?? console.error)(`compactor thread failed: ${err.message}`));
  worker.on("exit", () => resolveStopped());
  return {
    async stop() {
      worker.postMessage("stop");
      await stopped;
      await worker.terminate();
    },
  };
}

if (!isMainThread && parentPort && (workerData as { intervalMs?: number } | null) !== undefined) {
  const data = workerData as Omit<CompactorThreadOptions, "onPass" | "onError">;
  const port = parentPort;
  // On Linux the nice value is per thread: this lowers the priority of this thread only, not the request loop's.
  try {
    if ((data.nice ?? 10) !== 0) setPriority(0, data.nice ?? 10);
  } catch (err) {
    port.postMessage({ error: `could not lower the compactor thread's priority: ${(err as Error).message}` });
  }
  const db = openDatabase({ url: data.url, dataDir: data.dataDir, blobUrl: data.blobUrl });
  const handle = startCompactor(db, {
    intervalMs: data.intervalMs,
    graceMs: data.graceMs,
    onPass: (r) => port.postMessage({ pass: r } satisfies FromWorker),
    onError: (e) => port.postMessage({ error: (e as Error).message ?? String(e) } satisfies FromWorker),
  });
  port.on("message", async (m) => {
    if (m !== "stop") return;
    await handle.stop();
    await db.close();
    port.postMessage({ stopped: true } satisfies FromWorker);
  });
}
