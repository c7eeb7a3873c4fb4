import { configDefaults, defineConfig } from "vitest/config";

/** The collector end to end against this ingest: real eBPF recordings of real processes, measured in seconds. */
const COLLECTOR_E2E = "src/collector-e2e.test.ts";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "ingest",
          sequence: { groupOrder: 0 },
          include: ["src/**/*.test.ts"],
          exclude: [...configDefaults.exclude, COLLECTOR_E2E],
          // These tests start processes and open databases; on a busy 2-core CI machine that takes seconds.
          testTimeout: 60_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: "collector-e2e",
          include: [COLLECTOR_E2E],
          // After the other tests and alone, so they do not compete with its recordings for the CPU.
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
