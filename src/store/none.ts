import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { SimError } from '../errors/sim-error.ts';
import { CommitTracker } from './commits.ts';
import type { Batch } from './packed.ts';
import { countingTable, ItemTotals, itemKey, sortItems, StatsCounter, type Counts } from './stats.ts';
import type { Committed, ListQuery, RegionStats, RegionStore, StoreCondition, StoredEvent, StorePort } from './types.ts';

/**
 * A producer thread's way to a store that only counts: it hands over Counts (stats.ts FieldTally), not
 * batches, posted on `port`, or given to `add` in the event loop by whoever receives them from the thread
 * (the ingest pool, with the thread's reply: one message per request). `add` stays in the event loop (a
 * function is not sent to a thread); Counts of one producer go to the one or the other, in the order taken.
 */
export interface CountingPort extends StorePort {
  counts: true;
  add: (c: Counts) => void;
}

/** Whether a producer's port is to a store that only counts (CountingPort). */
export const countsOnly = (p: StorePort): p is CountingPort => (p as Partial<CountingPort>).counts === true;

/**
 * The `none` store: keeps counts only (for pure load tests); lists no events. Its producers count for it
 * (stats.ts FieldTally: per module, and per (module, item, group) and action, in typed arrays) and hand it
 * Counts, never packed batches: the event loop's at once (append: nothing waits, so it is never busy), a
 * producer thread's when they arrive (with its reply to the ingest pool, or on its port). The per-item totals
 * are added up by row as Counts arrive and listed only when read (stats). A packed batch (append: tools,
 * tests) is counted too.
 */
export class NoneStore implements RegionStore {
  readonly kind = 'none' as const;
  private readonly counter = new StatsCounter();
  /** The fields of every Counts, by (module, item, group). */
  private readonly totals = new ItemTotals();
  /** The event loop's slots (its FieldTally's Counts come through append). */
  private readonly ownRows = this.totals.producer();
  private readonly tracker: CommitTracker;
  /** The event loop's own packed batches: each starts its verdict list again (they are made per request). */
  private readonly own = countingTable();
  private readonly ports: MessagePort[] = [];
  private readonly opened = Date.now();
  private closed = false;

  constructor(readonly region = 'none', maxQueuedEvents = 100_000) {
    this.tracker = new CommitTracker(region, maxQueuedEvents);
  }

  /**
   * Counts a batch at once: the event loop's Counts (its FieldTally's toward this store), or a packed batch
   * (tools, tests).
   */
  append(batch: Omit<Batch, 'seq'> | Counts): Promise<Committed> {
    if (this.closed) return Promise.reject(new SimError('SIM_ERR_HEC_SHUTTING_DOWN'));
    try {
      if ('cells' in batch) this.add(batch, this.ownRows);
      else this.counter.addBatch(batch as Batch, this.own);
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.resolve({ seq: 0, firstEvent: 0, events: batch.events });
  }

  private add(c: Counts, rows: number[]): void {
    this.totals.add(c, rows); // first: it refuses Counts out of order
    this.counter.addModuleRows(c.modules);
  }

  admit(): number {
    return this.tracker.admit();
  }

  settle(seq: number, events: number): Promise<Committed> {
    return this.tracker.settle(seq, events);
  }

  abandon(seq: number): void {
    this.tracker.abandon(seq);
  }

  connect(): CountingPort {
    const { port1, port2 } = new MessageChannel();
    const rows = this.totals.producer();
    const add = (c: Counts): void => {
      try {
        this.add(c, rows);
      } catch (err) {
        this.tracker.fail(c.seq, err);
        return;
      }
      this.tracker.commit(c.seq, { seq: c.seq, firstEvent: 0, events: c.events });
    };
    port2.on('message', add);
    port2.unref(); // a producer's port does not keep the process alive
    this.ports.push(port2);
    return { port: port1, text: false, counts: true, add };
  }

  queueDepth(): number {
    return this.tracker.queueDepth();
  }
  isFull(): boolean {
    return this.tracker.isFull();
  }
  list(_q: ListQuery): StoredEvent[] {
    return [];
  }
  stats(): RegionStats {
    const s = this.counter.snapshot();
    const items = this.totals.items();
    if (s.items.length === 0) return { ...s, items: sortItems(items) };
    // packed batches were appended too (tools, tests): one entry per (module, item, group) all the same
    const byKey = new Map(s.items.map((i) => [itemKey(i.module, i.item, i.group ?? null), i]));
    for (const i of items) {
      const key = itemKey(i.module, i.item, i.group ?? null);
      const t = byKey.get(key);
      if (t === undefined) byKey.set(key, i);
      else { t.kept += i.kept; t.dropped += i.dropped; t.flagged += i.flagged; }
    }
    return { ...s, items: sortItems([...byKey.values()]) };
  }
  count(): number {
    return this.counter.events;
  }
  condition(): StoreCondition {
    return { state: 'ok', since: this.opened, detail: null, recovery: null, unreadable: [] };
  }
  watch(_listener: (c: StoreCondition) => void): void {}

  async close(): Promise<void> {
    this.closed = true;
    await this.tracker.close();
    for (const p of this.ports.splice(0)) p.close();
  }
}
