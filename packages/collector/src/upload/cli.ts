/** `perforator upload` and the upload flags of `record`, registered on the CLI program (src/cli/main.ts). */
import { type Command, Option } from "commander";
import type { UploadIo } from "./commands.js";
import { uploadFiles } from "./commands.js";
import { parseLabel, resolveTarget } from "./options.js";

export interface UploadFlags {
  url?: string;
  token?: string;
  service?: string;
  label?: Record<string, string>;
}

/** `--url`, `--token`, `--service`, `--label k=v…` (shared by record --upload, upload and agent). */
export function addUploadOptions(cmd: Command, serviceHelp: string): Command {
  return cmd
    .option("--url <url>", "ingest URL, e.g. http://ingest:4040 (default: $PERFORATOR_URL)")
    .option("--token <token>", "ingest token (default: $PERFORATOR_TOKEN)")
    .option("--service <name>", serviceHelp)
    .addOption(
      new Option("--label <key=value>", "label for the uploaded profile; repeat for several").argParser(
        (v: string, prev?: Record<string, string>) => parseLabel(v, prev ?? {}),
      ),
    );
}

export function registerUploadCommand(program: Command, io: UploadIo, setExit: (code: number) => void): void {
  addUploadOptions(
    program
      .command("upload")
      .description(
        "upload profile files (pprof, folded, .cpuprofile, perforator JSON) to the ingest; prints one link per file",
      )
      .argument("<file...>", "profile files"),
    "service name (default: the process name most samples carry, else the file name)",
  )
    .option("--idempotency-key <key>", "reuse the key of an earlier attempt so a retry is not stored twice (one FILE)")
    .action(async (files: string[], flags: UploadFlags & { idempotencyKey?: string }) => {
      const target = resolveTarget(flags, process.env, "perforator upload");
      const code = await uploadFiles(
        files,
        {
          target,
          labels: flags.label ?? {},
          ...(flags.service !== undefined ? { service: flags.service } : {}),
          ...(flags.idempotencyKey !== undefined ? { idempotencyKey: flags.idempotencyKey } : {}),
          ...(flags.url !== undefined ? { urlFromFlag: flags.url } : {}),
        },
        io,
      );
      setExit(code);
    });
}
