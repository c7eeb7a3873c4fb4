import type { FlameTree, FrameKind } from "@perforator/profile";
import { FRAME_KINDS } from "@perforator/profile";

export interface FixtureFrame {
  name: string;
  file?: string;
  line?: number;
  kind?: FrameKind;
}

interface Tmp {
  frame: number;
  total: number;
  self: number;
  base: number;
  baseSelf: number;
  kids: Map<number, Tmp>;
}

/**
 * Builds a FlameTree from folded stacks ("a;b;c 10"), independent of @perforator/profile's builder,
 * so the viewer's tests do not depend on a colleague's implementation. Frame "name@kind" sets the kind.
 * With `base`, produces a diff tree over the union of both sides' paths (values from `target`,
 * baseline arrays from `base`; a path only in the baseline has target total 0).
 */
export function treeFromFolded(target: string, base?: string): FlameTree {
  const strings = [""];
  const stringIx = new Map<string, number>([["", 0]]);
  const str = (s: string): number => {
    let i = stringIx.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      stringIx.set(s, i);
    }
    return i;
  };
  const frames: { name: number; file: number; line: number; kind: number }[] = [];
  const frameIx = new Map<string, number>();
  const frame = (spec: string): number => {
    let i = frameIx.get(spec);
    if (i === undefined) {
      const [nameFile, kind] = spec.split("@") as [string, string | undefined];
      const m = /^(.*?)(?: \((.*):(\d+)\))?$/.exec(nameFile)!;
      i = frames.length;
      frames.push({
        name: str(m[1]!),
        file: str(m[2] ?? ""),
        line: m[3] ? Number(m[3]) : 0,
        kind: Math.max(0, FRAME_KINDS.indexOf((kind ?? "python") as FrameKind)),
      });
      frameIx.set(spec, i);
    }
    return i;
  };
  const root: Tmp = { frame: frame("all@other"), total: 0, self: 0, base: 0, baseSelf: 0, kids: new Map() };
  const add = (text: string, isBase: boolean) => {
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      if (!line) continue;
      const sp = line.lastIndexOf(" ");
      const v = Number(line.slice(sp + 1));
      const stack = line.slice(0, sp).split(";");
      let n = root;
      if (isBase) n.base += v;
      else n.total += v;
      for (const s of stack) {
        const f = frame(s);
        let k = n.kids.get(f);
        if (!k) {
          k = { frame: f, total: 0, self: 0, base: 0, baseSelf: 0, kids: new Map() };
          n.kids.set(f, k);
        }
        n = k;
        if (isBase) n.base += v;
        else n.total += v;
      }
      if (isBase) n.baseSelf += v;
      else n.self += v;
    }
  };
  add(target, false);
  if (base !== undefined) add(base, true);
  const order: { n: Tmp; parent: number; depth: number }[] = [];
  const walk = (n: Tmp, parent: number, depth: number) => {
    if (n.total === 0 && n.base === 0 && depth > 0) return; // like buildDiffFlameTree: the union of both sides
    const me = order.length;
    order.push({ n, parent, depth });
    const kids = [...n.kids.values()].sort((a, b) =>
      strings[frames[a.frame]!.name]!.localeCompare(strings[frames[b.frame]!.name]!),
    );
    for (const k of kids) walk(k, me, depth + 1);
  };
  walk(root, -1, 0);
  const N = order.length;
  const t: FlameTree = {
    version: 1,
    strings,
    sampleType: "cpu",
    unit: "count",
    frameName: Uint32Array.from(frames.map((f) => f.name)),
    frameFile: Uint32Array.from(frames.map((f) => f.file)),
    frameLine: Uint32Array.from(frames.map((f) => f.line)),
    frameKind: Uint8Array.from(frames.map((f) => f.kind)),
    frameModule: new Uint32Array(frames.length),
    nodeFrame: Uint32Array.from(order.map((o) => o.n.frame)),
    nodeParent: Int32Array.from(order.map((o) => o.parent)),
    nodeDepth: Uint16Array.from(order.map((o) => o.depth)),
    nodeTotal: Float64Array.from(order.map((o) => o.n.total)),
    nodeSelf: Float64Array.from(order.map((o) => o.n.self)),
  };
  if (base !== undefined) {
    t.nodeBaseTotal = new Float64Array(N);
    t.nodeBaseSelf = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      t.nodeBaseTotal[i] = order[i]!.n.base;
      t.nodeBaseSelf[i] = order[i]!.n.baseSelf;
    }
    t.baseTotal = root.base;
  }
  return t;
}

/** The tutorial's slow server, as folded stacks (shares chosen to be easy to check by hand). */
export const SLOW_SERVER = `
_run_module_as_main;run;serve_forever;_handle_request_noblock;process_request;UserIDSearchHandler.do_GET;search_user 90
_run_module_as_main;run;serve_forever;_handle_request_noblock;process_request;UserIDSearchHandler.do_GET;send_response 4
_run_module_as_main;run;serve_forever;select@native 6
`;
