import type { FilteredField } from '../pipeline/classify/types.ts';
import { verdictNumber } from '../pipeline/filter/index.ts';

/**
 * Numbers per-field verdicts: equal verdicts (equal JSON) get one number. The filter hands out shared
 * objects, so a verdict is found by its number (an array index), another object by identity, and only a
 * verdict seen for the first time is serialized. Used for the SQLite store's class ids and for an ingest
 * thread's verdict list.
 */
export class VerdictIds {
  private byUid: number[] = [];
  private cached = 0;
  private readonly byObj = new WeakMap<object, number>();
  private readonly byJson = new Map<string, number>();

  /**
   * `onNew` hears of each new number and its verdict's JSON. `shape`, when given, is what is numbered instead of
   * the verdict itself (the store's: its path folded, paths.ts): verdicts of one shape share a number.
   * `maxCached` bounds the cache by verdict object (cleared when full: numbers are then found by JSON again).
   */
  constructor(
    private next: number,
    private readonly onNew: (id: number, json: string) => void,
    private readonly shape: ((f: FilteredField) => FilteredField) | null = null,
    private readonly maxCached = Infinity,
  ) {}

  /** How many distinct verdicts have a number. */
  get size(): number {
    return this.byJson.size;
  }

  /** A number given before (read back from a file): the same JSON gets it again; new numbers come after it. */
  preset(json: string, id: number): void {
    this.byJson.set(json, id);
    if (id >= this.next) this.next = id + 1;
  }

  of(f: FilteredField): number {
    const num = verdictNumber(f);
    let id = num >= 0 ? this.byUid[num] : this.byObj.get(f);
    if (id !== undefined) return id;
    const json = JSON.stringify(this.shape === null ? f : this.shape(f));
    id = this.byJson.get(json);
    if (id === undefined) {
      id = this.next++;
      this.byJson.set(json, id);
      this.onNew(id, json);
    }
    if (num >= 0) {
      if (++this.cached > this.maxCached) {
        this.byUid = []; // each distinct field name made a verdict: the cache would grow with them
        this.cached = 1;
      }
      this.byUid[num] = id;
    } else this.byObj.set(f, id);
    return id;
  }
}
