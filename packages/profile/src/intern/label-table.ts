/**
 * LabelTable: label sets with dense ids 0, 1, 2, … in first-seen order, identity as labelsKey (sorted key/value pairs).
 * Each set is kept once, frozen (the empty set is one shared object), so samples can share it.
 * Shared by merge() and StackStore.
 */
import { type Labels, labelsKey } from "../model.js";

export const EMPTY_LABELS: Labels = Object.freeze({});

export class LabelTable {
  readonly sets: Labels[] = [];
  private index = new Map<string, number>();

  get size(): number {
    return this.sets.length;
  }

  /** Id of this label set (interned if new) and its key. */
  intern(labels: Labels): number {
    const k = labelsKey(labels);
    let id = this.index.get(k);
    if (id === undefined) {
      id = this.sets.length;
      this.sets.push(Object.keys(labels).length === 0 ? EMPTY_LABELS : Object.freeze({ ...labels }));
      this.index.set(k, id);
    }
    return id;
  }

  /**
   * intern() with a cache by object identity: ProfileBuilder shares one object per distinct label set, so a
   * profile's samples need one key string per set, not per sample. Use one cache per input profile.
   */
  idOf(labels: Labels, cache: Map<Labels, number>): number {
    let id = cache.get(labels);
    if (id === undefined) {
      id = this.intern(labels);
      cache.set(labels, id);
    }
    return id;
  }

  /** Forgets the label sets from id `n` on. */
  truncate(n: number): void {
    if (n >= this.sets.length) return;
    this.sets.length = n;
    this.index = new Map();
    for (let i = 0; i < n; i++) this.index.set(labelsKey(this.sets[i]!), i);
  }
}
