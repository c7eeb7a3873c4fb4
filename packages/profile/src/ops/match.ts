/**
 * Which frames of two profiles are "the same function" in a diff.
 *
 * `exact`: every field of the frame (name, file, line, kind, module), as frameKey: two deployments of one file under
 * different directories, hosts or virtualenv roots never line up.
 *
 * `name` (the default): the way a reader matches them, by function name and module, not by where the file was:
 * - Python: the qualname and the file's module path. For a file under `site-packages/` or `dist-packages/` that is
 *   the path below it (`requests/api.py`); for the standard library, the path below `lib/pythonX.Y/`
 *   (`json/decoder.py`, `threading.py`); for a pseudo-file such as `<frozen runpy>` the pseudo-file; for any other
 *   file its base name (`app/util.py` → `util.py`). The main script is one module whatever its file is called:
 *   a file whose `<module>` frame is the outermost Python frame of some stack (the script `python3 server.py` ran)
 *   is module `__main__`, so `server.py` and `server_dict.py` line up function by function.
 * - native: the symbol and the base name of its binary (`/usr/lib/x86_64-linux-gnu/libc.so.6` → `libc.so.6`);
 *   the source file and line do not count.
 * - kernel: the symbol.
 * - other: the name and the base name of the module.
 * Lines count only where the caller asks for one node or row per line (byLine).
 */
import type { Frame, Profile } from "../model.js";

export type FrameMatch = "name" | "exact";
export const FRAME_MATCHES: readonly FrameMatch[] = ["name", "exact"];

export interface MatchOptions {
  /** How frames of the two profiles are matched (default "name"; see ops/match.ts). */
  match?: FrameMatch;
}

const baseName = (path: string): string => path.slice(path.lastIndexOf("/") + 1);
const PACKAGES = /\/(?:site|dist)-packages\//g;
const STDLIB = /\/lib\/python\d+(?:\.\d+)?t?\//;

/** The module a Python file is, for matching: see the header of this file. */
export function pythonModuleOf(file: string, mainFiles?: ReadonlySet<string>): string {
  if (mainFiles?.has(file)) return "__main__";
  if (file.startsWith("<")) return file;
  const path = file.replace(/\\/g, "/");
  let at = -1;
  for (const m of path.matchAll(PACKAGES)) at = m.index + m[0].length;
  if (at >= 0) return path.slice(at);
  const lib = STDLIB.exec(path);
  if (lib) return path.slice(lib.index + lib[0].length);
  return baseName(path);
}

/** Files of the main script(s) of `p`: those whose `<module>` frame is the outermost Python frame of a stack. */
export function mainScriptFiles(p: Profile): Set<string> {
  const files = new Set<string>();
  const checked = new Uint8Array(p.frames.length);
  for (const s of p.samples) {
    for (const fi of s.stack) {
      const f = p.frames[fi];
      if (f === undefined || f.kind !== "python") continue;
      if (checked[fi] === 0) {
        checked[fi] = 1;
        if (f.name === "<module>" && f.file !== "") files.add(f.file);
      }
      break;
    }
  }
  return files;
}

/** The key under which `f` matches frames of the other profile (equal keys: the same function). */
export function frameMatchKey(f: Frame, match: FrameMatch, byLine: boolean, mainFiles?: ReadonlySet<string>): string {
  const line = byLine ? f.line : 0;
  if (match === "exact") return `${f.kind}\u0000${f.name}\u0000${f.file}\u0000${line}\u0000${f.module}`;
  switch (f.kind) {
    case "python":
      return `python\u0000${f.name}\u0000${pythonModuleOf(f.file, mainFiles)}\u0000${line}`;
    case "kernel":
      return `kernel\u0000${f.name}\u0000\u0000${line}`;
    default:
      return `${f.kind}\u0000${f.name}\u0000${baseName(f.module)}\u0000${line}`;
  }
}

/**
 * The two profiles with matching frames made equal, for a diff: each frame is replaced by the first frame with its
 * match key in `target`, else the first in `base`, so the diff shows the target's file and line for a function
 * that is in both. Samples are shared with the inputs (only the frame tables are new). Frames of one profile that
 * match each other become one frame too (the same function, as the reader sees it). With `exact`, the inputs.
 */
export function alignFrames(
  base: Profile,
  target: Profile,
  opts: MatchOptions & { byLine?: boolean } = {},
): [base: Profile, target: Profile] {
  const match = opts.match ?? "name";
  if (match === "exact") return [base, target];
  const byLine = opts.byLine === true;
  const shared = new Map<string, Frame>();
  const aligned = (p: Profile): Frame[] => {
    const mainFiles = mainScriptFiles(p);
    return p.frames.map((f) => {
      const k = frameMatchKey(f, match, byLine, mainFiles);
      let g = shared.get(k);
      if (g === undefined) {
        g = f;
        shared.set(k, g);
      }
      return g;
    });
  };
  const targetFrames = aligned(target);
  const baseFrames = aligned(base);
  return [
    { ...base, frames: baseFrames },
    { ...target, frames: targetFrames },
  ];
}

/** `s` as a FrameMatch, or an Error naming the choices. */
export function parseFrameMatch(s: string): FrameMatch {
  if ((FRAME_MATCHES as readonly string[]).includes(s)) return s as FrameMatch;
  throw new Error(`unknown frame match ${JSON.stringify(s)}: use ${FRAME_MATCHES.join(" or ")}`);
}
