import type { FastifyBaseLogger } from 'fastify';
import type { SimConfig, TokenDef } from '../config/config.ts';
import type { RegionDef } from './region/regions.ts';
import type { RouteTable } from './region/route.ts';
import type { TokenTable } from './auth/auth.ts';
import type { Metrics } from './metrics/metrics.ts';
import type { RegionStore } from '../store/types.ts';
import type { AckRegistry } from './hec/acks.ts';
import type { Budgets } from './hec/admission.ts';
import type { ClassifierDeps, PolicyLike } from '../pipeline/ingest/pipeline.ts';
import type { IngestPool } from '../workers/pool.ts';
import type { PolicyStore } from '../pipeline/policy/persist.ts';

export interface RegionRuntime {
  def: RegionDef;
  headers: Record<string, string>;
  store: RegionStore;
  /** The --region-ports port, when one is configured. */
  port: number | null;
}

/** What the service holds at run time; decorated on the Fastify instance as `sim`. */
export interface SimState {
  cfg: SimConfig;
  regions: Map<string, RegionRuntime>;
  routes: RouteTable;
  tokens: TokenTable;
  /** Token → its module id, resolved once at boot. */
  tokenModules: Map<TokenDef, string | null>;
  acks: AckRegistry;
  metrics: Metrics;
  classifier: ClassifierDeps;
  /** Tenant id → current policy; a PUT replaces the entry (effective at once). */
  policies: Map<string, PolicyLike>;
  /** Ingest worker threads (cfg.ingest.workers), or null: requests are then decoded and classified in the event loop. */
  pool: IngestPool | null;
  /** The global bytes-in-flight counters (src/service/hec/admission.ts), shared with the ingest threads. */
  budgets: Budgets;
  shuttingDown: boolean;
  log: FastifyBaseLogger;
  /** Where permission and setting changes are kept, with their audit trail; null: not kept (store kind none). */
  policyStore?: PolicyStore | null;
}

/** What the onRequest hook of a HEC route found out. */
export interface HecContext {
  region: RegionRuntime;
  token: TokenDef | null;
  channel: string | null;
  /** The tenant's policy when the request arrived (applied to it even if a PUT replaces it meanwhile). */
  policy?: PolicyLike;
}

declare module 'fastify' {
  interface FastifyInstance {
    sim: SimState;
  }
  interface FastifyRequest {
    /** The region the request was routed to (HEC routes), or null. */
    region: string | null;
    hec: HecContext | null;
  }
  interface FastifyContextConfig {
    /** HEC route kind; drives routing, auth and channel checks in one onRequest hook. */
    hec?: 'event' | 'raw' | 'ack' | 'health' | 'other';
  }
}
