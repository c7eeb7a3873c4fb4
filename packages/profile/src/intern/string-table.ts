/** Strings with dense ids 0, 1, 2, … in first-seen order (the string tables of FlameTree and store segments). */
export class StringTable {
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();

  /** `first`: strings that get ids 0, 1, … up front (FlameTree's strings[0] is ""). */
  constructor(first: readonly string[] = []) {
    for (const s of first) this.id(s);
  }

  /** Id of `s`, adding it if new. */
  id(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}
