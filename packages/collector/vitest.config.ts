import { defineConfig } from "vitest/config";

// End-to-end tests start real processes and measure CPU shares with the real sampler: run files one
// at a time so they do not compete for the machine's cores.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    globalSetup: ["test/global-setup.ts"],
  },
});
