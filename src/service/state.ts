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
import type { TenantPolicies } from './tenant-policies.ts';

export interface RegionRuntime {
  def: RegionDef;
  headers: Record<string, string>;
  store: RegionStore;
  /** The --region-ports port, when one is configured (the bound one once listening: SimState#setRegionPort). */
  readonly port: number | null;
}

/** What SimState is made of (src/service/app.ts builds it once). */
export interface SimStateInit {
  cfg: SimConfig;
  regions: Map<string, RegionRuntime>;
  routes: RouteTable;
  tokens: TokenTable;
  tokenModules: Map<TokenDef, string | null>;
  acks: AckRegistry;
  metrics: Metrics;
  classifier: ClassifierDeps;
  policies: TenantPolicies;
  pool: IngestPool | null;
  budgets: Budgets;
  log: FastifyBaseLogger;
}

/**
 * What the service holds at run time; decorated on the Fastify instance as `sim`. Every field is fixed at boot;
 * what changes does so through methods: a tenant's policy through `policies` (TenantPolicies), shutting down
 * through `setShuttingDown`.
 */
export class SimState {
  readonly cfg: SimConfig;
  readonly regions: ReadonlyMap<string, RegionRuntime>;
  readonly routes: RouteTable;
  readonly tokens: TokenTable;
  /** Token → its module id, resolved once at boot. */
  readonly tokenModules: ReadonlyMap<TokenDef, string | null>;
  readonly acks: AckRegistry;
  readonly metrics: Metrics;
  readonly classifier: ClassifierDeps;
  /** Tenant id → current policy; changed only through its methods, which tell the ingest threads (effective at once). */
  readonly policies: TenantPolicies;
  /** Ingest worker threads (cfg.ingest.workers), or null: requests are then decoded and classified in the event loop. */
  readonly pool: IngestPool | null;
  /** The global bytes-in-flight counters (src/service/hec/admission.ts), shared with the ingest threads. */
  readonly budgets: Budgets;
  readonly log: FastifyBaseLogger;
  #shuttingDown = false;

  constructor(init: SimStateInit) {
    this.cfg = init.cfg;
    this.regions = init.regions;
    this.routes = init.routes;
    this.tokens = init.tokens;
    this.tokenModules = init.tokenModules;
    this.acks = init.acks;
    this.metrics = init.metrics;
    this.classifier = init.classifier;
    this.policies = init.policies;
    this.pool = init.pool;
    this.budgets = init.budgets;
    this.log = init.log;
  }

  /** True once the server is closing (SIGINT/SIGTERM): HEC answers 503 code 23 and held sockets are let go. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  setShuttingDown(on: boolean): void {
    this.#shuttingDown = on;
  }

  /** The port a region's own listener was bound to (--region-ports 0 picks one). */
  setRegionPort(region: string, port: number): void {
    const r = this.regions.get(region);
    if (r === undefined) throw new Error(`no region '${region}' is served`);
    (r as { port: number | null }).port = port;
  }
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
    /**
     * The region the request was routed to, or null. Decorated by the HEC plugin (src/service/hec/plugin.ts) and
     * set by its routing hook: requests of other scopes (admin API, /metrics) do not carry it.
     */
    region: string | null;
    /** What the HEC plugin's onRequest hook found out (the HEC plugin's requests only, as `region`). */
    hec: HecContext | null;
  }
  interface FastifyContextConfig {
    /** HEC route kind; drives routing, auth and channel checks in one onRequest hook. */
    hec?: 'event' | 'raw' | 'ack' | 'health' | 'other';
  }
}
