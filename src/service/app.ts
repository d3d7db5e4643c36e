import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { compileTokens } from './auth/auth.ts';
import { tenantFilterPolicies, type SimConfig, type TokenDef } from '../config/config.ts';
import { SchemaError } from '../config/schema.ts';
import { isSimError } from '../errors/sim-error.ts';
import { AckRegistry, channelsPerToken } from './hec/acks.ts';
import { defaultClassifier } from '../pipeline/ingest/classifier.ts';
import type { ClassifierDeps, PolicyLike } from '../pipeline/ingest/pipeline.ts';
import { IngestPool, policySnapshot } from '../workers/pool.ts';
import { Budgets } from './hec/admission.ts';
import { hecClientErrorHandler, hecErrorHandler } from './hec/client-error.ts';
import { hecPlugin } from './hec/plugin.ts';
import { SimState, type RegionRuntime } from './state.ts';
import { TenantPolicies } from './tenant-policies.ts';
import { adminPlugin } from './admin/plugin.ts';
import { restorePolicies } from '../pipeline/policy/boot.ts';
import { describeCandidates, lookupModule } from '../pipeline/policy/names.ts';
import { createMetrics } from './metrics/metrics.ts';
import { loadRegions, servedRegions, type RegionDef } from './region/regions.ts';
import { compileRouteTable, regionHeaders } from './region/route.ts';
import { compileCorsPolicy, corsHook } from './region/cors.ts';
import { openStores, watchStores, type StoreFactory } from '../store/index.ts';
import { FaultRegistry } from './faults/index.ts';

export interface AppOptions {
  /** The classifier and filter; default: the catalog's (src/pipeline/classify, src/pipeline/filter). */
  classifier?: ClassifierDeps;
  /** Makes each region's store; default: SQLite or none per cfg.store.kind. */
  backendFactory?: StoreFactory;
  /** Fastify logger option; default: pino at cfg.logLevel. */
  logger?: FastifyServerOptions['logger'];
  /** For server.ts: HTTPS / several ports. */
  serverFactory?: FastifyServerOptions['serverFactory'];
  regions?: readonly RegionDef[];
  /** Collect Node's default process metrics (off in tests that build many apps). */
  defaultMetrics?: boolean;
}

/** A request URL fit for logs: the value of any `token=` query parameter replaced. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}

function compilePolicies(cfg: SimConfig, classifier: ClassifierDeps): Map<string, PolicyLike> {
  const problems: string[] = [];
  const policies = new Map<string, PolicyLike>();
  cfg.tenants.forEach((t, i) => {
    try {
      policies.set(t.id, classifier.compilePolicy(classifier.matcher, {
        uploadPermission: { ...t.uploadPermission }, settings: { ...t.settings }, ...tenantFilterPolicies(cfg, t),
      }));
    } catch (err) {
      problems.push(`/tenants/${i}/uploadPermission: ${(isSimError(err) ? err.detail : undefined) ?? (err as Error).message}`);
    }
  });
  if (problems.length) throw new SchemaError('config', problems);
  return policies;
}

function resolveTokenModules(cfg: SimConfig, classifier: ClassifierDeps): Map<TokenDef, string | null> {
  const problems: string[] = [];
  const out = new Map<TokenDef, string | null>();
  cfg.tokens.forEach((t, i) => {
    if (t.module === undefined) return void out.set(t, null);
    const r = lookupModule(classifier.matcher.modules, t.module);
    if (r.kind === 'none') problems.push(`/tokens/${i}/module: no module '${t.module}' in the catalog`);
    else if (r.kind === 'many') problems.push(`/tokens/${i}/module: '${t.module}' names ${r.candidates.length} modules: ${describeCandidates(r.candidates)}; use one of these ids`);
    else out.set(t, r.module.id);
  });
  if (problems.length) throw new SchemaError('config', problems);
  return out;
}

/**
 * Builds the service (no listen): the root holds the state every part shares (SimState: stores, tokens, acks,
 * tenant policies, ingest threads, metrics; the fault registry) and what every answer shares (CORS headers, the
 * duration metric, HEC JSON errors); the HEC surface and the admin API are encapsulated plugins
 * (src/service/hec/plugin.ts, src/service/admin/plugin.ts; docs/architecture.md has the tree). Throws SchemaError (SIM_ERR_CONFIG_INVALID) for config that does not fit the catalog.
 */
export function buildApp(cfg: SimConfig, opts: AppOptions = {}): FastifyInstance {
  const classifier = opts.classifier ?? defaultClassifier();
  const regionDefs = opts.regions ?? servedRegions(loadRegions());
  const policies = compilePolicies(cfg, classifier);
  // permissions and settings changed through the admin API, kept with the data (src/pipeline/policy/persist.ts)
  const restored = restorePolicies(cfg, classifier, policies);
  const tokenModules = resolveTokenModules(cfg, classifier);

  const app = Fastify({
    logger: opts.logger ?? {
      level: cfg.logLevel,
      // Fastify's request line, without a query-string token (?token=) or any Authorization header
      serializers: {
        req: (req: { method: string; url: string; host?: string; ip?: string }) => ({
          method: req.method, url: redactUrl(req.url), host: req.host, remoteAddress: req.ip,
        }),
      },
    },
    routerOptions: { ignoreTrailingSlash: true },
    // the admin plugin's JSON bodies; the HEC plugin's parser names the same limit itself
    bodyLimit: cfg.limits.maxBodyBytes,
    // Splunk keeps HEC connections open a long time (keepAliveIdleTimeout 7200 s); 75 s is plenty for clients here.
    // Timeouts a slowloris cannot outlast (limits.*TimeoutMs; src/service/server.ts sets the same on the servers it makes)
    keepAliveTimeout: cfg.limits.keepAliveTimeoutMs,
    requestTimeout: Math.max(cfg.limits.requestTimeoutMs, cfg.limits.headersTimeoutMs),
    http: { headersTimeout: cfg.limits.headersTimeoutMs, connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(cfg.limits.headersTimeoutMs / 4))) },
    // requests that arrive while closing get HEC's answer (503 code 23, from the HEC hook), not Fastify's own 503 body
    return503OnClosing: false,
    // Node's own refusals (bad request line, headers too large, header/request timeouts) as HEC JSON
    clientErrorHandler: hecClientErrorHandler,
    ...(opts.serverFactory ? { serverFactory: opts.serverFactory } : {}),
  });

  const stores = openStores(regionDefs.map((r) => r.id), cfg, opts.backendFactory);
  watchStores(stores, app.log);
  const regions = new Map<string, RegionRuntime>();
  for (const def of regionDefs) {
    regions.set(def.id, { def, headers: regionHeaders(def), store: stores.get(def.id)!, port: cfg.listen.regionPorts[def.id] ?? null });
  }
  const acks = new AckRegistry({
    maxChannels: cfg.limits.maxAckChannels,
    maxChannelsPerToken: channelsPerToken(cfg.limits.maxAckChannels, cfg.tokens.filter((t) => t.useAck).length, cfg.limits.maxAckChannelsPerToken),
    maxPendingPerChannel: cfg.limits.maxPendingAcksPerChannel,
    idleMs: cfg.limits.ackIdleSeconds * 1000,
  });
  const sweeper = setInterval(() => acks.sweep(), Math.min(60_000, cfg.limits.ackIdleSeconds * 1000)).unref();

  // ingest worker threads when the classifier is the catalog's (a worker builds the same); else ingest() runs in
  // the event loop
  // global bytes in flight (wire and decoded), shared with the ingest threads (src/service/hec/admission.ts)
  const budgets = Budgets.create(cfg.limits);
  const tenantPolicies = new TenantPolicies(classifier, policies, restored.store, cfg.adminToken, restored);
  const pool = cfg.ingest.workers > 0 && classifier.inWorkers === true
    ? new IngestPool(cfg.ingest.workers, () => ({
      limits: cfg.limits,
      sourcetypes: cfg.sourcetypes,
      policies: [...tenantPolicies].map(([tenant, p]) => policySnapshot(classifier, tenant, p)),
      budgets: budgets.init,
    }), (why) => app.log.error(`${why}; the next request starts another`),
    // each thread posts its batches straight to each region's store
    () => Object.fromEntries([...stores].map(([id, s]) => [id, s.connect()])))
    : null;
  // a tenant policy that changes reaches every ingest thread before any job sent after the change
  if (pool) tenantPolicies.onChange((tenant, p) => pool.setPolicy(policySnapshot(classifier, tenant, p)));
  // the threads load the catalog while the server starts listening, not when the first requests come
  if (pool) app.addHook('onReady', (done) => { pool.warm(); done(); });
  const metrics = createMetrics(stores, opts.defaultMetrics ?? true, pool);
  const sim = new SimState({
    cfg, regions, routes: compileRouteTable(regionDefs), tokens: compileTokens(cfg.tokens), tokenModules,
    acks, metrics, classifier, policies: tenantPolicies, pool, budgets, log: app.log,
  });
  for (const w of restored.warnings) app.log.warn(w);
  app.decorate('sim', sim);
  // fault injection per region: applied by the HEC plugin, changed through the admin plugin, and at the TCP level
  // of the region ports by src/service/server.ts
  app.decorate('faults', new FaultRegistry(regionDefs.map((r) => r.id), (cfg as { faults?: Record<string, unknown> }).faults));

  // What every answer shares, added before the plugins (whose routes then run these first):
  // CORS (Splunk's crossOriginSharingPolicy) first, so that refusals by the plugins' hooks carry it too
  const cors = compileCorsPolicy(cfg.crossOriginSharingPolicy, cfg.crossOriginSharingHeaders);
  app.addHook('onRequest', corsHook(cors));
  app.addHook('onResponse', function requestDuration(req, reply, done) {
    metrics.duration.observe(
      { route: req.routeOptions.url ?? 'unmatched', method: req.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  // errors of the admin API and /metrics, as HEC JSON (the HEC plugin has its own, which also counts them)
  app.setErrorHandler(hecErrorHandler(cfg.limits.maxBodyBytes));

  // The HEC surface (src/service/hec/plugin.ts): its body parser, hooks, routes, errors and 404s, in its own scope.
  // The root keeps Fastify's default parsers: /metrics is a GET, and each plugin reads bodies its own way.
  app.register(hecPlugin, { faults: app.faults, cors });
  app.register(adminPlugin, { prefix: '/admin/v1', adminToken: cfg.adminToken });
  app.get('/metrics', async (_req, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  app.addHook('onClose', async () => {
    clearInterval(sweeper);
    await pool?.close();
    await Promise.all([...stores.values()].map((s) => s.close()));
  });
  return app;
}
