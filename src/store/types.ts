import type { PackedBatch } from './packed.ts';
import type { FilteredField } from '../pipeline/classify/types.ts';

/** What the ingest pipeline hands to a region store: one event after classification and filtering. */
export interface StoreRecord {
  /** Milliseconds since the epoch when the request was received. */
  receivedAt: number;
  tenant: string;
  /** The event's module (from the token, else the sourcetype), or null. */
  module: string | null;
  /** The envelope's time (epoch seconds), or null when it had none. */
  time: number | null;
  host: string;
  source: string;
  sourcetype: string;
  index: string;
  endpoint: 'event' | 'raw';
  /** The event as stored: without the dropped fields. */
  event: unknown;
  /** Indexed fields (`fields` of the envelope), without the dropped ones; null when none. */
  fields: Record<string, unknown> | null;
  /**
   * The envelope's JSON text as received, when `event` and `fields` are exactly what it holds (nothing
   * dropped): a store may keep this text instead of serializing the event again. Absent otherwise.
   */
  envelope?: string;
  /** Per-field classification and action, for the event and its indexed fields (`fields.<name>`). */
  classification: FilteredField[];
  dropped: number;
  flagged: number;
}

export interface StoredEvent extends StoreRecord {
  id: number;
  region: string;
}

export interface ListQuery {
  /** Only events of this module id; null = events without a module; undefined = all. */
  module?: string | null;
  limit: number;
}

export interface ItemStat {
  module: string | null;
  item: string | null;
  kept: number;
  dropped: number;
  flagged: number;
}

export interface RegionStats {
  events: number;
  droppedFields: number;
  flaggedFields: number;
  /** Per event module ('' = none). */
  modules: Record<string, { events: number; droppedFields: number; flaggedFields: number }>;
  items: ItemStat[];
}

/** A piece of the log recovery took out (event-log.mjs), and the quarantine file that holds its bytes. */
export interface QuarantinedPiece { offset: number; length: number; reason: 'damaged' | 'torn'; file: string }

/** How a region's store is: whether it can write, and what opening it found. */
export interface StoreCondition {
  /** 'ok', or 'disk-full': the last write failed for want of space (ENOSPC, EDQUOT, SQLITE_FULL). */
  state: 'ok' | 'disk-full';
  /** Since when (ms since the epoch). */
  since: number;
  /** The error that made it degraded. */
  detail: string | null;
  /** What opening found (SQLite store): chunks replayed, bytes cut off the log's end, a rebuilt index, quarantined pieces. */
  recovery: { replayed: number; truncated: number; rebuilt: boolean; quarantined: QuarantinedPiece[] } | null;
  /** Log offsets of records the index names that could not be read since the store opened (damaged on disk). */
  unreadable: number[];
  /**
   * Field path shapes (SQLite store, paths.ts): distinct shapes kept, the cap (store.maxFieldPaths), and the
   * fields past the cap (folded into the overflow bucket), kept with the totals.
   */
  paths?: { distinct: number; cap: number; overflowFields: number };
}

/**
 * A region's storage engine. `insert` writes one group of records in one transaction (durable per the
 * fsync mode when it returns/resolves). The write queue in front of it (write-queue.ts) decides the grouping.
 */
export interface StoreBackend {
  readonly kind: 'sqlite' | 'none';
  /**
   * Inserts cost nothing and are never lost by a crash that they could outlive (the `none` store keeps
   * counts in memory): the write queue then calls insert (synchronous for such a backend) at once instead of grouping writes.
   */
  readonly immediate?: boolean;
  /**
   * The backend groups concurrent inserts into commits itself (the SQLite writer thread): the write queue
   * hands it each write at once, keeping only the bound and the count of what is not yet committed.
   */
  readonly groups?: boolean;
  insert(records: readonly StoreRecord[]): void | Promise<void>;
  /**
   * Inserts a batch an ingest worker packed (src/store/packed.ts), its verdict indices pointing into
   * `verdicts`; a backend without it gets records, and the service then classifies in the event loop.
   * Only for `immediate` or `groups` backends.
   */
  insertPacked?(batch: PackedBatch, verdicts: readonly FilteredField[]): void | Promise<void>;
  list(q: ListQuery): StoredEvent[];
  stats(): RegionStats;
  count(): number;
  /** Its condition (a backend without it is always ok); `watch` hears of each change of `state`. */
  condition?(): StoreCondition;
  watch?(listener: (c: StoreCondition) => void): void;
  /** Called once every write has settled. */
  close(): void | Promise<void>;
}

/** What the service uses: a backend behind a bounded write queue. */
export interface RegionStore {
  readonly region: string;
  readonly kind: 'sqlite' | 'none';
  /** Resolves once the records are committed; throws SimError SIM_ERR_HEC_BUSY when the queue is full. */
  write(records: readonly StoreRecord[]): Promise<void>;
  /** True when the backend takes packed batches (writePacked). */
  readonly packed: boolean;
  /** As write, for a batch an ingest worker packed. */
  writePacked(batch: PackedBatch, verdicts: readonly FilteredField[]): Promise<void>;
  /** Events accepted but not yet committed. */
  queueDepth(): number;
  /** True when the queue cannot take another event. */
  isFull(): boolean;
  list(q: ListQuery): StoredEvent[];
  stats(): RegionStats;
  count(): number;
  /** Whether it can write (disk full) and what opening it found. */
  condition(): StoreCondition;
  /** `listener` hears of each change of the condition's state (one log line per change, not per request). */
  watch(listener: (c: StoreCondition) => void): void;
  /** Commits what waits, then closes. */
  close(): Promise<void>;
}
