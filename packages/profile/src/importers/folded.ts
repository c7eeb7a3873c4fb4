/**
 * Folded / collapsed stacks (Brendan Gregg's stackcollapse output, py-spy raw):
 * one line per stack, root first, frames joined by `;`, then a space and a count.
 */
import { parseFrameText } from "../frame-text.js";
import { type Frame, type Profile, ProfileBuilder, type ValueType } from "../model.js";

export interface FoldedOptions {
  /** Sample type of the counts; default `{ type: "samples", unit: "count" }`. */
  sampleType?: ValueType;
  /** Sampling period in ns (e.g. 1e9/99), 0 if unknown. */
  period?: number;
  /** Name used in error messages. */
  filename?: string;
}

const decoder = /* @__PURE__ */ new TextDecoder("utf-8", { fatal: false });

export function parseFolded(input: string | Uint8Array, opts: FoldedOptions = {}): Profile {
  const text = typeof input === "string" ? input : decoder.decode(input);
  const sampleType = opts.sampleType ?? { type: "samples", unit: "count" };
  const b = new ProfileBuilder([sampleType], {
    period: opts.period ?? 0,
    periodType: { type: "cpu", unit: "nanoseconds" },
  });
  // Frame text → frame index, so each distinct text is parsed once.
  const textIndex = new Map<string, number>();
  const where = opts.filename ?? "folded input";
  let lineNo = 0;
  let pos = 0;
  const n = text.length;
  const stack: number[] = [];
  while (pos < n) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = n;
    lineNo++;
    let line = text.slice(pos, end);
    pos = end + 1;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.trim() === "" || line.startsWith("#")) continue;
    const sp = line.lastIndexOf(" ");
    const countText = sp < 0 ? "" : line.slice(sp + 1);
    const count = countText === "" ? Number.NaN : Number(countText);
    if (!Number.isFinite(count) || count < 0) {
      throw new Error(
        `${where}, line ${lineNo}: expected "frame1;frame2;... COUNT" with a non-negative number at the end, got ${JSON.stringify(
          line.length > 120 ? `${line.slice(0, 120)}...` : line,
        )}`,
      );
    }
    const stackText = line.slice(0, sp);
    stack.length = 0;
    if (stackText !== "") {
      let fpos = 0;
      while (fpos <= stackText.length) {
        let fend = stackText.indexOf(";", fpos);
        if (fend < 0) fend = stackText.length;
        const ft = stackText.slice(fpos, fend);
        fpos = fend + 1;
        let idx = textIndex.get(ft);
        if (idx === undefined) {
          const f: Frame = parseFrameText(ft);
          idx = b.frame(f);
          textIndex.set(ft, idx);
        }
        stack.push(idx);
      }
    }
    b.add(stack, [count]);
  }
  return b.build();
}
