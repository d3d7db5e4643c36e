import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { compileTokens } from './auth/auth.ts';
import { tenantFilterPolicies, type SimConfig, type TokenDef } from '../config/config.ts';
import { SchemaError } from '../config/schema.ts';
import { isSimError, SimError } from '../errors/sim-error.ts';
import { AckRegistry, channelsPerToken } from './hec/acks.ts';
import { checkContinueListener } from './hec/continue.ts';
import { defaultClassifier } from '../pipeline/ingest/classifier.ts';
import type { ClassifierDeps, PolicyLike } from '../pipeline/ingest/pipeline.ts';
import { IngestPool, policySnapshot } from '../workers/pool.ts';
import { HEC_JSON, hecOnRequest, registerHecRoutes } from './hec/routes.ts';
import { admissionMetrics, Budgets, registerAdmission } from './hec/admission.ts';
import { hecClientErrorHandler } from './hec/client-error.ts';
import { SimState, type RegionRuntime } from './state.ts';
import { TenantPolicies } from './tenant-policies.ts';
import { adminPlugin } from './admin/plugin.ts';
import { restorePolicies } from '../pipeline/policy/boot.ts';
import { describeCandidates, lookupModule } from '../pipeline/policy/names.ts';
import { createMetrics } from './metrics/metrics.ts';
import { loadRegions, servedRegions, type RegionDef } from './region/regions.ts';
import { compileRouteTable, regionHeaders } from './region/route.ts';
import { registerCors } from './region/cors.ts';
import { openStores, watchStores, type StoreFactory } from '../store/index.ts';
import { FaultRegistry, registerFaults } from './faults/index.ts';

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

/** Maps Fastify's own errors (body limit, media type, content length) and anything else to a SimError. */
export function toSimError(err: unknown, cfg: SimConfig): SimError {
  if (isSimError(err)) return err;
  const e = err as FastifyError;
  switch (e?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new SimError('SIM_ERR_HTTP_BODY_TOO_LARGE', { detail: `the body is larger than ${cfg.limits.maxBodyBytes} bytes (limits.maxBodyBytes)` });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new SimError('SIM_ERR_HTTP_MEDIA_TYPE_INVALID', { detail: 'the Content-Type header cannot be parsed; send application/json' });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new SimError('SIM_ERR_HTTP_BAD_REQUEST', { detail: 'the body is not as long as Content-Length says' });
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return new SimError('SIM_ERR_HTTP_BAD_REQUEST', { detail: e.message });
  }
  return new SimError('SIM_ERR_HEC_INTERNAL', { cause: err });
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
 * Builds the service (no listen): HEC routes, region routing, stores, admin API and metrics.
 * Throws SchemaError (SIM_ERR_CONFIG_INVALID) for config that does not fit the catalog.
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
  // Expect: 100-continue: refuse what the headers already decide before the client uploads (src/service/hec/continue.ts)
  app.server.on('checkContinue', checkContinueListener(sim, (req, res) => app.server.emit('request', req, res)));
  app.decorateRequest('region', null);
  app.decorateRequest('hec', null);

  // Every content type is read as bytes: HEC clients label JSON as anything (splunk-logging: form-urlencoded).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: cfg.limits.maxBodyBytes }, (_req, body, done) => done(null, body));

  // CORS (Splunk's crossOriginSharingPolicy) first: refusals by the hooks below carry it too; OPTIONS preflight
  registerCors(app, cfg.crossOriginSharingPolicy, cfg.crossOriginSharingHeaders);
  // Region routing + auth + channel for HEC routes. Region-aware hooks (fault injection) go after this one.
  app.addHook('onRequest', hecOnRequest);
  // queue depth and bytes in flight: 503 code 9 before the body is read (src/service/hec/admission.ts)
  const admission = registerAdmission(app, budgets, cfg.limits);
  admissionMetrics(metrics.registry, budgets, admission.admitted);
  const faults = new FaultRegistry(regionDefs.map((r) => r.id), (cfg as { faults?: Record<string, unknown> }).faults);
  registerFaults(app, faults); // its admin routes are the admin plugin's (src/service/admin/plugin.ts)
  acks.fate = (region) => faults.ackFate(region); // indexing delay and ack loss per region (src/service/faults)

  app.addHook('onResponse', (req, reply, done) => {
    metrics.duration.observe(
      { route: req.routeOptions.url ?? 'unmatched', method: req.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.setErrorHandler((err, req, reply) => {
    const e = toSimError(err, cfg);
    if (e.code === 'SIM_ERR_HEC_INTERNAL') req.log.error({ err }, 'internal error');
    else if (e.code === 'SIM_ERR_STORE_DISK_FULL') req.log.debug({ code: e.code, status: e.statusCode }, e.message); // logged once per change (watchStores)
    else req.log.info({ code: e.code, status: e.statusCode }, e.message);
    if (e.headers) reply.headers(e.headers);
    if (req.region && req.routeOptions.config.hec) {
      metrics.requests.inc({ region: req.region, endpoint: req.routeOptions.config.hec, status: String(e.statusCode), hec_code: String(e.hecCode ?? '') });
    }
    reply.code(e.statusCode).header('x-sim-error', e.code).type(HEC_JSON).send(e.body());
  });

  app.setNotFoundHandler((req, reply) => {
    const e = new SimError('SIM_ERR_HTTP_NOT_FOUND', { detail: `${req.method} ${req.url.split('?')[0]} is not an endpoint of this server` });
    reply.code(404).header('x-sim-error', e.code).type(HEC_JSON).send(e.body());
  });

  registerHecRoutes(app);
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
