import type { StoreConfig } from '../config/config.ts';
import { isSimError, SimError } from '../errors/sim-error.ts';
import { isDiskFull } from './condition.ts';
import type { FilteredField } from '../pipeline/classify/types.ts';
import type { PackedBatch } from './packed.ts';
import type { ListQuery, RegionStats, RegionStore, StoreBackend, StoreCondition, StoredEvent, StoreRecord } from './types.ts';

interface Pending {
  records: readonly StoreRecord[];
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * A bounded write queue in front of a backend. fsync always/never: one transaction per request. fsync batch
 * (group commit): one transaction for every request waiting; a commit starts when the store is idle (after
 * `batchMs` of waiting for companions, 0 = at once, or as soon as `batchEvents` wait), and what arrives while
 * it runs goes into the next one: under load commits grow by themselves, with no timer. Callers' promises
 * resolve after their commit, so HTTP replies and indexer acks never run ahead of the disk. Beyond
 * `maxQueuedEvents` waiting events, `write` throws SIM_ERR_HEC_BUSY (HEC 503 code 9); a single request bigger
 * than the bound is still taken when the queue is empty, so it cannot be refused forever. A backend that
 * `groups` writes into commits itself (the SQLite writer thread) gets each write at once, and this queue only
 * counts and bounds what is not yet committed; a backend whose inserts are `immediate` (the none store) gets
 * each write at once, and nothing waits.
 */
export class QueuedRegionStore implements RegionStore {
  readonly kind: 'sqlite' | 'none';
  private queue: Pending[] = [];
  private queuedEvents = 0;
  private inflightEvents = 0;
  private inflightWrites = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private draining = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private readonly opened = Date.now();

  constructor(readonly region: string, private readonly backend: StoreBackend, private readonly cfg: Pick<StoreConfig, 'fsync' | 'batchMs' | 'batchEvents' | 'maxQueuedEvents'>) {
    this.kind = backend.kind;
  }

  queueDepth(): number {
    return this.queuedEvents + this.inflightEvents;
  }

  isFull(): boolean {
    return this.queueDepth() >= this.cfg.maxQueuedEvents;
  }

  get packed(): boolean {
    return this.backend.insertPacked !== undefined && (this.backend.immediate === true || this.backend.groups === true);
  }

  write(records: readonly StoreRecord[]): Promise<void> {
    return this.take(records.length, () => this.backend.insert(records), records);
  }

  /** As write, for a batch an ingest worker packed: the backend takes it at once (none) or groups it (SQLite). */
  writePacked(batch: PackedBatch, verdicts: readonly FilteredField[]): Promise<void> {
    if (!this.packed) return Promise.reject(new Error(`the ${this.kind} store of region '${this.region}' does not take packed batches`));
    return this.take(batch.events, () => this.backend.insertPacked!(batch, verdicts), null);
  }

  /**
   * n events to insert: at once into an immediate backend, handed over to one that groups commits itself, else
   * queued (records: only for this case, which packed batches never reach).
   */
  private take(n: number, insert: () => void | Promise<void>, records: readonly StoreRecord[] | null): Promise<void> {
    if (n === 0) return Promise.resolve();
    if (this.closed) return Promise.reject(new SimError('SIM_ERR_HEC_SHUTTING_DOWN'));
    if (this.backend.immediate === true && this.queue.length === 0 && !this.draining) {
      // nothing to group and nothing to wait for (the none store): no timer, no extra turn of the event loop
      try {
        void insert();
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(this.commitError(err));
      }
    }
    const depth = this.queueDepth();
    if (depth > 0 && depth + n > this.cfg.maxQueuedEvents) {
      return Promise.reject(new SimError('SIM_ERR_HEC_BUSY', {
        detail: `region '${this.region}' has ${depth} events waiting to be committed; the bound is ${this.cfg.maxQueuedEvents} (store.maxQueuedEvents)`,
      }));
    }
    if (this.backend.groups === true) return this.handOver(n, insert);
    if (records === null) return Promise.reject(new Error(`the ${this.kind} store of region '${this.region}' cannot queue a packed batch`));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records, resolve, reject });
      this.queuedEvents += n;
      this.schedule();
    });
  }

  /**
   * A backend that groups writes into commits itself gets each one at once; the queue counts and bounds. The
   * insert starts here, and only its promise and the count wait for the commit, not the records (nor a closure
   * holding them): they die young.
   */
  private handOver(n: number, insert: () => void | Promise<void>): Promise<void> {
    this.inflightEvents += n;
    this.inflightWrites++;
    let inserted: Promise<void>;
    try {
      inserted = Promise.resolve(insert()); // the same promise when it is one
    } catch (err) {
      inserted = Promise.reject(err);
    }
    return this.settle(inserted, n);
  }

  private async settle(inserted: Promise<void>, n: number): Promise<void> {
    try {
      await inserted;
    } catch (err) {
      throw this.commitError(err);
    } finally {
      this.inflightEvents -= n;
      if (--this.inflightWrites === 0 && this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private schedule(): void {
    if (this.draining) return;
    if (this.cfg.fsync !== 'batch' || this.cfg.batchMs <= 0 || this.queuedEvents >= this.cfg.batchEvents) {
      if (this.timer) { clearTimeout(this.timer); this.timer = null; }
      if (!this.immediate) this.immediate = setImmediate(() => { this.immediate = null; void this.drain(); });
    } else if (!this.timer && !this.immediate) {
      this.timer = setTimeout(() => { this.timer = null; void this.drain(); }, this.cfg.batchMs);
    }
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const groups = this.cfg.fsync === 'batch' ? this.queue.splice(0) : this.queue.splice(0, 1);
        const records = groups.length === 1 ? groups[0].records : groups.flatMap((g) => g.records);
        this.queuedEvents -= records.length;
        this.inflightEvents += records.length;
        try {
          await this.backend.insert(records);
          for (const g of groups) g.resolve();
        } catch (err) {
          const e = this.commitError(err);
          for (const g of groups) g.reject(e);
        } finally {
          this.inflightEvents -= records.length;
        }
        // what came in during the commit waits for batchMs like any write that finds the store idle
        if (this.cfg.fsync === 'batch' && this.cfg.batchMs > 0 && !this.closed && this.queuedEvents < this.cfg.batchEvents) break;
      }
    } finally {
      this.draining = false;
    }
    if (this.queue.length > 0) this.schedule();
    else if (this.inflightWrites === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  private commitError(err: unknown): SimError {
    if (isSimError(err)) return err;
    if (isDiskFull(err)) {
      return new SimError('SIM_ERR_STORE_DISK_FULL', { detail: `store of region '${this.region}': ${(err as Error).message}`, cause: err });
    }
    return new SimError('SIM_ERR_HEC_INTERNAL', { detail: `store of region '${this.region}' failed to commit: ${(err as Error).message}`, cause: err });
  }

  list(q: ListQuery): StoredEvent[] {
    return this.backend.list(q);
  }
  stats(): RegionStats {
    return this.backend.stats();
  }
  count(): number {
    return this.backend.count();
  }
  condition(): StoreCondition {
    return this.backend.condition?.() ?? { state: 'ok', since: this.opened, detail: null, recovery: null, unreadable: [] };
  }
  watch(listener: (c: StoreCondition) => void): void {
    this.backend.watch?.(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.queue.length > 0 || this.draining || this.inflightWrites > 0) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        if (!this.draining) void this.drain();
      });
    }
    await this.backend.close();
  }
}
