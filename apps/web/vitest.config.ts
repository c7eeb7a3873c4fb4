import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
    // The browser test starts `next start` and Chromium; on a loaded 2-core machine that takes a while.
    testTimeout: 120_000,
    // Two browser suites each start `next start` and Chromium: run files one at a time, or on 2 cores their
    // clicks race hydration and the clipboard.
    fileParallelism: false,
    hookTimeout: 120_000,
    // Browser assertions poll the page; on a busy machine a server round trip can take seconds.
    expect: { poll: { timeout: 20_000, interval: 100 } },
  },
});
