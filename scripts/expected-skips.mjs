// Tests that may be skipped, and only when the reason holds. scripts/test-summary.mjs counts any other skipped or todo
// test as a failure, so a skip cannot hide a missing dependency: a test that can only skip on some machine says why
// here. `test` matches a test's full name ("describe > … > it") exactly or as its leading "describe" path.
export const EXPECTED_SKIPS = [
  {
    package: "@perforator/db",
    test: "postgres (set DATABASE_URL_TEST=postgresql://... to run the PostgreSQL tests)",
    why: "DATABASE_URL_TEST is unset: the team-database tests need a PostgreSQL server (.ci/run starts one)",
    applies: (env) => !env.DATABASE_URL_TEST,
  },
  {
    package: "@perforator/collector",
    test: "Sampler on the running kernel",
    why: "not root: loading the eBPF sampler needs root or CAP_BPF+CAP_PERFMON (CI runs as root)",
    applies: (_env, isRoot) => !isRoot,
  },
];
