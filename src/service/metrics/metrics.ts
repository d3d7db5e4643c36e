import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RegionStore } from '../../store/types.ts';

/** The service's Prometheus metrics, in a registry of their own (one per app, so tests can build many). */
export interface Metrics {
  readonly registry: Registry;
  readonly requests: Counter<'region' | 'endpoint' | 'status' | 'hec_code'>;
  readonly events: Counter<'region' | 'module'>;
  readonly droppedFields: Counter<'region' | 'module'>;
  readonly flaggedFields: Counter<'region' | 'module'>;
  readonly duration: Histogram<'route' | 'method' | 'status'>;
}

/** What the metrics read of the ingest worker threads (src/workers/pool.ts). */
export interface PoolGauge {
  readonly size: number;
  readonly threads: number;
  readonly jobs: number;
}

export function createMetrics(stores: ReadonlyMap<string, RegionStore>, withDefaults = true, pool: PoolGauge | null = null): Metrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'ingestor_sim_' });
  const requests = new Counter({
    name: 'ingestor_sim_hec_requests_total', help: 'HEC requests by region, endpoint, HTTP status and HEC code',
    labelNames: ['region', 'endpoint', 'status', 'hec_code'] as const, registers: [registry],
  });
  const events = new Counter({
    name: 'ingestor_sim_events_total', help: 'Events accepted (committed to the region store) by region and module',
    labelNames: ['region', 'module'] as const, registers: [registry],
  });
  const droppedFields = new Counter({
    name: 'ingestor_sim_fields_dropped_total', help: 'Fields dropped by the upload-permission filter',
    labelNames: ['region', 'module'] as const, registers: [registry],
  });
  const flaggedFields = new Counter({
    name: 'ingestor_sim_fields_flagged_total', help: 'Fields kept but flagged (undeclared in the notice)',
    labelNames: ['region', 'module'] as const, registers: [registry],
  });
  const duration = new Histogram({
    name: 'ingestor_sim_http_request_duration_seconds', help: 'HTTP request duration by route',
    labelNames: ['route', 'method', 'status'] as const, registers: [registry],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  new Gauge({
    name: 'ingestor_sim_store_queue_depth', help: 'Events accepted but not yet committed, per region store',
    labelNames: ['region'] as const, registers: [registry],
    collect() {
      for (const [id, s] of stores) this.set({ region: id }, s.queueDepth());
    },
  });
  // the stores' condition (src/store/condition.ts): a full disk, what recovery quarantined, field path shapes
  const condition = (name: string, help: string, value: (c: ReturnType<RegionStore['condition']>) => number | null) => new Gauge({
    name, help, labelNames: ['region'] as const, registers: [registry],
    collect() {
      for (const [id, s] of stores) {
        const v = value(s.condition());
        if (v !== null) this.set({ region: id }, v);
      }
    },
  });
  condition('ingestor_sim_store_degraded', 'Whether the region store cannot write (1: disk full; HEC answers 503 code 9)', (c) => (c.state === 'ok' ? 0 : 1));
  condition('ingestor_sim_store_quarantined_bytes', 'Bytes of the log recovery moved to the quarantine folder when the store opened',
    (c) => c.recovery?.quarantined.reduce((n, q) => n + q.length, 0) ?? null);
  condition('ingestor_sim_store_field_paths', 'Distinct field path shapes the region store keeps (capped by store.maxFieldPaths)', (c) => c.paths?.distinct ?? null);
  condition('ingestor_sim_store_field_paths_overflow', 'Fields whose path went to the overflow bucket (kept with the totals)', (c) => c.paths?.overflowFields ?? null);
  if (pool !== null) {
    new Gauge({
      name: 'ingestor_sim_ingest_threads', help: `Ingest worker threads running (started on demand, at most ${pool.size})`,
      registers: [registry],
      collect() { this.set(pool.threads); },
    });
    new Gauge({
      name: 'ingestor_sim_ingest_jobs', help: 'Requests being decoded, parsed and classified in ingest worker threads, or waiting for one',
      registers: [registry],
      collect() { this.set(pool.jobs); },
    });
  }
  return { registry, requests, events, droppedFields, flaggedFields, duration };
}
