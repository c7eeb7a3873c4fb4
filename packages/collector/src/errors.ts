/**
 * The errors a user can act on, and the exit codes the CLI turns them into. Every layer throws these (the session,
 * output writing, profile loading, argument parsing); only the CLI catches them.
 */

/** Exit codes of the CLI (documented in the package README). */
export const EXIT = {
  ok: 0,
  /** A runtime failure: missing privileges, sampler failure, unreadable file, port in use. */
  failure: 1,
  /** A target that does not exist (`--pid` of a process that is gone). */
  noTarget: 2,
  /** Bad command line (BSD sysexits EX_USAGE). */
  usage: 64,
} as const;

export class UsageError extends Error {
  readonly exitCode = EXIT.usage;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** An error the user can act on, with the exit code the CLI should return. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = "CliError";
  }
}
