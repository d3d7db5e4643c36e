/** Strings a Recent keeps: the sourcetypes (and modules) of one mixed batch, asked for again and again. */
export const RECENT_SIZE = 8;

/**
 * The last few strings asked for and what they gave, tried before a Map: a linear search by string comparison,
 * which for a string not internalized (a value of a parsed object) costs less than the Map's hashing of it; the
 * oldest entry is replaced by a new one. Owned by its user (a matcher's closures, a policy's gates), as every cache of theirs.
 */
export class Recent<V> {
  readonly keys: string[] = [];
  readonly values: V[] = [];
  private next = 0;
  constructor(private readonly size: number) {}

  /** The index of `key` in keys (and values), or -1. */
  find(key: string): number {
    const keys = this.keys;
    const n = key.length;
    // the lengths first: an inline load, where comparing two strings of which one is not internalized is a call
    for (let i = 0; i < keys.length; i++) if (keys[i].length === n && keys[i] === key) return i;
    return -1;
  }

  add(key: string, value: V): void {
    this.keys[this.next] = key;
    this.values[this.next] = value;
    this.next = this.next + 1 === this.size ? 0 : this.next + 1;
  }
}
