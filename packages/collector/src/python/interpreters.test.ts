import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findPython, MissingPythonError, requirePython } from "./interpreters.js";

// Fake interpreters: shell scripts that answer the version query the way CPython does.
const root = mkdtempSync(join(tmpdir(), "pyfind-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function fakePython(path: string, version: string): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, `#!/bin/sh\necho ${version}\n`);
  chmodSync(path, 0o755);
  return path;
}

const pyenv = join(root, "pyenv");
fakePython(join(pyenv, "versions/3.97.1/bin/python3"), "3.97.1");
fakePython(join(pyenv, "versions/3.97.3/bin/python3"), "3.97.3");
mkdirSync(join(pyenv, "versions/3.97.3/lib"), { recursive: true });
writeFileSync(join(pyenv, "versions/3.97.3/lib/libpython3.97.so.1.0"), "");
const bin = join(root, "bin");
fakePython(join(bin, "python3.96"), "3.96.4");
fakePython(join(pyenv, "shims/python3.95"), "3.95.0"); // a pyenv shim on PATH is not an installation
const env = { PYENV_ROOT: pyenv, HOME: root, PATH: [join(pyenv, "shims"), bin].join(":") };

describe("findPython", () => {
  it("finds an exact pyenv version and tells shared builds (libpython next to it) from static ones", () => {
    expect(findPython("3.97.3", env)).toEqual({
      spec: "3.97.3",
      version: "3.97.3",
      executable: join(pyenv, "versions/3.97.3/bin/python3"),
      runtimeFile: join(pyenv, "versions/3.97.3/lib/libpython3.97.so.1.0"),
      shared: true,
      source: "pyenv",
    });
    expect(findPython("3.97.1", env)).toMatchObject({ version: "3.97.1", shared: false, source: "pyenv" });
    expect(findPython("3.97.1", env)?.runtimeFile).toBe(join(pyenv, "versions/3.97.1/bin/python3"));
  });

  it("takes pyenv's newest patch release for a minor version, then PATH", () => {
    expect(findPython("3.97", env)?.version).toBe("3.97.3");
    expect(findPython("3.96", env)).toMatchObject({ version: "3.96.4", executable: join(bin, "python3.96") });
    expect(findPython("3.96.4", env)?.source).toBe("path");
  });

  it("does not take another patch release, or a pyenv shim, for what was asked", () => {
    expect(findPython("3.97.2", env)).toBeUndefined();
    expect(findPython("3.96.5", env)).toBeUndefined();
    expect(findPython("3.95", env)).toBeUndefined();
  });

  it("finds Debian's python3.11 in /usr/bin (scripts/setup.sh installs it)", () => {
    const d = requirePython("debian-3.11");
    expect(d).toMatchObject({ executable: "/usr/bin/python3.11", shared: false, source: "debian" });
    const reported = execFileSync(d.executable, ["-c", "import platform; print(platform.python_version())"], {
      encoding: "utf8",
    });
    expect(d.version).toBe(reported.trim());
  });

  it("rejects a spec it cannot read", () => {
    expect(() => findPython("three", env)).toThrow(/not a Python version spec: "three"/);
  });
});

describe("requirePython", () => {
  it("says in one line which version is missing and the command that installs it", () => {
    const err = (() => {
      try {
        requirePython("3.97.2", {}, env);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(MissingPythonError);
    expect(err!.message).toBe(
      `Python 3.97.2 is not installed (looked in ${pyenv}/versions, pyenv, PATH and /usr/bin): ` +
        "PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install 3.97.2 (or on Debian: apt-get install python3.97)",
    );
    expect(err!.stack).toBe(`MissingPythonError: ${err!.message}`); // no unrelated stack trace
    expect(() => requirePython("debian-3.98", {}, env)).toThrow(
      /^Debian's python3\.98 is not installed .*: apt-get install python3\.98$/,
    );
  });

  it("asks for a shared build when the caller needs libpython", () => {
    expect(requirePython("3.97.3", { shared: true }, env).shared).toBe(true);
    expect(() => requirePython("3.97.1", { shared: true }, env)).toThrow(
      /is not a shared build .*PYTHON_CONFIGURE_OPTS=--enable-shared pyenv install --force 3\.97\.1/,
    );
  });
});
