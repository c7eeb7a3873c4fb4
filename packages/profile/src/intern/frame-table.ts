/**
 * FrameTable: frames with dense ids 0, 1, 2, … in first-seen order, identity as frameKey (name, file, line, kind,
 * module; a NaN line equals a NaN line). Looked up by name first, then the other fields are compared, so no key
 * string is built per frame (V8 caches a string's hash; building one costs more than the whole lookup).
 * Shared by merge(), StackStore and the flame tree builder.
 */
import type { Frame, FrameKind } from "../model.js";

const sameLine = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));

export class FrameTable {
  readonly frames: Frame[] = [];
  /** name → ids of the frames with that name (usually one). */
  private byName = new Map<string, number | number[]>();

  /** `freeze`: the table's frame objects are frozen (they are handed out and shared). */
  constructor(private readonly freeze = false) {}

  get size(): number {
    return this.frames.length;
  }

  /** Id of the frame equal to `f`, or -1. */
  find(f: Frame): number {
    return this.findFields(f.name, f.file, f.line, f.kind, f.module);
  }

  /** Id of the frame with these fields, or -1. */
  findFields(name: string, file: string, line: number, kind: FrameKind, module: string): number {
    const hit = this.byName.get(name);
    if (hit === undefined) return -1;
    const frames = this.frames;
    if (typeof hit === "number") {
      const g = frames[hit]!;
      return sameLine(g.line, line) && g.file === file && g.kind === kind && g.module === module ? hit : -1;
    }
    for (const i of hit) {
      const g = frames[i]!;
      if (sameLine(g.line, line) && g.file === file && g.kind === kind && g.module === module) return i;
    }
    return -1;
  }

  /** Id of the frame equal to `f`, adding a copy of it if new (`size` grows by one then). */
  intern(f: Frame): number {
    return this.internFields(f.name, f.file, f.line, f.kind, f.module);
  }

  /** Id of the frame with these fields, adding it if new: no object is made for a frame already in the table. */
  internFields(name: string, file: string, line: number, kind: FrameKind, module: string): number {
    const id = this.findFields(name, file, line, kind, module);
    if (id >= 0) return id;
    const g: Frame = { name, file, line, kind, module };
    return this.push(this.freeze ? Object.freeze(g) : g);
  }

  private push(f: Frame): number {
    const id = this.frames.length;
    this.frames.push(f);
    const hit = this.byName.get(f.name);
    if (hit === undefined) this.byName.set(f.name, id);
    else if (typeof hit === "number") this.byName.set(f.name, [hit, id]);
    else hit.push(id);
    return id;
  }

  /** Forgets the frames from id `n` on. */
  truncate(n: number): void {
    if (n >= this.frames.length) return;
    const kept = this.frames.splice(0).slice(0, n);
    this.byName = new Map();
    for (const f of kept) this.push(f);
  }
}
