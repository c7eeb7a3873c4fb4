// Reads turbo's streamed output of `turbo run test` and prints one summary: tests per package and the total as
// "N passed, N failed" on the last line. Exits 1 when a package ran no test or a test failed, so an empty suite
// cannot pass silently.
import { readFileSync } from "node:fs";

const ESC = String.fromCharCode(27);
const text = readFileSync(process.argv[2], "utf8").replace(new RegExp(`${ESC}\\[[0-9;]*m`, "g"), "");
const perPackage = new Map();
for (const line of text.split("\n")) {
  // "@perforator/profile:test:       Tests  43 passed (43)" or "Tests  2 failed | 41 passed (43)"
  const m = /^(@[\w/-]+):test:\s+Tests\s+(.*)\((\d+)\)\s*$/.exec(line);
  if (!m) continue;
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const part of m[2].split("|")) {
    const c = /(\d+)\s+(passed|failed|skipped|todo)/.exec(part);
    if (c) counts[c[2] === "todo" ? "skipped" : c[2]] += Number(c[1]);
  }
  perPackage.set(m[1], counts);
}
const total = { passed: 0, failed: 0, skipped: 0 };
let empty = 0;
console.log("\ntest summary");
for (const [pkg, c] of [...perPackage].sort()) {
  console.log(`  ${pkg.padEnd(26)} ${String(c.passed).padStart(4)} passed  ${c.failed} failed  ${c.skipped} skipped`);
  for (const k of Object.keys(total)) total[k] += c[k];
  if (c.passed === 0) empty++;
}
if (perPackage.size === 0) console.log("  no test results found in turbo's output");
const ok = perPackage.size > 0 && empty === 0 && total.failed === 0;
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exit(ok ? 0 : 1);
