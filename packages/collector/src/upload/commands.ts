/** `perforator upload FILE…` and the `record --upload` step: one profile, one link, or a file and a retry command. */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { basename, join, resolve as resolvePath } from "node:path";
import { detectFormat, isGzip, type Profile } from "@perforator/profile";
import { loadProfileFile } from "../cli/load.js";
import { CliError, EXIT } from "../errors.js";
import { encodePprof, writeFileAtomic } from "../output/index.js";
import { processComm } from "../proc/index.js";
import type { RecordResult } from "../record/session.js";
import type { UploadRequest, UploadTarget } from "./client.js";
import { uploadWithRetries } from "./delivery.js";
import { dominantProcessName, profileWindow, serviceFromName } from "./options.js";
import { decodeSpoolFile, isSpoolFile } from "./spool.js";

export const PPROF_CONTENT_TYPE = "application/octet-stream";

export interface UploadIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** A shell word, quoted when needed, for commands printed to copy. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The `perforator upload …` command that retries this upload (the token is not printed). */
export function retryCommand(
  file: string,
  req: Pick<UploadRequest, "service" | "labels" | "idempotencyKey">,
  url?: string,
): string {
  const words = ["perforator", "upload", file, "--service", req.service];
  for (const [k, v] of Object.entries(req.labels)) words.push("--label", `${k}=${v}`);
  if (req.idempotencyKey) words.push("--idempotency-key", req.idempotencyKey);
  if (url) words.push("--url", url);
  return words.map(shellWord).join(" ");
}

function contentTypeOf(bytes: Uint8Array, file: string): string {
  if (isGzip(bytes)) return PPROF_CONTENT_TYPE;
  const f = detectFormat(bytes, file);
  return f === "folded" ? "text/plain; charset=utf-8" : f === "pprof" ? PPROF_CONTENT_TYPE : "application/json";
}

/** Reads FILE into an upload request: the file's own bytes (a flamegraph page becomes pprof; a spool file keeps its key). */
function requestForFile(
  file: string,
  o: { service?: string; labels: Record<string, string>; idempotencyKey?: string },
): UploadRequest {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CliError(`cannot read ${file}: ${e.code === "ENOENT" ? "no such file" : e.message}`, EXIT.failure);
  }
  if (isSpoolFile(bytes)) {
    let spooled: ReturnType<typeof decodeSpoolFile>;
    try {
      spooled = decodeSpoolFile(bytes);
    } catch (err) {
      throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.failure);
    }
    const { meta, body } = spooled;
    return {
      service: o.service ?? meta.service,
      labels: { ...meta.labels, ...o.labels },
      ...(meta.from !== undefined ? { from: meta.from } : {}),
      ...(meta.until !== undefined ? { until: meta.until } : {}),
      body,
      contentType: meta.contentType,
      idempotencyKey: o.idempotencyKey ?? meta.key,
    };
  }
  const profile: Profile = loadProfileFile(file); // validates before anything is sent, with a clear error
  const head = Buffer.from(bytes.subarray(0, 512)).toString("utf8").trimStart().toLowerCase();
  const page = head.startsWith("<!doctype html") || head.startsWith("<html");
  const stem = basename(file).replace(/\.(pb\.gz|pb|pprof|folded|json|cpuprofile|html|txt|gz)$/i, "");
  return {
    service: o.service ?? serviceFromName(dominantProcessName(profile) ?? stem),
    labels: o.labels,
    ...profileWindow(profile),
    body: page ? encodePprof(profile) : bytes,
    contentType: page ? PPROF_CONTENT_TYPE : contentTypeOf(bytes, file),
    idempotencyKey: o.idempotencyKey ?? randomUUID(),
  };
}

/** `perforator upload FILE…`: one link per file on stdout (in order); returns the exit code. */
export async function uploadFiles(
  files: string[],
  o: {
    target: UploadTarget;
    service?: string;
    labels: Record<string, string>;
    idempotencyKey?: string;
    urlFromFlag?: string;
  },
  io: UploadIo,
): Promise<number> {
  if (o.idempotencyKey !== undefined && files.length > 1) {
    throw new CliError("--idempotency-key names one upload: pass one FILE with it", EXIT.usage);
  }
  let failed = 0;
  for (const file of files) {
    let req: UploadRequest;
    try {
      req = requestForFile(file, o);
    } catch (err) {
      io.stderr.write(`perforator: error: ${(err as Error).message}\n`);
      failed++;
      continue;
    }
    const outcome = await uploadWithRetries(o.target, req, {
      log: (m) => io.stderr.write(`perforator: ${file}: ${m}\n`),
    });
    if (outcome.kind === "ok") {
      io.stdout.write(`${outcome.url || outcome.id}\n`);
      io.stderr.write(`perforator: uploaded ${file} as service ${req.service}: profile ${outcome.id}\n`);
      continue;
    }
    failed++;
    io.stderr.write(
      `perforator: error: upload of ${file} failed: ${outcome.reason}${outcome.kind === "reject" && outcome.auth ? " (check --token / PERFORATOR_TOKEN: it must be a valid ingest token)" : ""}\n` +
        `perforator: to retry: ${retryCommand(file, req, o.urlFromFlag)}\n`,
    );
  }
  return failed > 0 ? EXIT.failure : EXIT.ok;
}

/**
 * `record --upload`: uploads the recording as pprof. On failure the profile is kept (`keptFile` when the recording was
 * already written as pprof there, else a new file in the working directory) and the retry command printed; throws a
 * CliError (exit 1) then.
 */
export async function uploadRecording(
  result: RecordResult,
  o: {
    target: UploadTarget;
    /** --service; default: the process name of the (first) target, `system` for --whole-system. */
    service: string | undefined;
    wholeSystem: boolean;
    pids: number[];
    labels: Record<string, string>;
    urlFromFlag?: string;
    keptFile?: string;
  },
  io: UploadIo,
): Promise<{ id: string; url: string }> {
  const { profile, stats } = result;
  const body = encodePprof(profile);
  const first = o.pids[0] ?? stats.child?.pid;
  const name = o.wholeSystem
    ? "system"
    : ((first !== undefined ? stats.processes.get(first) || processComm(first) || undefined : undefined) ??
      dominantProcessName(profile) ??
      "unknown");
  const req: UploadRequest = {
    service: o.service ?? serviceFromName(name),
    labels: { host: hostname(), ...o.labels },
    ...profileWindow(profile),
    body,
    contentType: PPROF_CONTENT_TYPE,
    idempotencyKey: randomUUID(),
  };
  const outcome = await uploadWithRetries(o.target, req, {
    log: (m) => io.stderr.write(`perforator: ${m}\n`),
  });
  if (outcome.kind === "ok") {
    io.stdout.write(`${outcome.url || outcome.id}\n`);
    io.stderr.write(`perforator: uploaded as service ${req.service}: profile ${outcome.id} ${outcome.url}\n`);
    return { id: outcome.id, url: outcome.url };
  }
  let file = o.keptFile;
  if (!file) {
    const name = `perforator-${new Date(profile.timeNanos / 1e6 || Date.now()).toISOString().replace(/[:.]/g, "-")}.pb.gz`;
    file = resolvePath(name);
    try {
      writeFileAtomic(file, body);
    } catch {
      file = join(tmpdir(), name);
      writeFileAtomic(file, body);
    }
  }
  const hint =
    outcome.kind === "reject" && outcome.auth
      ? " (check --token / PERFORATOR_TOKEN: it must be a valid ingest token)"
      : "";
  throw new CliError(
    `upload failed: ${outcome.reason}${hint}\nperforator: the profile is kept in ${file}\nperforator: to retry: ${retryCommand(file, req, o.urlFromFlag)}`,
    EXIT.failure,
  );
}
