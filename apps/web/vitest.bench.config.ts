import { defineConfig } from "vitest/config";

// `pnpm --filter @perforator/web bench`: the browser benchmark (bench/web.bench.ts), not part of `test`.
export default defineConfig({
  test: {
    include: ["bench/**/*.bench.ts"],
    environment: "node",
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
  },
});
