import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // These tests start processes and open databases; on a busy 2-core CI machine that takes seconds.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
