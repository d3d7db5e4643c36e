import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { SimError } from '../errors/sim-error.ts';
import { CommitTracker } from './commits.ts';
import type { Batch } from './packed.ts';
import { countingTable, StatsCounter } from './stats.ts';
import type { Committed, ListQuery, RegionStats, RegionStore, StoreCondition, StoredEvent, StorePort } from './types.ts';

/**
 * The `none` store: keeps counts only (for pure load tests); lists no events. It counts in the event loop: a
 * batch appended there at once (nothing waits, so it is never busy), a producer thread's when it arrives on
 * that thread's port (without the events' texts, which it does not keep).
 */
export class NoneStore implements RegionStore {
  readonly kind = 'none' as const;
  private readonly counter = new StatsCounter();
  private readonly tracker: CommitTracker;
  /** The event loop's own batches: each starts its verdict list again (they are made per request). */
  private readonly own = countingTable();
  private readonly ports: MessagePort[] = [];
  private readonly opened = Date.now();
  private closed = false;

  constructor(readonly region = 'none', maxQueuedEvents = 100_000) {
    this.tracker = new CommitTracker(region, maxQueuedEvents);
  }

  append(batch: Omit<Batch, 'seq'>): Promise<Committed> {
    if (this.closed) return Promise.reject(new SimError('SIM_ERR_HEC_SHUTTING_DOWN'));
    this.counter.addBatch(batch as Batch, this.own);
    return Promise.resolve({ seq: 0, firstEvent: 0, events: batch.events });
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

  connect(): StorePort {
    const { port1, port2 } = new MessageChannel();
    const table = countingTable();
    port2.on('message', (b: Batch) => {
      this.counter.addBatch(b, table);
      this.tracker.commit(b.seq, { seq: b.seq, firstEvent: 0, events: b.events });
    });
    port2.unref(); // a producer's port does not keep the process alive
    this.ports.push(port2);
    return { port: port1, text: false };
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
    return this.counter.snapshot();
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
