import { defineConfig } from "vitest/config";

// `pnpm --filter @perforator/web bench`: benchmarks, not tests (they write docs/bench/*.md).
export default defineConfig({
  test: {
    include: ["bench/**/*.bench.ts"],
    environment: "node",
    testTimeout: 30 * 60_000,
    hookTimeout: 120_000,
  },
});
