// Fixture suites for scripts/test-summary.test.mjs, one per way a run can go wrong; never part of `pnpm test` itself.
export default { test: { include: ["*.fixture.mjs"] } };
