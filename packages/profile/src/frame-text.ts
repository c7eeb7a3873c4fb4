/**
 * The one-line text form of a frame used by folded stacks (and py-spy's raw output):
 * Python `qualname (file:line)` (or `qualname (file)` when the line is unknown),
 * kernel `name_[k]`, anything else its bare name. Also the frame helpers importers and exporters share.
 */
import type { Frame } from "./model.js";

export const KERNEL_SUFFIX = "_[k]";

const KERNEL_MODULES = new Set(["[kernel]", "[kernel.kallsyms]", "[vdso]_kernel"]);

/** A pprof mapping / module name that stands for the kernel (`[kernel.kallsyms]`, `[vdso]_kernel`, …). */
export function isKernelModule(module: string): boolean {
  return KERNEL_MODULES.has(module) || module.startsWith("[kernel");
}

/** Python when the file is a `.py` source or a CPython pseudo-file such as `<frozen importlib._bootstrap>`. */
export function looksLikePythonFile(file: string): boolean {
  return file.endsWith(".py") || (file.startsWith("<") && file.endsWith(">") && file.length > 2);
}

const PY_WITH_LINE = /^(.*) \(([^()]*):([1-9]\d*)\)$/;
const PY_FILE_ONLY = /^(.*) \(([^():]*\.py)\)$/;

export function formatFrameText(f: Frame): string {
  switch (f.kind) {
    case "python":
      if (f.file === "") return f.name;
      return f.line > 0 ? `${f.name} (${f.file}:${f.line})` : `${f.name} (${f.file})`;
    case "kernel":
      return f.name + KERNEL_SUFFIX;
    default:
      return f.name;
  }
}

/** Inverse of formatFrameText for the frames it can tell apart. */
export function parseFrameText(text: string): Frame {
  if (text.endsWith(KERNEL_SUFFIX) && text.length > KERNEL_SUFFIX.length) {
    return { name: text.slice(0, -KERNEL_SUFFIX.length), file: "", line: 0, kind: "kernel", module: "" };
  }
  let m = PY_WITH_LINE.exec(text);
  if (m && m[1] !== "" && m[2] !== "") {
    return { name: m[1]!, file: m[2]!, line: Number(m[3]), kind: "python", module: "" };
  }
  m = PY_FILE_ONLY.exec(text);
  if (m && m[1] !== "") return { name: m[1]!, file: m[2]!, line: 0, kind: "python", module: "" };
  return { name: text, file: "", line: 0, kind: "native", module: "" };
}
