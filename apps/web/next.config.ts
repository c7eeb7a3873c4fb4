import { execFileSync } from "node:child_process";
import { perforatorVersion } from "@perforator/profile/version";
import type { NextConfig } from "next";

function gitCommit(): string {
  if (process.env.PERFORATOR_COMMIT) return process.env.PERFORATOR_COMMIT;
  try {
    return execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { encoding: "utf8", stdio: "pipe" }).trim();
  } catch {
    return ""; // not a git checkout (tarball install): the health card just omits the commit
  }
}

const config: NextConfig = {
  // Baked in at build time: the health procedure reports what was built, not what is on disk now.
  env: {
    PERFORATOR_VERSION: perforatorVersion(),
    PERFORATOR_COMMIT: gitCommit(),
    PERFORATOR_BUILT_AT: new Date().toISOString(),
  },
  // Native and file-relative code (better-sqlite3, Prisma, migrations found next to the package) must be
  // loaded from node_modules at run time, not bundled.
  serverExternalPackages: [
    "@perforator/db",
    "better-sqlite3",
    "pg",
    "@prisma/client",
    "@prisma/adapter-better-sqlite3",
    "@prisma/adapter-pg",
  ],
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
