/**
 * The one version of perforator: the `version` field of the repository's root package.json. Every package and app
 * reports it (the CLI's --version and recording metadata, the ingest's /healthz, the web app's health card), so a
 * release bumps one line. Node only (it reads a file), hence its own entry, `@perforator/profile/version`, outside
 * the isomorphic main entry the viewer bundles.
 */
import { readFileSync } from "node:fs";

const ROOT_NAME = "perforator-ts";
let cached: string | undefined;

/**
 * The version from the nearest enclosing package.json named `perforator-ts`, searched upwards from this module's own
 * file (so it works from `src/` under vitest, from `dist/`, and from an app that imports the package); "0.0.0" when
 * there is none (a package copied out of the repository).
 */
export function perforatorVersion(): string {
  if (cached !== undefined) return cached;
  let dir = new URL(".", import.meta.url);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === ROOT_NAME && typeof pkg.version === "string" && pkg.version !== "") {
        cached = pkg.version;
        return cached;
      }
    } catch {
      // no (readable) package.json here: keep going up
    }
    const up = new URL("..", dir);
    if (up.href === dir.href) break;
    dir = up;
  }
  cached = "0.0.0";
  return cached;
}
