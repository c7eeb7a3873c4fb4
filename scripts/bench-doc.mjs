// Stitches the per-package benchmark reports (docs/bench/*.md, written by each package's `bench` script)
// into docs/BENCHMARKS.md, so one file holds every number we claim and the command that reproduces it.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const dir = join(root, "docs/bench");
const order = ["collector", "sampler", "profile", "db", "flamegraph", "ingest"];
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".md"))
  .sort((a, b) => {
    const ia = order.indexOf(a.replace(/\.md$/, ""));
    const ib = order.indexOf(b.replace(/\.md$/, ""));
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
const head = `# Benchmarks

Performance goals live here, not in timed tests. Every section names the command that reproduces it; \`pnpm bench\`
at the root runs them all (through turbo, one package at a time) and rewrites this file from \`docs/bench/*.md\`.
Machine: 2 cores, 24 GiB, Debian 12, Node 20 (the CI machine kind), unless a section says otherwise.
`;
const body = files.map((f) => readFileSync(join(dir, f), "utf8").trim()).join("\n\n");
writeFileSync(join(root, "docs/BENCHMARKS.md"), `${head}\n${body}\n`);
console.log(`docs/BENCHMARKS.md: ${files.length} sections (${files.join(", ")})`);
