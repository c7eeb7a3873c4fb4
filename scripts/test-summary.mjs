// The closing summary of `pnpm test` (scripts/test.sh): tests per package, every failure by name, and the total as
// "N passed, N failed, N skipped" on the last line (CI reads it). Exits 1 unless every package that should have run
// its tests did and nothing failed. Counted as failures, each printed by name:
// - a failed test;
// - a test file that failed to start (an import crashed) or a failed beforeAll/afterAll hook (Vitest reports the tests
//   under it as skipped: here they count as "not run", not as skipped);
// - a package whose tests did not run (its build, or another task it depends on, failed) or that wrote no report;
// - a package that ran no test, and a Vitest run that exited non-zero without a failed test;
// - a skipped or todo test not declared in scripts/expected-skips.mjs (with the reason it may skip here).
//
//   node scripts/test-summary.mjs --dry DRY.json --run RUN.json --reports DIR
//
// DRY.json: `turbo run … --dry=json` of the same command (which test tasks must report); RUN.json: turbo's
// `--summarize` file (each task's exit code); DIR: the per-package files of scripts/vitest-report.mjs.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EXPECTED_SKIPS } from "./expected-skips.mjs";

const TEST_TASKS = new Set(["test", "test:scripts"]);

function matchesSkip(rule, pkg, testName) {
  return rule.package === pkg && (testName === rule.test || testName.startsWith(`${rule.test} > `));
}

/**
 * Pure: from turbo's dry run and run summary and the per-package reports, the summary lines and whether the run passed.
 * `rootName` is the root package.json's name (turbo calls the root package "//").
 */
export function summarize({ dry, run, reports, expectedSkips = EXPECTED_SKIPS, env = {}, isRoot = true, rootName }) {
  const byId = new Map(dry.tasks.map((t) => [t.taskId, t]));
  const ran = new Map((run?.tasks ?? []).map((t) => [t.taskId, t]));
  const testTasks = dry.tasks
    .filter((t) => TEST_TASKS.has(t.task) && t.command !== "<NONEXISTENT>")
    .sort((a, b) => a.taskId.localeCompare(b.taskId));
  const failures = [];
  const expected = [];
  const rows = [];
  const total = { passed: 0, failed: 0, skipped: 0 };

  /** Failed tasks among everything `taskId` depends on. */
  const failedDeps = (taskId) => {
    const out = [];
    const seen = new Set();
    const visit = (id) => {
      for (const dep of byId.get(id)?.dependencies ?? []) {
        if (seen.has(dep)) continue;
        seen.add(dep);
        const code = ran.get(dep)?.execution?.exitCode;
        if (code !== undefined && code !== 0) out.push(`${dep} exited ${code}`);
        visit(dep);
      }
    };
    visit(taskId);
    return out;
  };

  if (!run) failures.push("turbo wrote no run summary: the test run itself did not finish (see the log above)");
  for (const task of testTasks) {
    const name = task.package === "//" ? rootName : task.package;
    const label = task.package === "//" ? `${rootName} (${task.task})` : task.package;
    const c = { passed: 0, failed: 0, skipped: 0, notRun: 0 };
    const before = failures.length;
    const exec = ran.get(task.taskId)?.execution;
    const report = reports.get(name);
    if (run && !exec) {
      const deps = failedDeps(task.taskId);
      failures.push(`${label}: tests did not run${deps.length ? `: ${deps.join(", ")}` : ""}`);
    } else if (exec && !report) {
      failures.push(`${label}: no test report (vitest exited ${exec.exitCode} before reporting; see its log above)`);
    }
    for (const f of report?.files ?? []) {
      for (const e of f.errors) failures.push(`${label} ${f.file}: ${e}`);
      for (const t of f.tests) {
        if (t.state === "passed") c.passed++;
        else if (t.state === "failed") {
          c.failed++;
          failures.push(`${label} ${f.file} > ${t.name}${t.error ? `: ${t.error}` : ""}`);
        } else if (f.errors.length > 0) {
          c.notRun++; // under a failed hook or a crashed file: already a failure above
        } else {
          const rule = expectedSkips.find((r) => matchesSkip(r, name, t.name));
          if (rule?.applies(env, isRoot)) {
            c.skipped++;
            expected.push(`${label} > ${t.name}: ${rule.why}`);
          } else {
            failures.push(
              `${label} ${f.file} > ${t.name}: skipped${t.note ? ` (${t.note})` : ""}` +
                (rule
                  ? `, declared only for when ${rule.why.split(":")[0]}, which is not the case here`
                  : ", which nothing declares (make it run, or declare when and why it may skip in scripts/expected-skips.mjs)"),
            );
          }
        }
      }
    }
    for (const e of report?.unhandledErrors ?? []) failures.push(`${label}: unhandled error: ${e}`);
    if (report && failures.length === before && c.passed === 0) failures.push(`${label}: ran no test`);
    if (exec && exec.exitCode !== 0 && failures.length === before) {
      failures.push(`${label}: vitest exited ${exec.exitCode} without a failed test (see its log above)`);
    }
    rows.push({ label, ...c });
    total.passed += c.passed;
    total.skipped += c.skipped;
  }
  if (testTasks.length === 0) failures.push("no package has a test task to run");
  total.failed = failures.length;

  const lines = ["", "test summary"];
  for (const r of rows) {
    const extra = r.notRun ? `  (${r.notRun} not run)` : "";
    lines.push(
      `  ${r.label.padEnd(32)} ${String(r.passed).padStart(4)} passed  ${r.failed} failed  ${r.skipped} skipped${extra}`,
    );
  }
  if (expected.length)
    lines.push("", "skipped as declared in scripts/expected-skips.mjs:", ...expected.map((e) => `  ${e}`));
  if (failures.length) lines.push("", `failures (${failures.length}):`, ...failures.map((f) => `  ✗ ${f}`));
  lines.push(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  return { lines, ok: failures.length === 0, total };
}

/** The per-package report files of scripts/vitest-report.mjs, by package name. */
export function readReports(dir) {
  const reports = new Map();
  if (!existsSync(dir)) return reports;
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
    const r = JSON.parse(readFileSync(join(dir, f), "utf8"));
    reports.set(r.package, r);
  }
  return reports;
}

function main(argv) {
  const arg = (flag) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const dryPath = arg("--dry");
  const reportsDir = arg("--reports");
  if (!dryPath || !reportsDir) {
    console.error("usage: node scripts/test-summary.mjs --dry DRY.json --run RUN.json --reports DIR");
    return 64;
  }
  const runPath = arg("--run");
  const rootDir = fileURLToPath(new URL("..", import.meta.url));
  const { lines, ok } = summarize({
    dry: JSON.parse(readFileSync(dryPath, "utf8")),
    run: runPath && existsSync(runPath) ? JSON.parse(readFileSync(runPath, "utf8")) : undefined,
    reports: readReports(reportsDir),
    env: process.env,
    isRoot: process.getuid?.() === 0,
    rootName: JSON.parse(readFileSync(join(rootDir, "package.json"), "utf8")).name,
  });
  console.log(lines.join("\n"));
  return ok ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
