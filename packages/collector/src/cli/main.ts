import { basename, resolve as resolvePath } from "node:path";
import { FRAME_MATCHES, type FrameMatch, type Profile } from "@perforator/profile";
import { Command, CommanderError, Option } from "commander";
import { registerAgentCommand } from "../agent/cli.js";
import { CliError, EXIT, UsageError } from "../errors.js";
import {
  encodePprof,
  encodeProfile,
  type ListenAddress,
  type OutputFormat,
  renderHtml,
  serveProfile,
  writeFileAtomic,
} from "../output/index.js";
import type { SessionDeps } from "../record/deps.js";
import { record } from "../record/session.js";
import { addUploadOptions, registerUploadCommand, type UploadFlags } from "../upload/cli.js";
import { defaultOutputName, parseDuration, parseFormat, parseFreq, parseListenAddress, parsePids } from "./args.js";
import { loadProfileFile } from "./load.js";
import { progressLine, summaryLines } from "./report.js";
import { collectorVersion } from "./version.js";

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Provides the sampler, Python detection and resolver; defaults to this package's real ones. */
  deps?: () => Promise<SessionDeps>;
  /** Resolves when the user asks to stop (SIGINT/SIGTERM); the CLI installs handlers when omitted. */
  interrupts?: InterruptSource;
}

export interface InterruptSource {
  /** Aborted on the first SIGINT/SIGTERM. */
  signal: AbortSignal;
  dispose(): void;
}

function processInterrupts(stderr: NodeJS.WritableStream): InterruptSource {
  const ac = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      ac.abort();
      return;
    }
    stderr.write(`\nperforator: ${sig} again: exiting without writing\n`);
    process.exit(130);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: ac.signal,
    dispose() {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise((r) => {
    if (signal.aborted) r();
    else signal.addEventListener("abort", () => r(), { once: true });
  });
}

interface OutputChoice {
  serve?: ListenAddress;
  output?: string;
}

function outputChoice(opts: { output?: string; serve?: string | true }, defaultServe = ":9006"): OutputChoice {
  if (opts.output !== undefined && opts.serve !== undefined) {
    throw new UsageError(
      "--output and --serve cannot be used together: write a file with -o FILE or serve with -S :PORT",
    );
  }
  if (opts.serve !== undefined) return { serve: parseListenAddress(opts.serve === true ? defaultServe : opts.serve) };
  if (opts.output !== undefined) {
    if (opts.output.trim() === "") throw new UsageError('invalid value for --output: "" is not a file name');
    return { output: opts.output };
  }
  return {};
}

/** Writes or serves a finished profile; `onReady` gets the line for the summary (path or URL). */
async function deliver(d: {
  profile: Profile;
  choice: OutputChoice;
  format: OutputFormat;
  title: string;
  fallbackName: string;
  onReady: (line: string) => void;
  baseline?: Profile;
  match?: FrameMatch;
}): Promise<void> {
  const { profile, choice, format, title, fallbackName, onReady, baseline, match } = d;
  if (choice.serve) {
    const html = await renderHtml(profile, { title, ...(baseline ? { baseline, match } : {}) });
    const server = await serveProfile(choice.serve, { html, pprof: encodePprof(profile) });
    onReady(`flamegraph at ${server.url} (Ctrl-C to stop serving)`);
    // Serve until SIGINT/SIGTERM (the recording's own handlers are gone by now).
    const stopServing = new AbortController();
    const once = () => stopServing.abort();
    process.once("SIGINT", once);
    process.once("SIGTERM", once);
    await waitForAbort(stopServing.signal);
    process.off("SIGINT", once);
    process.off("SIGTERM", once);
    await server.close();
    return;
  }
  const path = choice.output ?? fallbackName;
  const bytes = await encodeProfile(profile, format, { title, ...(baseline ? { baseline, match } : {}) });
  try {
    writeFileAtomic(path, bytes);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new CliError(`cannot write ${path}: ${e.message}; choose another path with -o FILE`, EXIT.failure);
  }
  onReady(`wrote ${resolvePath(path)} (${bytes.length.toLocaleString("en-US")} bytes, ${format})`);
}

interface RecordFlags extends UploadFlags {
  upload?: boolean;
  pid?: number[];
  wholeSystem?: boolean;
  freq: string;
  duration?: string;
  format: string;
  output?: string;
  serve?: string | true;
}

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command();
  const version = collectorVersion();
  program
    .name("perforator")
    .description("Low-overhead eBPF CPU profiler with Python 3.11-3.13 stacks")
    .version(version, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(s.replace(/^error:/, "perforator: error:")),
    });

  const recordCommand = program
    .command("record")
    .description("record CPU stacks of processes, the whole system, or a command, then write or serve a flamegraph")
    .usage("[options] (--pid PID | --whole-system | -- COMMAND [ARGS...])")
    .addOption(
      new Option("-p, --pid <pid>", "process id to profile; repeat or comma-separate for several").argParser(
        (v: string, prev?: number[]) => parsePids(v, prev ?? []),
      ),
    )
    .option("-a, --whole-system", "profile every process on the machine")
    .option("-F, --freq <hz>", "sampling frequency in Hz (1..10000)", "99")
    .option("-d, --duration <duration>", "stop after this long, e.g. 500ms, 30s, 1m, 1h (default: until Ctrl-C)")
    .option("-f, --format <format>", "output format: html, pprof, folded, json", "html")
    .option("-o, --output <file>", "output file (default: perforator.html, .pb.gz, .folded or .json by format)")
    .option(
      "-S, --serve [addr]",
      "serve the flamegraph over HTTP at [HOST]:PORT instead of writing a file (default :9006)",
    )
    .option("-U, --upload", "upload the profile to the ingest when the recording ends and print its link")
    .argument("[command...]", "command to launch and profile until it exits (after --)");
  addUploadOptions(recordCommand, "service name for --upload (default: the process name)").action(
    async (command: string[], flags: RecordFlags) => {
      const freqHz = parseFreq(flags.freq);
      const durationMs = flags.duration !== undefined ? parseDuration(flags.duration) : undefined;
      const format = parseFormat(flags.format);
      const choice = outputChoice(flags);
      const uploadTo = flags.upload ? (await import("../upload/options.js")).resolveTarget(flags) : undefined;
      const pids = flags.pid ?? [];
      if (!flags.wholeSystem && pids.length === 0 && command.length === 0) {
        throw new UsageError(
          "no profiling target defined: pass --pid PID, --whole-system, or -- COMMAND ARGS (see perforator record --help)",
        );
      }
      if (flags.wholeSystem && pids.length > 0) {
        throw new UsageError(
          "--whole-system and --pid cannot be used together: --whole-system already includes every pid",
        );
      }
      const { loadRealDeps } = await import("../record/real-deps.js");
      const interrupts = io.interrupts ?? processInterrupts(io.stderr);
      const isTty = io.stderr.isTTY === true;
      const warn = (m: string) => io.stderr.write(`${isTty ? "\r\x1b[K" : ""}perforator: warning: ${m}\n`);
      let result: Awaited<ReturnType<typeof record>>;
      try {
        result = await record(
          {
            pids,
            wholeSystem: flags.wholeSystem === true,
            freqHz,
            ...(durationMs !== undefined ? { durationMs } : {}),
            ...(command.length > 0 ? { command } : {}),
            signal: interrupts.signal,
            collectorVersion: version,
            warn,
            onProgress: isTty
              ? (p) => io.stderr.write(`\r\x1b[K${progressLine(p.elapsedMs, p.samples, p.lost)}`)
              : undefined,
          },
          io.deps ?? (() => loadRealDeps({ warn })),
        );
      } finally {
        interrupts.dispose();
      }
      if (isTty) io.stderr.write("\r\x1b[K");
      const title = `perforator record ${new Date(result.profile.timeNanos / 1e6).toISOString()}`;
      const stats = result.stats;
      if (uploadTo) {
        // --upload alone writes no file; with -o the file is written first (and kept if the upload fails).
        if (choice.output)
          await deliver({ profile: result.profile, choice, format, title, fallbackName: "", onReady: () => {} });
        const { uploadRecording } = await import("../upload/commands.js");
        for (const l of summaryLines(stats, `uploading to ${uploadTo.url}`)) io.stderr.write(`${l}\n`);
        await uploadRecording(
          result,
          {
            target: uploadTo,
            service: flags.service,
            wholeSystem: flags.wholeSystem === true,
            pids,
            labels: flags.label ?? {},
            ...(flags.url !== undefined ? { urlFromFlag: flags.url } : {}),
            ...(choice.output && format === "pprof" ? { keptFile: resolvePath(choice.output) } : {}),
          },
          io,
        );
        if (choice.serve)
          await deliver({
            profile: result.profile,
            choice,
            format,
            title,
            fallbackName: "",
            onReady: (l) => io.stderr.write(`perforator: ${l}\n`),
          });
        return;
      }
      await deliver({
        profile: result.profile,
        choice,
        format,
        title,
        fallbackName: defaultOutputName(format),
        onReady: (line) => {
          for (const l of summaryLines(stats, line)) io.stderr.write(`${l}\n`);
        },
      });
    },
  );

  // `view` and `diff`: a flamegraph page written to -o FILE (default perforator-<command>.html) or served with -S.
  const pageCommand = (name: "view" | "diff", description: string) =>
    program
      .command(name)
      .description(description)
      .option("-o, --output <file>", `write the page to this file (default: perforator-${name}.html)`)
      .option("-S, --serve [addr]", "serve the page over HTTP at [HOST]:PORT (default :9006)");
  const deliverPage = (
    name: "view" | "diff",
    choice: OutputChoice,
    d: { profile: Profile; title: string; baseline?: Profile; match?: FrameMatch },
  ) =>
    deliver({
      ...d,
      choice,
      format: "html",
      fallbackName: `perforator-${name}.html`,
      onReady: (l) => io.stderr.write(`perforator: ${l}\n`),
    });

  pageCommand("view", "render a profile file (pprof .pb/.pb.gz, folded, perforator json) as a flamegraph page")
    .argument("<file>", "profile file")
    .action(async (file: string, flags: { output?: string; serve?: string | true }) => {
      const choice = outputChoice(flags);
      await deliverPage("view", choice, { profile: loadProfileFile(file), title: basename(file) });
    });

  pageCommand("diff", "compare two profiles: the flamegraph of TARGET coloured by the change from BASE")
    .argument("<base>", "baseline profile file (before)")
    .argument("<target>", "profile file to compare (after)")
    .addOption(
      new Option(
        "-m, --match <how>",
        "match frames of the two profiles by function 'name' and module (any directory, host or virtualenv) or 'exact'ly (file, line, module)",
      )
        .choices(FRAME_MATCHES)
        .default("name"),
    )
    .action(
      async (base: string, target: string, flags: { output?: string; serve?: string | true; match: FrameMatch }) => {
        const choice = outputChoice(flags);
        const baseline = loadProfileFile(base);
        const profile = loadProfileFile(target);
        await deliverPage("diff", choice, {
          profile,
          title: `${basename(base)} → ${basename(target)}`,
          baseline,
          match: flags.match,
        });
      },
    );

  registerUploadCommand(program, io, setExit);
  registerAgentCommand(
    program,
    {
      stdout: io.stdout,
      stderr: io.stderr,
      interrupts: () => io.interrupts ?? processInterrupts(io.stderr),
      deps: io.deps ?? (async () => (await import("../record/real-deps.js")).loadRealDeps()),
      version,
    },
    setExit,
  );

  program.action(() => {
    program.outputHelp({ error: true });
    setExit(EXIT.usage);
  });
  return program;
}

/** Runs the CLI; resolves with the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") {
        return EXIT.ok;
      }
      return EXIT.usage;
    }
    if (err instanceof UsageError) {
      io.stderr.write(`perforator: error: ${err.message}\n(run with --help for usage)\n`);
      return EXIT.usage;
    }
    if (err instanceof CliError) {
      io.stderr.write(`perforator: error: ${err.message}\n`);
      return err.exitCode;
    }
    const e = err as Error;
    io.stderr.write(`perforator: internal error: ${e.stack ?? String(err)}\n`);
    return EXIT.failure;
  }
}
