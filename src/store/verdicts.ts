import type { Verdict } from '../pipeline/classify/types.ts';
import { packRecords, type Batch } from './packed.ts';
import type { StoreRecord } from './types.ts';
import { grown } from './typed-arrays.ts';

/**
 * How verdicts travel with batches. A producer (an ingest thread, or the event loop) numbers the verdicts it
 * sends to one store in a list of its own (VerdictList): a field is a number in the batch, and a verdict's JSON
 * goes once, with the first batch that uses it (Batch.fresh). The store keeps what each number stands for
 * (VerdictTable), per producer. The list is bounded: every distinct field name makes a verdict, so past
 * MAX_VERDICTS the list starts again from 0 and the next batch says so (Batch.reset).
 */
export const MAX_VERDICTS = 50_000;

/**
 * A verdict's number for its producer: the filter's verdictNumber (src/pipeline/filter: a dense integer ≥ 0, the
 * same for a verdict object as long as it lives), or -1 for a verdict the filter did not make (a test's, or a
 * copy): those are found by their JSON.
 */
export type VerdictNumber = (f: Verdict) => number;

/** A producer's verdict list toward one store. */
export class VerdictList {
  /** Per verdict number (dense, the filter's): its index in this list + 1, 0 when not in it. */
  private byNumber = new Int32Array(1024);
  private byJson = new Map<string, number>();
  private count = 0;
  private fresh: Array<number | string> = [];
  /** A new list: its first batch tells the store to forget any list it had from this producer. */
  private reset = true;

  constructor(private readonly numberOf: VerdictNumber = () => -1) {}

  /** Verdicts numbered. */
  get size(): number {
    return this.count;
  }

  /** Called before a batch is packed: a full list starts again (the batch then says so). */
  begin(): void {
    if (this.count < MAX_VERDICTS) return;
    this.byNumber.fill(0);
    this.byJson = new Map();
    this.count = 0;
    this.reset = true;
  }

  /** The number of a field's verdict in this list (its JSON goes with the batch when new). */
  readonly number = (f: Verdict): number => {
    const n = this.numberOf(f);
    if (n >= 0) {
      this.byNumber = grown(this.byNumber, n);
      const known = this.byNumber[n];
      if (known !== 0) return known - 1;
      const i = this.count++;
      this.byNumber[n] = i + 1;
      this.fresh.push(i, JSON.stringify(f));
      return i;
    }
    const json = JSON.stringify(f);
    let i = this.byJson.get(json);
    if (i === undefined) {
      this.byJson.set(json, (i = this.count++));
      this.fresh.push(i, json);
    }
    return i;
  };

  /** What goes with the batch just packed: the new verdicts' JSON, and whether the list started again. */
  end(): Pick<Batch, 'fresh' | 'reset'> {
    const out = { fresh: this.fresh, reset: this.reset };
    this.fresh = [];
    this.reset = false;
    return out;
  }
}

/** What a store keeps of one producer's list: per number, what `make` made of the verdict's JSON. */
export class VerdictTable<T> {
  private byNumber: T[] = [];

  constructor(private readonly make: (json: string) => T) {}

  /** Takes a batch's new verdicts (in arrival order: one producer's batches arrive in order) and returns the table. */
  take(b: Pick<Batch, 'fresh' | 'reset'>): readonly T[] {
    if (b.reset) this.byNumber = [];
    const f = b.fresh;
    for (let i = 0; i < f.length; i += 2) this.byNumber[f[i] as number] = this.make(f[i + 1] as string);
    return this.byNumber;
  }
}

/**
 * Records as one batch on its own (its verdict list new, so it carries every verdict it uses): for a store
 * written outside the HEC path (tools, tests, a migration's replay).
 */
export function batchOf(records: readonly StoreRecord[]): Omit<Batch, 'seq'> {
  const list = new VerdictList();
  list.begin();
  return { ...packRecords(records, list.number), ...list.end() };
}
