// Benchmark page code (bundled by bench/run.mjs): synthetic FlameTrees measured with the real core.
import type { FlameTree } from "@perforator/profile";
import { computeLayout, FlameRenderer, indexTree, searchTree } from "../src/core/index.js";

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random pre-order tree of n nodes (depth ≤ 65, 20k distinct names, Python/native/kernel mix).
 * With `diff`, also baseline arrays: about 2% of subtrees exist only in the baseline (target total 0:
 * "removed", drawn at their scaled baseline width), 2% only in the target, the rest with perturbed values.
 */
function syntheticTree(n: number, seed = 42, diff = false): FlameTree {
  const r = rng(seed);
  // Separate stream for the diff, so a diff tree has exactly the shape of the plain one.
  const rd = rng(seed ^ 0x5bd1e995);
  const names = 20_000;
  const strings = [""];
  for (let i = 0; i < names; i++) strings.push(i % 97 === 0 ? `handler_${i}` : `module${i % 300}.function_${i}`);
  strings.push("all");
  const frameName = new Uint32Array(names + 1);
  const frameKind = new Uint8Array(names + 1);
  for (let i = 0; i < names; i++) {
    frameName[i] = i + 1;
    frameKind[i] = i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2;
  }
  frameName[names] = names + 1;
  frameKind[names] = 3;
  const nodeFrame = new Uint32Array(n);
  const nodeParent = new Int32Array(n);
  const nodeDepth = new Uint16Array(n);
  const nodeSelf = new Float64Array(n);
  const nodeTotal = new Float64Array(n);
  const baseSelf = diff ? new Float64Array(n) : null;
  const baseTotal = diff ? new Float64Array(n) : null;
  // 0 = both sides, 1 = removed (baseline only), 2 = new (target only); inherited by the subtree.
  const side = new Uint8Array(n);
  nodeFrame[0] = names;
  nodeParent[0] = -1;
  const path: number[] = [0];
  for (let i = 1; i < n; i++) {
    // Stay on the rightmost path (keeps pre-order): go one deeper, or climb a geometric number of
    // levels (mean ~2.4). The depth walk has no drift, so fan-out and depth look like a real
    // service profile: a few wide frames near the root, long thin towers, bushy leaves.
    if (r() < 0.7 && path.length < 64) {
      // child of the last node
    } else {
      const up = 1 + Math.floor(-Math.log(1 - r()) * 1.9);
      path.length = Math.max(1, path.length - up);
    }
    const parent = path[path.length - 1]!;
    nodeParent[i] = parent;
    nodeDepth[i] = path.length;
    nodeFrame[i] = Math.floor(r() * r() * names);
    // heavy-tailed self values: most frames tiny, a few hot
    const self = r() < 0.5 ? Math.floor(Math.exp(r() * 9)) : 0;
    nodeSelf[i] = self;
    if (baseSelf) {
      const s = side[parent] || (parent > 0 && rd() < 0.02 ? (rd() < 0.5 ? 1 : 2) : 0);
      side[i] = s;
      baseSelf[i] = s === 2 ? 0 : Math.floor(self * (0.5 + rd()));
      if (s === 1) nodeSelf[i] = 0;
    }
    path.push(i);
  }
  for (let i = n - 1; i >= 0; i--) {
    nodeTotal[i] = nodeTotal[i]! + nodeSelf[i]!;
    if (nodeTotal[i] === 0 && side[i] !== 1) nodeTotal[i] = nodeSelf[i] = 1;
    if (i > 0) nodeTotal[nodeParent[i]!] = nodeTotal[nodeParent[i]!]! + nodeTotal[i]!;
    if (baseSelf && baseTotal) {
      baseTotal[i] = baseTotal[i]! + baseSelf[i]!;
      if (baseTotal[i] === 0 && side[i] !== 2) baseTotal[i] = baseSelf[i] = 1;
      if (i > 0) baseTotal[nodeParent[i]!] = baseTotal[nodeParent[i]!]! + baseTotal[i]!;
    }
  }
  const diffArrays =
    baseSelf && baseTotal ? { nodeBaseSelf: baseSelf, nodeBaseTotal: baseTotal, baseTotal: baseTotal[0]! } : {};
  return {
    version: 1,
    strings,
    sampleType: "cpu",
    unit: "count",
    frameName,
    frameFile: new Uint32Array(names + 1),
    frameLine: new Uint32Array(names + 1),
    frameKind,
    frameModule: new Uint32Array(names + 1),
    nodeFrame,
    nodeParent,
    nodeDepth,
    nodeTotal,
    nodeSelf,
    ...diffArrays,
  };
}

/** The tree as the page would receive it embedded: JSON with plain arrays. */
function toJson(t: FlameTree): string {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(t)) o[k] = ArrayBuffer.isView(v) ? Array.from(v as Uint32Array) : v;
  return JSON.stringify(o);
}

function fromJson(s: string): FlameTree {
  const o = JSON.parse(s);
  return {
    ...o,
    frameName: Uint32Array.from(o.frameName),
    frameFile: Uint32Array.from(o.frameFile),
    frameLine: Uint32Array.from(o.frameLine),
    frameKind: Uint8Array.from(o.frameKind),
    frameModule: Uint32Array.from(o.frameModule),
    nodeFrame: Uint32Array.from(o.nodeFrame),
    nodeParent: Int32Array.from(o.nodeParent),
    nodeDepth: Uint16Array.from(o.nodeDepth),
    nodeTotal: Float64Array.from(o.nodeTotal),
    nodeSelf: Float64Array.from(o.nodeSelf),
  };
}

const nextFrame = () => new Promise<number>((res) => requestAnimationFrame(() => res(performance.now())));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function run(n: number, width: number, height: number) {
  const json = toJson(syntheticTree(n));
  const canvas = document.createElement("canvas");
  document.body.replaceChildren(canvas);
  const view = { zoom: 0, mode: "icicle" as const, width, rowHeight: 18 };
  const loads: number[] = [];
  const paints: number[] = [];
  let tree!: FlameTree;
  let ix!: ReturnType<typeof indexTree>;
  let renderer!: FlameRenderer;
  let first!: ReturnType<FlameRenderer["render"]>;
  let layout!: ReturnType<typeof computeLayout>;
  /** One full draw from the top (no search, no hover), as the viewer's first paint and redraws do. */
  const draw = (l: ReturnType<typeof computeLayout>, diff: boolean, focus?: number) =>
    renderer.render({
      layout: l,
      scrollTop: 0,
      viewportHeight: height,
      search: null,
      hover: -1,
      ...(focus === undefined ? {} : { focus }),
      diff,
      devicePixelRatio: 1,
    });
  // Three cold loads: data load, then first paint (index + layout + draw until a frame is presented).
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    tree = fromJson(json);
    const t1 = performance.now();
    ix = indexTree(tree);
    renderer = new FlameRenderer(canvas);
    layout = computeLayout(ix, view);
    first = draw(layout, false);
    const t2 = await nextFrame();
    loads.push(t1 - t0);
    paints.push(t2 - t1);
    await new Promise((r) => setTimeout(r, 50));
  }
  // Redraw after zoom: zoom into the heaviest child of the heaviest child, layout + draw.
  let z = 0;
  for (let level = 0; level < 2; level++) {
    let best = -1;
    for (let c = z + 1; c < ix.end[z]!; c = ix.end[c]!)
      if (best < 0 || tree.nodeTotal[c]! > tree.nodeTotal[best]!) best = c;
    if (best < 0) break;
    z = best;
  }
  const zoomTimes: number[] = [];
  let zoomStats = first;
  for (let k = 0; k < 15; k++) {
    const a = performance.now();
    layout = computeLayout(ix, { ...view, zoom: k % 2 === 0 ? z : 0 });
    zoomStats = draw(layout, false);
    zoomTimes.push(performance.now() - a);
  }
  // Search: substring over every node, matched subtrees summed once.
  const searchTimes: number[] = [];
  let share = 0;
  for (let k = 0; k < 9; k++) {
    const a = performance.now();
    const res = searchTree(ix, { text: k % 2 ? "function_1234" : "handler_9", regex: false, caseSensitive: false })!;
    searchTimes.push(performance.now() - a);
    share = res.share;
  }
  const mem = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
  const heapMB = mem ? mem.usedJSHeapSize / 1e6 : -1; // before the diff tree, so it counts one tree
  // Diff tree of the same shape: index (incl. the widened layout of removed subtrees) + first paint,
  // then redraws alternating zoom in / out, coloured by change, hatched and striped.
  const dtree = syntheticTree(n, 42, true);
  let removedNodes = 0;
  for (let i = 1; i < n; i++) if (dtree.nodeTotal[i] === 0 && dtree.nodeBaseTotal![i]! > 0) removedNodes++;
  const diffPaints: number[] = [];
  let dix!: ReturnType<typeof indexTree>;
  let dfirst!: ReturnType<FlameRenderer["render"]>;
  for (let rep = 0; rep < 3; rep++) {
    const a = performance.now();
    dix = indexTree(dtree);
    const dl = computeLayout(dix, view);
    dfirst = draw(dl, true);
    diffPaints.push((await nextFrame()) - a);
    await new Promise((r) => setTimeout(r, 50));
  }
  const diffRedraws: number[] = [];
  for (let k = 0; k < 15; k++) {
    const a = performance.now();
    const dl = computeLayout(dix, { ...view, zoom: k % 2 === 0 ? z : 0 });
    draw(dl, true, z);
    diffRedraws.push(performance.now() - a);
  }
  return {
    nodes: n,
    jsonMB: json.length / 1e6,
    loadMs: median(loads),
    firstPaintMs: median(paints),
    firstPaintMinMs: Math.min(...paints),
    firstDrawn: first.drawn,
    rootChildren: (() => {
      let c = 0;
      for (let k = 1; k < ix.n; k = ix.end[k]!) c++;
      return c;
    })(),
    redrawZoomMs: median(zoomTimes),
    redrawZoomMinMs: Math.min(...zoomTimes),
    zoomDrawn: zoomStats.drawn,
    lastVisited: zoomStats.visited,
    lastTraverseMs: zoomStats.traverseMs,
    lastPaintMs: zoomStats.paintMs,
    lastTotalMs: zoomStats.ms,
    searchMs: median(searchTimes),
    searchMinMs: Math.min(...searchTimes),
    searchShare: share,
    heapMB,
    diffRemovedNodes: removedNodes,
    diffFirstPaintMs: median(diffPaints),
    diffFirstPaintMinMs: Math.min(...diffPaints),
    diffDrawn: dfirst.drawn,
    diffRedrawMs: median(diffRedraws),
    diffRedrawMinMs: Math.min(...diffRedraws),
  };
}

(window as unknown as { __bench: typeof run }).__bench = run;
