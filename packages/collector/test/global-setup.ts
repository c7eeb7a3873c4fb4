import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * The end-to-end tests run the built CLI (dist/cli.js) and the native sampler (build/): make sure both
 * match the sources, so `vitest run` in this package works without a separate build step.
 */
export default function setup(): void {
  const pkg = fileURLToPath(new URL("..", import.meta.url));
  if (existsSync(`${pkg}/native/build.sh`)) {
    execFileSync("bash", ["native/build.sh"], { cwd: pkg, stdio: ["ignore", "ignore", "inherit"] });
  }
  const tsc = fileURLToPath(new URL("../../../node_modules/typescript/bin/tsc", import.meta.url));
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: pkg, stdio: "inherit" });
}
