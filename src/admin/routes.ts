import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SimError } from '../errors/sim-error.ts';
import type { StoredEvent } from '../store/types.ts';
import { policySnapshot } from '../ingest/pool.ts';
import type { SimState } from '../ingest/state.ts';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function queryString(req: FastifyRequest, name: string): string | undefined {
  const v = (req.query as Record<string, string | string[] | undefined>)[name];
  if (Array.isArray(v)) throw new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: `?${name}= is given more than once` });
  return v === '' ? undefined : v;
}

/** The admin view of a stored event: the event as stored and the per-field classification as `fields`. */
export function eventView(e: StoredEvent) {
  return {
    id: e.id,
    region: e.region,
    receivedAt: new Date(e.receivedAt).toISOString(),
    tenant: e.tenant,
    module: e.module,
    time: e.time,
    host: e.host,
    source: e.source,
    sourcetype: e.sourcetype,
    index: e.index,
    endpoint: e.endpoint,
    event: e.event,
    indexedFields: e.fields,
    dropped: e.dropped,
    flagged: e.flagged,
    fields: e.classification.map((f) => ({
      path: f.path, item: f.item, module: f.module, category: f.category, action: f.action,
      ...(f.reason ? { reason: f.reason } : {}), by: f.by, kind: f.kind,
    })),
  };
}

function moduleView(sim: SimState, tenant: string, moduleId: string) {
  const m = sim.classifier.matcher.resolveModule(moduleId)!;
  return {
    tenant,
    module: m.id,
    name: m.name,
    canBeTurnedOff: m.canBeTurnedOff,
    uploadPermission: sim.policies.get(tenant)!.isUploadAllowed(m.id),
  };
}

/** /admin/v1: Bearer adminToken on every route. */
export async function adminRoutes(app: FastifyInstance): Promise<void> {
  const sim = app.sim;

  app.addHook('onRequest', async (req) => {
    const h = req.headers.authorization ?? '';
    const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(h);
    if (!m || !sameSecret(m[1], sim.cfg.adminToken)) {
      throw new SimError('SIM_ERR_ADMIN_UNAUTHORIZED', { detail: "send 'Authorization: Bearer <adminToken>'", headers: { 'www-authenticate': 'Bearer realm="ingestor-sim admin"' } });
    }
  });

  app.get('/regions', async () => ({
    regions: [...sim.regions.values()].map((r) => ({
      id: r.def.id,
      name: r.def.name,
      ingestorHost: r.def.ingestorHost,
      localHost: r.def.localHost,
      port: r.port,
      dataCenters: r.def.dataCenters,
      store: r.store.kind,
      events: r.store.count(),
      queueDepth: r.store.queueDepth(),
      condition: r.store.condition(),
    })),
  }));

  app.get('/events', async (req) => {
    const regionId = queryString(req, 'region');
    const moduleArg = queryString(req, 'module');
    const limitArg = queryString(req, 'limit');
    let limit = 50;
    if (limitArg !== undefined) {
      limit = Number(limitArg);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: `?limit= must be an integer from 1 to 1000, got '${limitArg}'` });
      }
    }
    let module: string | null | undefined;
    if (moduleArg !== undefined) {
      if (moduleArg === 'none') module = null;
      else {
        const m = sim.classifier.matcher.resolveModule(moduleArg);
        if (!m) throw new SimError('SIM_ERR_POLICY_UNKNOWN_MODULE', { detail: `no module '${moduleArg}' in the catalog (use an id, a notice name, an alias, or 'none')` });
        module = m.id;
      }
    }
    let regions = [...sim.regions.values()];
    if (regionId !== undefined) {
      const r = sim.regions.get(regionId);
      if (!r) throw new SimError('SIM_ERR_ADMIN_UNKNOWN_REGION', { detail: `'${regionId}' is not a served region (${[...sim.regions.keys()].join(', ')})` });
      regions = [r];
    }
    const all = regions.flatMap((r) => r.store.list({ module, limit }));
    all.sort((a, b) => b.receivedAt - a.receivedAt || b.id - a.id);
    return { events: all.slice(0, limit).map(eventView) };
  });

  app.get('/stats', async () => {
    const regions: Record<string, unknown> = {};
    let events = 0, droppedFields = 0, flaggedFields = 0;
    for (const [id, r] of sim.regions) {
      const s = r.store.stats();
      regions[id] = { ...s, queueDepth: r.store.queueDepth() };
      events += s.events;
      droppedFields += s.droppedFields;
      flaggedFields += s.flaggedFields;
    }
    return { totals: { events, droppedFields, flaggedFields }, regions };
  });

  const tenantOf = (tenant: string) => {
    if (!sim.policies.has(tenant)) {
      throw new SimError('SIM_ERR_ADMIN_UNKNOWN_TENANT', { detail: `no tenant '${tenant}' (tenants: ${[...sim.policies.keys()].join(', ')})` });
    }
    return tenant;
  };
  const moduleOf = (name: string) => {
    const m = sim.classifier.matcher.resolveModule(name);
    if (!m) throw new SimError('SIM_ERR_POLICY_UNKNOWN_MODULE', { detail: `no module '${name}' in the catalog (an id, a notice name or an alias)` });
    return m.id;
  };

  app.get<{ Params: { tenant: string } }>('/tenants/:tenant/modules', async (req) => {
    const tenant = tenantOf(req.params.tenant);
    return { modules: sim.classifier.matcher.modules.map((m) => moduleView(sim, tenant, m.id)) };
  });

  app.get<{ Params: { tenant: string; module: string } }>('/tenants/:tenant/modules/:module', async (req) => {
    const tenant = tenantOf(req.params.tenant);
    return moduleView(sim, tenant, moduleOf(req.params.module));
  });

  app.put<{ Params: { tenant: string; module: string } }>('/tenants/:tenant/modules/:module', async (req) => {
    const tenant = tenantOf(req.params.tenant);
    const id = moduleOf(req.params.module);
    const raw = req.body as Buffer | undefined;
    let body: unknown;
    try {
      body = JSON.parse(raw?.toString('utf8') ?? '');
    } catch {
      throw new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: 'the body must be JSON: {"uploadPermission": true|false}' });
    }
    const allowed = (body as { uploadPermission?: unknown } | null)?.uploadPermission;
    if (typeof allowed !== 'boolean') {
      throw new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: 'the body must be {"uploadPermission": true|false}' });
    }
    let next;
    try {
      next = sim.policies.get(tenant)!.withPermission(id, allowed);
    } catch (err) {
      if (sim.classifier.isPolicyError(err)) {
        if (err.code === 'SIM_ERR_POLICY_MODULE_LOCKED') {
          const m = sim.classifier.matcher.resolveModule(id)!;
          throw new SimError('SIM_ERR_POLICY_MODULE_LOCKED', { detail: `module '${m.id}' (${m.name}) cannot be turned off: ${m.turnOffNote}` });
        }
        throw new SimError('SIM_ERR_POLICY_UNKNOWN_MODULE', { detail: err.message });
      }
      throw err;
    }
    sim.policies.set(tenant, next);
    sim.pool?.setPolicy(policySnapshot(sim.classifier, tenant, next));
    req.log.info({ tenant, module: id, uploadPermission: allowed }, 'upload permission changed');
    return moduleView(sim, tenant, id);
  });
}
