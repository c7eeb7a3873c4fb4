/**
 * Finds CPython interpreters installed on this machine: the one discovery the tests, the benchmarks and tools use, so
 * no file names a path of one particular machine.
 *
 * A spec names what is wanted:
 * - `"3.12.1"`: exactly that release. Looked up in pyenv (`$PYENV_ROOT/versions/3.12.1`, default `~/.pyenv`, then
 *   `pyenv prefix 3.12.1` when pyenv is on PATH), then `python3.12` / `python3` on PATH and `/usr/bin/python3.12`
 *   (the version each reports must match).
 * - `"3.10"`: any 3.10.x, pyenv's newest first, then PATH, then `/usr/bin/python3.10`.
 * - `"debian-3.11"`: Debian's own `/usr/bin/python3.11` (the interpreter linked into a non-PIE executable, not in a
 *   libpython). Installed with `apt-get install python3.11`.
 */
import { execFileSync } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";

export interface PythonInterpreter {
  /** The spec it was found for, e.g. "3.12.1" or "debian-3.11". */
  spec: string;
  /** The full version it reports, e.g. "3.12.1". */
  version: string;
  /** The executable to run. */
  executable: string;
  /** The ELF file holding the interpreter state (`_PyRuntime`): libpython3.X.so.1.0 of a shared build, else the executable. */
  runtimeFile: string;
  /** True when the interpreter lives in libpython3.X.so (pyenv `--enable-shared` builds). */
  shared: boolean;
  /** Where it was found. */
  source: "pyenv" | "path" | "debian";
}

/** Thrown by requirePython; its message is one line: which interpreter is missing and the command that installs it. */
export class MissingPythonError extends Error {
  override name = "MissingPythonError";
  constructor(message: string) {
    super(message);
    // No stack trace: the message says everything a reader can act on.
    this.stack = `${this.name}: ${message}`;
  }
}

const DEBIAN = /^debian-(\d+\.\d+)$/;
const FULL = /^(\d+)\.(\d+)\.(\d+)$/;
const MINOR = /^(\d+)\.(\d+)$/;

type Env = NodeJS.ProcessEnv;

function parseSpec(spec: string): { minor: string; exact?: string; debian: boolean } {
  const d = DEBIAN.exec(spec);
  if (d) return { minor: d[1]!, debian: true };
  const f = FULL.exec(spec);
  if (f) return { minor: `${f[1]}.${f[2]}`, exact: spec, debian: false };
  const m = MINOR.exec(spec);
  if (m) return { minor: spec, debian: false };
  throw new Error(`not a Python version spec: "${spec}" (expected e.g. "3.12.1", "3.12" or "debian-3.11")`);
}

/** The command that installs what `spec` names, for error messages. */
export function pythonInstallHint(spec: string): string {
  const s = parseSpec(spec);
  if (s.debian) return `apt-get install python${s.minor}`;
  const version = s.exact ?? `$(pyenv latest -k ${s.minor})`;
  return `PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install ${version} (or on Debian: apt-get install python${s.minor})`;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const versions = new Map<string, string | null>();

/** The version an executable reports ("3.12.1"), or null when it does not run. Cached per path. */
function reportedVersion(executable: string): string | null {
  let v = versions.get(executable);
  if (v === undefined) {
    try {
      v = execFileSync(executable, ["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        timeout: 10_000,
      }).trim();
    } catch {
      v = null;
    }
    versions.set(executable, v);
  }
  return v;
}

function pyenvRoot(env: Env): string {
  return env.PYENV_ROOT?.trim() || join(env.HOME?.trim() || homedir(), ".pyenv");
}

/** pyenv install prefixes that may hold `spec`, best first. */
function pyenvPrefixes(minor: string, exact: string | undefined, env: Env): string[] {
  const root = join(pyenvRoot(env), "versions");
  const out: string[] = [];
  if (exact) {
    out.push(join(root, exact));
    try {
      const prefix = execFileSync("pyenv", ["prefix", exact], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        env,
        timeout: 10_000,
      }).trim();
      if (prefix) out.push(prefix);
    } catch {
      // pyenv not installed or does not know the version
    }
    return out;
  }
  let names: string[] = [];
  try {
    names = readdirSync(root).filter((n) => n.startsWith(`${minor}.`) && FULL.test(n));
  } catch {
    return out;
  }
  names.sort((a, b) => Number(b.split(".")[2]) - Number(a.split(".")[2]));
  return names.map((n) => join(root, n));
}

function fromPrefix(spec: string, prefix: string, minor: string): PythonInterpreter | null {
  const executable = join(prefix, "bin", "python3");
  if (!isExecutable(executable)) return null;
  const version = reportedVersion(executable);
  if (!version) return null;
  const lib = join(prefix, "lib", `libpython${minor}.so.1.0`);
  const shared = existsSync(lib);
  // The real path: what /proc/PID/maps names for the mapped library.
  return { spec, version, executable, runtimeFile: shared ? realpathSync(lib) : executable, shared, source: "pyenv" };
}

function onPath(name: string, env: Env): string[] {
  const shims = join(pyenvRoot(env), "shims");
  return (env.PATH ?? "")
    .split(delimiter)
    .filter((d) => d && d !== shims)
    .map((d) => join(d, name))
    .filter(isExecutable);
}

/**
 * The interpreter `spec` names, or undefined when this machine has none. Never throws for a valid spec.
 * `env` defaults to process.env (PYENV_ROOT, HOME, PATH are read).
 */
export function findPython(spec: string, env: Env = process.env): PythonInterpreter | undefined {
  const { minor, exact, debian } = parseSpec(spec);
  const matches = (v: string | null) => v !== null && (exact ? v === exact : v.startsWith(`${minor}.`));
  if (debian) {
    const executable = `/usr/bin/python${minor}`;
    const version = isExecutable(executable) ? reportedVersion(executable) : null;
    if (!matches(version)) return undefined;
    return { spec, version: version!, executable, runtimeFile: executable, shared: false, source: "debian" };
  }
  for (const prefix of pyenvPrefixes(minor, exact, env)) {
    const found = fromPrefix(spec, prefix, minor);
    if (found && matches(found.version)) return found;
  }
  // pyenv shims are skipped above: they resolve to whatever version is selected, which is not what was asked for.
  for (const executable of [...onPath(`python${minor}`, env), ...onPath("python3", env), `/usr/bin/python${minor}`]) {
    if (!isExecutable(executable)) continue;
    const version = reportedVersion(executable);
    if (!matches(version)) continue;
    return { spec, version: version!, executable, runtimeFile: executable, shared: false, source: "path" };
  }
  return undefined;
}

/**
 * Like findPython, but throws a MissingPythonError naming the interpreter and how to install it. `shared: true`
 * also requires a libpython3.X.so build (what pyenv's `--enable-shared` gives).
 */
export function requirePython(
  spec: string,
  opts: { shared?: boolean } = {},
  env: Env = process.env,
): PythonInterpreter {
  const found = findPython(spec, env);
  const what = DEBIAN.test(spec) ? `Debian's python${parseSpec(spec).minor}` : `Python ${spec}`;
  if (!found) {
    throw new MissingPythonError(
      `${what} is not installed (looked in ${pyenvRoot(env)}/versions, pyenv, PATH and /usr/bin): ${pythonInstallHint(spec)}`,
    );
  }
  if (opts.shared && !found.shared) {
    throw new MissingPythonError(
      `${what} at ${found.executable} is not a shared build (no libpython${parseSpec(spec).minor}.so next to it): ` +
        `PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install --force ${found.version}`,
    );
  }
  return found;
}
