/** `perforator agent`, registered on the CLI program (src/cli/main.ts). */
import { type Command, Option } from "commander";
import { parseDuration, parseFreq, parsePids } from "../cli/args.js";
import { UsageError } from "../errors.js";
import type { SessionDeps } from "../record/deps.js";
import { addUploadOptions, type UploadFlags } from "../upload/cli.js";
import { defaultSpoolDir, parseSize, resolveTarget } from "../upload/options.js";
import { runAgent } from "./agent.js";

interface AgentFlags extends UploadFlags {
  pid?: number[];
  processRegex?: string;
  python?: boolean;
  wholeSystem?: boolean;
  interval: string;
  freq: string;
  once?: boolean;
  spoolDir?: string;
  spoolMax: string;
}

export interface AgentContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  interrupts: () => { signal: AbortSignal; dispose(): void };
  deps: () => Promise<SessionDeps>;
  version: string;
}

export function registerAgentCommand(program: Command, ctx: AgentContext, setExit: (code: number) => void): void {
  addUploadOptions(
    program
      .command("agent")
      .description(
        "profile processes continuously and upload one profile per process every interval (spooled while the ingest is away)",
      )
      .usage("--url URL --token TOKEN (--pid PID... | --process-regex RE | --python | --whole-system) [options]")
      .addOption(
        new Option(
          "-p, --pid <pid>",
          "process to profile (followed when it restarts under a new pid); repeatable",
        ).argParser((v: string, prev?: number[]) => parsePids(v, prev ?? [])),
      )
      .option(
        "--process-regex <re>",
        "profile every process whose command line or name matches this regular expression",
      )
      .option("--python", "profile every CPython process on the host (new ones within seconds)")
      .option("-a, --whole-system", "profile every process on the machine")
      .option("-i, --interval <duration>", "length of each profile, e.g. 10s, 1m", "60s")
      .option("-F, --freq <hz>", "sampling frequency in Hz (1..10000)", "99")
      .option("--once", "record one interval, upload it, exit (for tests and cron)")
      .option(
        "--spool-dir <dir>",
        "where profiles wait for delivery (default: $PERFORATOR_DATA_DIR/spool or /var/lib/perforator/spool)",
      )
      .option("--spool-max <size>", "bound of the spool; the oldest profiles are dropped beyond it", "256MB"),
    "service name of every target (default: each process's name)",
  ).action(async (flags: AgentFlags) => {
    const target = resolveTarget(flags, process.env, "perforator agent");
    const intervalMs = parseDuration(flags.interval, "--interval");
    if (intervalMs < 1000) throw new UsageError(`invalid value for --interval: "${flags.interval}" is under 1s`);
    const freqHz = parseFreq(flags.freq);
    let processRegex: RegExp | undefined;
    if (flags.processRegex !== undefined) {
      try {
        processRegex = new RegExp(flags.processRegex);
      } catch (err) {
        throw new UsageError(`invalid value for --process-regex: ${(err as Error).message}`);
      }
    }
    const pids = flags.pid ?? [];
    const wholeSystem = flags.wholeSystem === true;
    if (!wholeSystem && pids.length === 0 && !processRegex && !flags.python) {
      throw new UsageError(
        "no profiling target defined: pass --pid PID, --process-regex RE, --python or --whole-system (see perforator agent --help)",
      );
    }
    if (wholeSystem && (pids.length > 0 || processRegex || flags.python)) {
      throw new UsageError("--whole-system already includes every process: drop --pid, --process-regex and --python");
    }
    const interrupts = ctx.interrupts();
    try {
      const code = await runAgent(
        {
          target,
          targets: { pids, python: flags.python === true, ...(processRegex ? { processRegex } : {}) },
          wholeSystem,
          ...(flags.service !== undefined ? { service: flags.service } : {}),
          labels: flags.label ?? {},
          intervalMs,
          freqHz,
          once: flags.once === true,
          spoolDir: flags.spoolDir ?? defaultSpoolDir(),
          spoolMaxBytes: parseSize(flags.spoolMax),
          signal: interrupts.signal,
          log: (m) => ctx.stderr.write(`perforator agent: ${m}\n`),
          stdout: ctx.stdout,
          collectorVersion: ctx.version,
        },
        ctx.deps,
      );
      setExit(code);
    } finally {
      interrupts.dispose();
    }
  });
}
