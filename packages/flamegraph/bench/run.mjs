// Flamegraph viewer benchmark in headless Chromium: synthetic trees of 10k, 100k and 1M nodes.
// Usage: pnpm --filter @perforator/flamegraph bench   (writes docs/bench/flamegraph.md at the repo root)
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..", "..");
const sizes = (process.env.BENCH_SIZES ?? "10000,100000,1000000").split(",").map(Number);
const WIDTH = 1600;
const HEIGHT = 900;

const out = await build({
  entryPoints: [join(here, "entry.ts")],
  bundle: true,
  minify: true,
  format: "iife",
  platform: "browser",
  target: ["es2020"],
  write: false,
  logLevel: "warning",
});
const js = out.outputFiles[0].text;
const html = `<!doctype html><html><head><meta charset="utf-8"></head><body></body><script>${js.replace(/<\/script/gi, "<\\/script")}</script></html>`;
const tmp = join(here, ".bench.html");
writeFileSync(tmp, html);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--enable-precise-memory-info",
    "--js-flags=--expose-gc",
  ],
});
const rows = [];
const pages = [];
const loadBefore = loadavg()[0];
try {
  for (const n of sizes) {
    const page = await browser.newPage({ viewport: { width: WIDTH, height: HEIGHT }, deviceScaleFactor: 1 });
    await page.route("**/*", (r) => (r.request().url().startsWith("file:") ? r.continue() : r.abort()));
    await page.goto(`file://${tmp}`);
    const res = await page.evaluate(([n2, w, h]) => window.__bench(n2, w, h), [n, WIDTH, HEIGHT]);
    rows.push(res);
    console.log(JSON.stringify(res));
    await page.close();
  }
  // End to end: the standalone page (renderStandaloneHtml) of a synthetic Profile, as `perforator record -o` writes it.
  const { ProfileBuilder, buildFlameTree } = await import("@perforator/profile");
  const { LineResolver, indexTree } = await import("../dist/index.js");
  const { renderStandaloneHtml } = await import("../dist/standalone/render-html.js");
  for (const stacks of (process.env.BENCH_STACKS ?? "10000,100000").split(",").map(Number)) {
    let seed = 7;
    const rnd = () => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const b = new ProfileBuilder([{ type: "cpu", unit: "count" }], { durationNanos: 60e9 });
    const frames = Array.from({ length: 5000 }, (_, i) => ({
      name: `mod${i % 50}.func_${i}`,
      file: `/srv/app/mod${i % 50}.py`,
      line: 1 + (i % 300),
      kind: i % 5 === 4 ? "native" : "python",
      module: "",
    }));
    for (let k = 0; k < stacks; k++) {
      const depth = 8 + Math.floor(rnd() * 30);
      const stack = [];
      let f = 0;
      for (let d = 0; d < depth; d++) {
        f = (f * 7 + Math.floor(rnd() * rnd() * 40) + d) % frames.length;
        stack.push(frames[f]);
      }
      b.addFrames(stack, [1 + Math.floor(rnd() * 20)], { tid: String(1000 + (k % 8)), thread_name: `worker-${k % 8}` });
    }
    const profile = b.build();
    // Tooltip line lookup in a per-function tree (LineResolver.linesOf, paid once per hovered node):
    // twelve nodes down the heaviest path, where the most samples share the prefix.
    const lix = indexTree(buildFlameTree(profile));
    const resolver = new LineResolver(lix.tree, [{ profile }]);
    resolver.linesOf(1); // builds the frame remap once, like the first hover
    const lookups = [];
    for (let node = 0, d = 0; d < 12; d++) {
      let best = -1;
      for (let c = node + 1; c < lix.end[node]; c = lix.end[c])
        if (best < 0 || lix.tree.nodeTotal[c] > lix.tree.nodeTotal[best]) best = c;
      if (best < 0) break;
      node = best;
      const a = performance.now();
      resolver.linesOf(node);
      lookups.push(performance.now() - a);
    }
    const lineLookupMs = [...lookups].sort((x, y) => x - y)[Math.floor(lookups.length / 2)] ?? 0;
    const html = renderStandaloneHtml({ title: `bench ${stacks} stacks`, profile });
    const file = join(here, ".bench-page.html");
    writeFileSync(file, html);
    const page = await browser.newPage({ viewport: { width: WIDTH, height: HEIGHT }, deviceScaleFactor: 1 });
    await page.route("**/*", (r) => (r.request().url().startsWith("file:") ? r.continue() : r.abort()));
    await page.goto(`file://${file}`);
    await page.waitForFunction(() => window.__flamegraph?.main?.stats() != null, undefined, { timeout: 120_000 });
    const res = await page.evaluate(async () => {
      const t = window.__flamegraph.main.firstDrawAt();
      const a = performance.now();
      window.__flamegraph.main.redraw();
      return { readyMs: t, redrawMs: performance.now() - a, heapMB: (performance.memory?.usedJSHeapSize ?? 0) / 1e6 };
    });
    const nodes = await page.evaluate(() => document.querySelectorAll(".pfg-scroll canvas").length);
    const treeNodes = await page.evaluate(() => window.__flamegraph.main.nodeCount());
    pages.push({ stacks, htmlMB: html.length / 1e6, treeNodes, ...res, canvases: nodes, lineLookupMs });
    console.log(JSON.stringify(pages.at(-1)));
    await page.close();
  }
} finally {
  await browser.close();
}

const f = (x, d = 1) => x.toFixed(d);
const date = new Date().toISOString().slice(0, 10);
const target1m = rows.find((r) => r.nodes === 1_000_000);
const md = `# Flamegraph viewer benchmark

Rerun: \`pnpm --filter @perforator/flamegraph bench\` (builds the package first via turbo, or run
\`node packages/flamegraph/bench/run.mjs\` after \`pnpm --filter @perforator/flamegraph build\`).
Sizes can be chosen with \`BENCH_SIZES=10000,100000\`.

Measured ${date} in headless Chromium (software rendering, \`--disable-gpu\`), canvas ${WIDTH}×${HEIGHT} CSS px at
devicePixelRatio 1, on ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"} (shared with other jobs, so treat
numbers as upper bounds). Synthetic pre-order trees (\`bench/entry.ts\`): depth ≤ 65, 20,000 distinct names, heavy-tailed widths, a
depth random walk without drift (a few wide frames near the root, thin towers, bushy leaves).

1-minute load average when the run started: ${loadBefore.toFixed(1)} (on ${cpus().length} cores). Medians are over 3 cold loads,
15 redraws and 9 searches; "best" is the fastest run, closest to the cost on an idle machine.

| nodes | embedded JSON | data load (JSON → typed arrays) | first paint, median (best) | frames drawn | redraw after zoom, median (best) | search, median (best) | JS heap |
|---:|---:|---:|---:|---:|---:|---:|---:|
${rows
  .map(
    (r) =>
      `| ${r.nodes.toLocaleString("en-US")} | ${f(r.jsonMB)} MB | ${f(r.loadMs)} ms | ${f(r.firstPaintMs)} ms (${f(r.firstPaintMinMs)}) | ${r.firstDrawn.toLocaleString("en-US")} | ${f(r.redrawZoomMs)} ms (${f(r.redrawZoomMinMs)}) | ${f(r.searchMs)} ms (${f(r.searchMinMs)}) | ${f(r.heapMB)} MB |`,
  )
  .join("\n")}

Inside the last redraw (JS time in \`FlameRenderer.render\`, from its own stats):

| nodes | nodes visited | traversal | pixel paint + upload | render total |
|---:|---:|---:|---:|---:|
${rows
  .map(
    (r) =>
      `| ${r.nodes.toLocaleString("en-US")} | ${r.lastVisited.toLocaleString("en-US")} | ${f(r.lastTraverseMs)} ms | ${f(r.lastPaintMs)} ms | ${f(r.lastTotalMs)} ms |`,
  )
  .join("\n")}

Diff trees of the same shape (about 2% of subtrees only in the baseline, 2% only in the target, the rest
with perturbed values): index (incl. the widened layout of removed subtrees) + layout + diff render until the
next frame, and redraws alternating zoom in / out with a focus ring:

| nodes | removed (baseline-only) nodes | first paint, median (best) | frames drawn | redraw, median (best) |
|---:|---:|---:|---:|---:|
${rows
  .map(
    (r) =>
      `| ${r.nodes.toLocaleString("en-US")} | ${r.diffRemovedNodes.toLocaleString("en-US")} | ${f(r.diffFirstPaintMs)} ms (${f(r.diffFirstPaintMinMs)}) | ${r.diffDrawn.toLocaleString("en-US")} | ${f(r.diffRedrawMs)} ms (${f(r.diffRedrawMinMs)}) |`,
  )
  .join("\n")}

End to end, the standalone page as \`perforator record -o flame.html\` writes it (synthetic Python-like Profile:
5,000 frames, 8–37 deep, 8 threads; includes parsing the ${(statSync(join(here, "..", "dist", "standalone.js")).size / 1024).toFixed(0)} KiB script, \`parseProfile\`, \`buildFlameTree\`,
indexing and the first draw):

| distinct stacks | flame tree nodes | HTML size | navigation → first draw | redraw | JS heap | tooltip line lookup, median |
|---:|---:|---:|---:|---:|---:|---:|
${pages
  .map(
    (r) =>
      `| ${r.stacks.toLocaleString("en-US")} | ${r.treeNodes.toLocaleString("en-US")} | ${f(r.htmlMB)} MB | ${f(r.readyMs)} ms | ${f(r.redrawMs)} ms | ${f(r.heapMB)} MB | ${f(r.lineLookupMs)} ms |`,
  )
  .join("\n")}

Targets for 1M nodes: first paint ≤ 500 ms after data load, redraw ≤ 16 ms, search ≤ 100 ms.
How to read this on a shared machine: with a load average far above the core count the page gets a fraction of a
core and medians mostly measure waiting; the "best" values and the in-render breakdown are the closest to the
code's own cost. Rerun on an idle machine before drawing conclusions from the medians.
${
  target1m
    ? `Result at 1M: first paint ${f(target1m.firstPaintMs)} ms (${target1m.firstPaintMs <= 500 ? "meets" : "MISSES"} target), redraw ${f(target1m.redrawZoomMs)} ms (${target1m.redrawZoomMs <= 16 ? "meets" : "MISSES"}), search ${f(target1m.searchMs)} ms (${target1m.searchMs <= 100 ? "meets" : "MISSES"}).`
    : ""
}

What is measured:
- **data load**: \`JSON.parse\` of the embedded tree and conversion to typed arrays (the standalone page embeds a
  Profile instead and builds the tree with \`buildFlameTree\`; that cost belongs to @perforator/profile's benchmark).
- **first paint** (after the data is loaded): \`indexTree\` (subtree ends and x offsets, O(n)) + \`computeLayout\` + \`FlameRenderer.render\`, until
  the next animation frame.
- **redraw after zoom**: \`computeLayout\` for a new zoom node + a full render (alternating zoom in / out).
  Only frames ≥ 0.5 px are drawn; narrower subtrees are skipped in O(1) and merged into grey runs.
- **search**: case-insensitive substring over all node names with the matched-share sweep (each name tested once).
- **diff**: the same tree shape with baseline arrays; \`indexTree\` then also computes the layout widths (removed
  subtrees at their scaled baseline width, ancestors widened), and the render colours by change, hatches new frames
  and stripes + outlines removed ones; redraws also draw the keyboard focus ring.
- **tooltip line lookup**: \`LineResolver.linesOf\` for one node of a per-function tree (Node.js, same profile):
  the samples whose stack runs through the node are scanned once, on the first hover of that node. Median of
  twelve nodes down the heaviest path.
- **JS heap**: \`performance.memory.usedJSHeapSize\` after the run (includes the JSON string).
`;
mkdirSync(join(repo, "docs", "bench"), { recursive: true });
const docPath = join(repo, "docs", "bench", "flamegraph.md");
writeFileSync(docPath, md);
console.log(`wrote docs/bench/flamegraph.md`);
