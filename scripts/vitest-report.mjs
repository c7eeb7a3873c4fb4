// A Vitest reporter for `pnpm test`: writes one JSON file per package into $PERFORATOR_TEST_REPORT_DIR with every
// test's state and every error outside a test (a module that failed to import, a failed beforeAll/afterAll), which
// Vitest's own JSON reporter leaves out (a failed beforeAll shows there only as skipped tests). scripts/test.sh passes
// it to every package's `vitest run` (`--reporter=default --reporter=<this file>`); scripts/test-summary.mjs reads
// the files. Without PERFORATOR_TEST_REPORT_DIR it does nothing.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

/** First line of an error, with its kind ("TypeError: …"), as a reader of the summary needs it. */
function errorLine(e) {
  const msg = String(e?.message ?? e ?? "")
    .split("\n")[0]
    .trim();
  const name = e?.name && e.name !== "Error" ? `${e.name}: ` : "";
  return `${name}${msg}` || String(e?.stack ?? "unknown error").split("\n")[0];
}

/** The package this run belongs to (Vitest runs in the package directory). */
function packageName(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name ?? dir;
  } catch {
    return dir;
  }
}

export default class TestReport {
  onInit(vitest) {
    this.root = vitest.config.root;
  }

  onTestRunEnd(testModules, unhandledErrors, reason) {
    const dir = process.env.PERFORATOR_TEST_REPORT_DIR;
    if (!dir) return;
    const root = this.root ?? process.cwd();
    const name = packageName(process.cwd());
    const files = testModules.map((m) => {
      const errors = m.errors().map((e) => `module: ${errorLine(e)}`);
      for (const s of m.children.allSuites()) {
        for (const e of s.errors()) errors.push(`suite "${s.fullName}": ${errorLine(e)}`);
      }
      const tests = [...m.children.allTests()].map((t) => {
        const r = t.result();
        return {
          name: t.fullName,
          state: r.state,
          ...(r.errors?.length && r.state === "failed" ? { error: errorLine(r.errors[0]) } : {}),
          ...(r.state === "skipped" && r.note ? { note: r.note } : {}),
        };
      });
      return { file: relative(root, m.moduleId), state: m.state(), errors, tests };
    });
    const report = { package: name, reason, unhandledErrors: unhandledErrors.map(errorLine), files };
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name.replace(/[^\w.-]+/g, "_")}.json`), `${JSON.stringify(report, null, 1)}\n`);
  }
}
