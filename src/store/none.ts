import type { FilteredField } from '../pipeline/classify/types.ts';
import type { PackedBatch } from './packed.ts';
import { StatsCounter } from './stats.ts';
import type { ListQuery, RegionStats, StoreBackend, StoredEvent, StoreRecord } from './types.ts';

/** The `none` store: keeps counts only (for pure load tests); lists no events. */
export class NoneBackend implements StoreBackend {
  readonly kind = 'none' as const;
  readonly immediate: boolean = true;
  private readonly counter = new StatsCounter();

  insert(records: readonly StoreRecord[]): void {
    this.counter.add(records);
  }
  insertPacked(batch: PackedBatch, verdicts: readonly FilteredField[]): void {
    this.counter.addPacked(batch, verdicts);
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
  close(): void {}
}
