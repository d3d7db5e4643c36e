import type { SimConfig } from '../config/config.ts';
import { NoneStore } from './none.ts';
import { SqliteStore } from './sqlite.ts';
import type { RegionStore, StoreCondition } from './types.ts';

export type { Committed, RegionStore, StorePort, StoreRecord, StoredEvent, RegionStats, ItemStat, ListQuery, StoreCondition } from './types.ts';

/** Makes the store of one region; buildApp takes another factory in tests. */
export type StoreFactory = (region: string, cfg: SimConfig) => RegionStore;

export const defaultStoreFactory: StoreFactory = (region, cfg) =>
  cfg.store.kind === 'none'
    ? new NoneStore(region, cfg.store.maxQueuedEvents)
    : new SqliteStore(region, cfg.dataDir, {
      fsync: cfg.store.fsync, batchMs: cfg.store.batchMs, batchEvents: cfg.store.batchEvents, maxPaths: cfg.store.maxFieldPaths, maxQueuedEvents: cfg.store.maxQueuedEvents,
    });

/** One store per served region: data residency means an event only ever reaches its region's store. */
export function openStores(regionIds: readonly string[], cfg: SimConfig, factory: StoreFactory = defaultStoreFactory): Map<string, RegionStore> {
  const stores = new Map<string, RegionStore>();
  try {
    for (const id of regionIds) stores.set(id, factory(id, cfg));
  } catch (err) {
    for (const s of stores.values()) void s.close();
    throw err;
  }
  return stores;
}
interface Log { info(o: object, msg: string): void; warn(o: object, msg: string): void; error(o: object, msg: string): void }

/**
 * Logs what opening each store found (a rebuilt index, a cut tail, quarantined pieces of the log) and then one
 * line per change of a store's condition (disk full, writing again): not a line per refused request.
 */
export function watchStores(stores: ReadonlyMap<string, RegionStore>, log: Log): void {
  for (const [region, store] of stores) {
    const r = store.condition().recovery;
    if (r && (r.rebuilt || r.truncated > 0 || r.quarantined.length > 0)) {
      const damaged = r.quarantined.filter((q) => q.reason === 'damaged');
      log.warn({ region, recovery: r },
        `store of region ${region}: recovery ${r.rebuilt ? 'rebuilt the index, ' : ''}cut ${r.truncated} bytes of an unfinished write off the log's end` +
        `${damaged.length ? `, and moved ${damaged.length} damaged records (${damaged.reduce((n, q) => n + q.length, 0)} bytes, at offsets ${damaged.map((q) => q.offset).join(', ')}) to ${damaged[0].file.replace(/[^/\\]*$/, '')}; the records after them are kept` : ''}`);
    }
    store.watch((c: StoreCondition) => {
      if (c.state === 'ok') log.info({ region, store: 'ok' }, `store of region ${region} writes again`);
      else log.error({ region, store: c.state, detail: c.detail }, `store of region ${region} cannot write (${c.state}): HEC answers 503 code 9 and health is degraded until space returns`);
    });
  }
}
