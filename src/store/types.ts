import type { MessagePort } from 'node:worker_threads';
import type { Batch } from './packed.ts';
import type { Verdict } from '../pipeline/classify/types.ts';

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
  /** Per-field verdicts (classification and action), for the event and its indexed fields (`fields.<name>`). */
  verdicts: Verdict[];
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
  /**
   * The notice's sub-group of the item (Office 365's eight "User principal name" items differ only by it);
   * absent for an item without one (and undeclared fields).
   */
  group?: string;
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

/** A piece of the log recovery took out (event-log.ts), and the quarantine file that holds its bytes. */
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

/** A request's commit, as its store tells it: its number, the id of its first event (0: the none store), its events. */
export interface Committed { seq: number; firstEvent: number; events: number }

/**
 * A producer thread's way to a store (an ingest worker's): batches posted on `port` are appended as `append`
 * appends them, and their commits settle the requests admitted for them (RegionStore.settle). `text`: whether
 * the store keeps the events' texts (the none store only counts: a producer may leave them out).
 */
export interface StorePort { port: MessagePort; text: boolean }

/**
 * A region's store. One way in: a batch (packed.ts), appended by the thread that made it (`append`), or
 * posted by a producer thread on its port (`connect`) for a request the event loop admitted (`admit`) and
 * waits for (`settle`). The requests waiting for their commit are bounded (commits.ts: 503 code 9).
 */
export interface RegionStore {
  readonly region: string;
  readonly kind: 'sqlite' | 'none';
  /** Appends a batch made in this thread (its `seq` is set here); resolves once it is committed. */
  append(batch: Omit<Batch, 'seq'>): Promise<Committed>;
  /** A request's number for a batch a producer thread will post; throws SIM_ERR_HEC_BUSY when the queue is full. */
  admit(): number;
  /** The commit of admitted request `seq`, whose producer packed `events` events (0: it posts nothing). */
  settle(seq: number, events: number): Promise<Committed>;
  /** An admitted request whose producer failed before posting. */
  abandon(seq: number): void;
  /** A new producer thread's port to this store. */
  connect(): StorePort;
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
