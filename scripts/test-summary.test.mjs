// The summary of `pnpm test` must fail for every way a run can go wrong. Real Vitest runs of the fixture suites in
// test-summary-fixtures/ (a failing beforeAll, a crashed import, a failing afterAll, failing and skipped tests) through
// the real reporter give the reports; turbo's dry-run and run summaries are written here in turbo's format.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readReports, summarize } from "./test-summary.mjs";

const SCRIPTS = fileURLToPath(new URL(".", import.meta.url));
const FIXTURES = join(SCRIPTS, "test-summary-fixtures");
const VITEST = join(SCRIPTS, "../node_modules/vitest/vitest.mjs");
const FX = "@fixture/summary";

const SKIPS = [
  {
    package: FX,
    test: "postgres (set DATABASE_URL_TEST to run)",
    why: "DATABASE_URL_TEST is unset: …",
    applies: (env) => !env.DATABASE_URL_TEST,
  },
  { package: FX, test: "Sampler on the running kernel", why: "not root: …", applies: (_env, isRoot) => !isRoot },
];

/** turbo's --dry=json: the fixture package, a web app whose build fails and a package that writes no report. */
const DRY = {
  tasks: [
    { taskId: `${FX}#build`, task: "build", package: FX, command: "tsc", dependencies: [] },
    { taskId: `${FX}#test`, task: "test", package: FX, command: "vitest run", dependencies: [`${FX}#build`] },
    { taskId: "@x/profile#build", task: "build", package: "@x/profile", command: "tsc", dependencies: [] },
    {
      taskId: "@x/web#build",
      task: "build",
      package: "@x/web",
      command: "next build",
      dependencies: ["@x/profile#build"],
    },
    { taskId: "@x/web#test", task: "test", package: "@x/web", command: "vitest run", dependencies: ["@x/web#build"] },
    { taskId: "@x/silent#test", task: "test", package: "@x/silent", command: "vitest run", dependencies: [] },
    { taskId: "@x/nolint#test", task: "test", package: "@x/nolint", command: "<NONEXISTENT>", dependencies: [] },
  ],
};
const exec = (exitCode) => ({ execution: { startTime: 1, endTime: 2, exitCode } });
/** turbo's --summarize file: the web build failed, so its test task is absent; @x/silent ran but reported nothing. */
const RUN = {
  tasks: [
    { taskId: `${FX}#build`, ...exec(0) },
    { taskId: `${FX}#test`, ...exec(1) },
    { taskId: "@x/profile#build", ...exec(0) },
    { taskId: "@x/web#build", ...exec(1) },
    { taskId: "@x/silent#test", ...exec(1) },
  ],
};

let dir;
let reports;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "test-summary-"));
  const r = spawnSync(process.execPath, [VITEST, "run", "--reporter", join(SCRIPTS, "vitest-report.mjs")], {
    cwd: FIXTURES,
    env: { ...process.env, PERFORATOR_TEST_REPORT_DIR: join(dir, "reports") },
    encoding: "utf8",
  });
  expect(r.status, r.stderr).toBe(1);
  reports = readReports(join(dir, "reports"));
  expect([...reports.keys()]).toEqual([FX]);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (over = {}) =>
  summarize({ dry: DRY, run: RUN, reports, expectedSkips: SKIPS, env: {}, isRoot: false, rootName: "root", ...over });

describe("test summary", () => {
  it("counts a failed hook, a crashed import, a failed test, a failed build and a missing report as failures", () => {
    const { lines, ok, total } = run();
    const text = lines.join("\n");
    expect(ok).toBe(false);
    const failures = lines.filter((l) => l.startsWith("  ✗ "));
    expect(failures).toEqual([
      "  ✗ @fixture/summary after.fixture.mjs: module: cleanup failed",
      "  ✗ @fixture/summary crash.fixture.mjs: module: Cannot find module './does-not-exist.mjs' imported from " +
        `${FIXTURES}/crash.fixture.mjs`,
      '  ✗ @fixture/summary hook.fixture.mjs: suite "needs a browser": browserType.launch: Failed to launch chromium',
      "  ✗ @fixture/summary skip.fixture.mjs > fails: AssertionError: expected 1 to be 2 // Object.is equality",
      "  ✗ @fixture/summary skip.fixture.mjs > forgot to unskip: skipped, which nothing declares (make it run, or " +
        "declare when and why it may skip in scripts/expected-skips.mjs)",
      "  ✗ @fixture/summary skip.fixture.mjs > write this: skipped, which nothing declares (make it run, or declare " +
        "when and why it may skip in scripts/expected-skips.mjs)",
      "  ✗ @x/silent: no test report (vitest exited 1 before reporting; see its log above)",
      "  ✗ @x/web: tests did not run: @x/web#build exited 1",
    ]);
    // The two tests under the failed beforeAll are "not run", not skipped; declared skips are listed with the reason.
    expect(text).toMatch(/ {2}@fixture\/summary +2 passed {2}1 failed {2}2 skipped {2}\(2 not run\)/);
    expect(text).toContain("@fixture/summary > postgres (set DATABASE_URL_TEST to run): DATABASE_URL_TEST is unset: …");
    expect(text).toContain("@fixture/summary > Sampler on the running kernel > samples: not root: …");
    expect(total).toEqual({ passed: 2, failed: 8, skipped: 2 });
    expect(lines.at(-1)).toBe("2 passed, 8 failed, 2 skipped");
  });

  it("fails a declared skip whose reason does not hold on this machine", () => {
    const { lines } = run({ env: { DATABASE_URL_TEST: "postgresql://x" }, isRoot: true });
    const skips = lines.filter((l) => l.includes("declared only for when"));
    expect(skips).toEqual([
      "  ✗ @fixture/summary skip.fixture.mjs > postgres (set DATABASE_URL_TEST to run): skipped, declared only for " +
        "when DATABASE_URL_TEST is unset, which is not the case here",
      "  ✗ @fixture/summary skip.fixture.mjs > Sampler on the running kernel > samples: skipped, declared only for " +
        "when not root, which is not the case here",
    ]);
    expect(lines.at(-1)).toBe("2 passed, 10 failed, 0 skipped");
  });

  it("passes a clean run, and fails a package that ran no test or exited non-zero without a failed test", () => {
    const clean = {
      package: "@x/a",
      unhandledErrors: [],
      files: [{ file: "a.test.ts", errors: [], tests: [{ name: "t", state: "passed" }] }],
    };
    const dry = {
      tasks: [{ taskId: "@x/a#test", task: "test", package: "@x/a", command: "vitest run", dependencies: [] }],
    };
    /** One package "@x/a" whose vitest exited `code` after writing `report`. */
    const one = (code, report) =>
      summarize({
        dry,
        run: { tasks: [{ taskId: "@x/a#test", ...exec(code) }] },
        reports: new Map([["@x/a", report]]),
        expectedSkips: [],
      });
    const ok = one(0, clean);
    expect(ok.ok).toBe(true);
    expect(ok.lines.at(-1)).toBe("1 passed, 0 failed, 0 skipped");

    const crashed = one(1, clean);
    expect(crashed.lines).toContain("  ✗ @x/a: vitest exited 1 without a failed test (see its log above)");
    expect(crashed.ok).toBe(false);

    const none = one(0, { ...clean, files: [] });
    expect(none.lines).toContain("  ✗ @x/a: ran no test");
    expect(none.lines.at(-1)).toBe("0 passed, 1 failed, 0 skipped");

    const noSummary = summarize({ dry, run: undefined, reports: new Map([["@x/a", clean]]), expectedSkips: [] });
    expect(noSummary.ok).toBe(false);
    expect(noSummary.lines.join("\n")).toMatch(/turbo wrote no run summary/);
  });

  it("exits 1 from the command line and ends with the totals line", () => {
    writeFileSync(join(dir, "dry.json"), JSON.stringify(DRY));
    writeFileSync(join(dir, "run.json"), JSON.stringify(RUN));
    const r = spawnSync(
      process.execPath,
      [
        join(SCRIPTS, "test-summary.mjs"),
        "--dry",
        join(dir, "dry.json"),
        "--run",
        join(dir, "run.json"),
        "--reports",
        join(dir, "reports"),
      ],
      { encoding: "utf8", env: { ...process.env, DATABASE_URL_TEST: "" } },
    );
    expect(r.status).toBe(1);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toMatch(/^2 passed, \d+ failed, \d+ skipped$/);
    expect(r.stdout).toContain("@x/web: tests did not run: @x/web#build exited 1");
    expect(() => execFileSync(process.execPath, [join(SCRIPTS, "test-summary.mjs")], { stdio: "pipe" })).toThrow();
  });
});
