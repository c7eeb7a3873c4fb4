/**
 * FrameTable: frames with dense ids 0, 1, 2, … in first-seen order, identity as frameKey (name, file, line, kind,
 * module; a NaN line equals a NaN line). Looked up by name first, then the other fields are compared, so no key
 * string is built per frame (V8 caches a string's hash; building one costs more than the whole lookup).
 * Shared by merge() and StackStore (the flame tree keeps string-id columns: see exporters/build-flame-tree.ts).
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
    return hit === undefined ? -1 : this.match(hit, file, line, kind, module);
  }

  /** Id of the frame equal to `f`, adding a copy of it if new (`size` grows by one then). */
  intern(f: Frame): number {
    return this.internFields(f.name, f.file, f.line, f.kind, f.module);
  }

  /** Id of the frame with these fields, adding it if new: no object is made for a frame already in the table. */
  internFields(name: string, file: string, line: number, kind: FrameKind, module: string): number {
    // One Map lookup by name serves both the search and the insert.
    const hit = this.byName.get(name);
    if (hit !== undefined) {
      const id = this.match(hit, file, line, kind, module);
      if (id >= 0) return id;
    }
    const g: Frame = { name, file, line, kind, module };
    const id = this.frames.length;
    this.frames.push(this.freeze ? Object.freeze(g) : g);
    this.addName(name, hit, id);
    return id;
  }

  /** Forgets the frames from id `n` on. */
  truncate(n: number): void {
    if (n >= this.frames.length) return;
    this.frames.length = n;
    this.byName = new Map();
    for (let id = 0; id < n; id++) {
      const name = this.frames[id]!.name;
      this.addName(name, this.byName.get(name), id);
    }
  }

  /** The frame among `hit` (the ids with the frame's name) with these other fields, or -1. */
  private match(hit: number | number[], file: string, line: number, kind: FrameKind, module: string): number {
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

  /** Records id under `name`, whose ids so far are `hit`. */
  private addName(name: string, hit: number | number[] | undefined, id: number): void {
    if (hit === undefined) this.byName.set(name, id);
    else if (typeof hit === "number") this.byName.set(name, [hit, id]);
    else hit.push(id);
  }
}
