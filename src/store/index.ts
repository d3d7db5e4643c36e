import type { SimConfig } from '../config/config.ts';
import { NoneBackend } from './none.ts';
import { SqliteBackend } from './sqlite.ts';
import type { RegionStore, StoreBackend } from './types.ts';
import { QueuedRegionStore } from './write-queue.ts';

export type { RegionStore, StoreBackend, StoreRecord, StoredEvent, RegionStats, ItemStat, ListQuery } from './types.ts';
export { QueuedRegionStore } from './write-queue.ts';

/** Makes the backend of one region; buildApp takes another factory in tests. */
export type BackendFactory = (region: string, cfg: SimConfig) => StoreBackend;

export const defaultBackendFactory: BackendFactory = (region, cfg) =>
  cfg.store.kind === 'none'
    ? new NoneBackend()
    : new SqliteBackend(region, cfg.dataDir, { fsync: cfg.store.fsync, batchMs: cfg.store.batchMs, batchEvents: cfg.store.batchEvents });

/** One store per served region: data residency means an event only ever reaches its region's store. */
export function openStores(regionIds: readonly string[], cfg: SimConfig, factory: BackendFactory = defaultBackendFactory): Map<string, RegionStore> {
  const stores = new Map<string, RegionStore>();
  try {
    for (const id of regionIds) stores.set(id, new QueuedRegionStore(id, factory(id, cfg), cfg.store));
  } catch (err) {
    for (const s of stores.values()) void s.close();
    throw err;
  }
  return stores;
}
