import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Property tests run hundreds of cases; on a busy 2-core CI box they can take several seconds.
    testTimeout: 60_000,
  },
});
