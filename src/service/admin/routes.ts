import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SimError } from '../../errors/sim-error.ts';
import type { StoredEvent } from '../../store/types.ts';
import { policySnapshot } from '../../workers/pool.ts';
import type { SimState } from '../state.ts';
import type { PolicyLike } from '../../pipeline/ingest/pipeline.ts';
import type { ModuleDef, TenantSettingId } from '../../pipeline/classify/types.ts';
import type { Policy } from '../../pipeline/filter/index.ts';
import { consequences, type Change } from '../../pipeline/policy/consequences.ts';
import { describeCandidates, lookupModule } from '../../pipeline/policy/names.ts';
import { credentialId, type AuditEntry } from '../../pipeline/policy/persist.ts';
import { tenantSnapshot } from '../../pipeline/policy/boot.ts';
import { partlyWarning } from '../../pipeline/policy/relations.ts';
import { isSettingId, SETTING_IDS, SETTINGS } from '../../pipeline/policy/settings.ts';

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

/** `?limit=`: an integer from 1 to max, else 400; absent: the default. */
function limitParam(req: FastifyRequest, dflt: number, max: number): number {
  const arg = queryString(req, 'limit');
  if (arg === undefined) return dflt;
  const limit = Number(arg);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: `?limit= must be an integer from 1 to ${max}, got '${arg}'` });
  }
  return limit;
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
      path: f.path, item: f.item, ...(f.group !== undefined ? { group: f.group } : {}), module: f.module, category: f.category, action: f.action,
      ...(f.reason ? { reason: f.reason } : {}), ...(f.masked ? { masked: f.masked } : {}), ...(f.note ? { note: f.note } : {}), by: f.by, kind: f.kind,
      ...(f.declaredBy !== undefined ? { declaredBy: f.declaredBy } : {}),
    })),
  };
}

/** The filter's own policy (src/pipeline/filter), or null for a classifier whose policies know only on/off (a test's). */
function full(p: PolicyLike): Policy | null {
  return typeof (p as Partial<Policy>).effective === 'function' ? p as Policy : null;
}

function moduleView(sim: SimState, tenant: string, m: ModuleDef) {
  const p = sim.policies.get(tenant)!;
  const eff = full(p)?.effective(m.id);
  return {
    tenant,
    module: m.id,
    name: m.name,
    ...(m.dataSource ? { dataSourceName: m.dataSource.name } : {}),
    canBeTurnedOff: m.canBeTurnedOff,
    turnOffNote: m.turnOffNote,
    uploadPermission: p.isUploadAllowed(m.id),
    effectivePermission: eff ? eff.effective : p.isUploadAllowed(m.id),
    ...(eff?.reason ? { reason: eff.reason } : {}),
    ...(m.relations && m.relations.length > 0 ? { relations: m.relations } : {}),
  };
}

function settingsView(p: PolicyLike) {
  const f = full(p);
  return Object.fromEntries(SETTING_IDS.map((id) => [id, {
    value: f ? f.settings[id] : SETTINGS[id].default, default: SETTINGS[id].default, label: SETTINGS[id].label, quote: SETTINGS[id].quote,
  }]));
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
    const limit = limitParam(req, 50, 1000);
    let module: string | null | undefined;
    if (moduleArg !== undefined) {
      if (moduleArg === 'none') module = null;
      else {
        const r = lookupModule(sim.classifier.matcher.modules, moduleArg);
        if (r.kind === 'many') throw new SimError('SIM_ERR_POLICY_AMBIGUOUS_MODULE', { detail: `'${moduleArg}' names ${r.candidates.length} modules: ${describeCandidates(r.candidates)}; use one of these ids` });
        if (r.kind === 'none') throw new SimError('SIM_ERR_POLICY_UNKNOWN_MODULE', { detail: `no module '${moduleArg}' in the catalog (use an id, a notice name, an alias, the data-source page's name, or 'none')` });
        module = r.module.id;
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
    // the notice's groups of each (module, item): the store counts per item, so an item label several groups
    // share (Office 365's "User principal name", one per usage report) lists them all
    const groupsOf = new Map<string, string[]>();
    for (const m of sim.classifier.matcher.modules) {
      for (const it of m.items) {
        if (it.group === null) continue;
        const k = `${m.id}\u0000${it.label}`;
        const g = groupsOf.get(k);
        if (g === undefined) groupsOf.set(k, [it.group]);
        else if (!g.includes(it.group)) g.push(it.group);
      }
    }
    for (const [id, r] of sim.regions) {
      const s = r.store.stats();
      const items = s.items.map((i) => {
        const groups = i.module !== null && i.item !== null ? groupsOf.get(`${i.module}\u0000${i.item}`) : undefined;
        return groups ? { ...i, groups } : i;
      });
      regions[id] = { ...s, items, queueDepth: r.store.queueDepth() };
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
  const moduleOf = (name: string): ModuleDef => {
    const r = lookupModule(sim.classifier.matcher.modules, name);
    if (r.kind === 'many') {
      throw new SimError('SIM_ERR_POLICY_AMBIGUOUS_MODULE', { detail: `'${name}' names ${r.candidates.length} modules: ${describeCandidates(r.candidates)}; use one of these ids` });
    }
    if (r.kind === 'none') throw new SimError('SIM_ERR_POLICY_UNKNOWN_MODULE', { detail: `no module '${name}' in the catalog (an id, a notice name, an alias or the data-source page's name)` });
    return r.module;
  };
  const jsonBody = (raw: Buffer | undefined, shape: string): Record<string, unknown> => {
    let body: unknown;
    try {
      body = JSON.parse(raw?.toString('utf8') ?? '');
    } catch {
      throw new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: `the body must be JSON: ${shape}` });
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: `the body must be ${shape}` });
    return body as Record<string, unknown>;
  };
  /** Makes a tenant's new policy current: ingest threads, the data folder, the audit trail. */
  const commit = (req: FastifyRequest, tenant: string, next: PolicyLike, entry: Omit<AuditEntry, 'at' | 'tenant' | 'credential'>) => {
    sim.policies.set(tenant, next);
    sim.pool?.setPolicy(policySnapshot(sim.classifier, tenant, next));
    const store = sim.policyStore;
    if (store) {
      const tenants = Object.fromEntries([...sim.policies].map(([t, p]) => [t, tenantSnapshot(sim.classifier.matcher.modules, p)]));
      store.save(tenants);
      store.audit({ at: new Date().toISOString(), tenant, credential: credentialId(sim.cfg.adminToken), ...entry });
    }
    req.log.info({ tenant, change: entry.change, target: entry.target, old: entry.old, new: entry.new }, 'tenant policy changed');
  };

  app.get<{ Params: { tenant: string } }>('/tenants/:tenant/modules', async (req) => {
    const tenant = tenantOf(req.params.tenant);
    return { modules: sim.classifier.matcher.modules.map((m) => moduleView(sim, tenant, m)) };
  });

  app.get<{ Params: { tenant: string; module: string } }>('/tenants/:tenant/modules/:module', async (req) => {
    const tenant = tenantOf(req.params.tenant);
    return moduleView(sim, tenant, moduleOf(req.params.module));
  });

  app.put<{ Params: { tenant: string; module: string } }>('/tenants/:tenant/modules/:module', async (req) => {
    const tenant = tenantOf(req.params.tenant);
    const m = moduleOf(req.params.module);
    const allowed = jsonBody(req.body as Buffer | undefined, '{"uploadPermission": true|false}').uploadPermission;
    if (typeof allowed !== 'boolean') {
      throw new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: 'the body must be {"uploadPermission": true|false}' });
    }
    const before = sim.policies.get(tenant)!;
    let next: PolicyLike;
    try {
      next = before.withPermission(m.id, allowed);
    } catch (err) {
      if (sim.classifier.isPolicyError(err)) {
        if (err.code === 'SIM_ERR_POLICY_MODULE_LOCKED') {
          throw new SimError('SIM_ERR_POLICY_MODULE_LOCKED', { detail: `module '${m.id}' (${m.name}) cannot be turned off: the notice says "${m.turnOffNote}"` });
        }
        throw new SimError(err.code, { detail: err.message });
      }
      throw err;
    }
    const warnings = !allowed && m.canBeTurnedOff === 'partly' ? [partlyWarning(m)] : [];
    if (!allowed && m.canBeTurnedOff === 'not-stated') warnings.push(`the notice does not say how ${m.name} is turned off: "${m.turnOffNote}"`);
    const change: Change = { kind: 'permission', module: m.id, allowed };
    const b = full(before), a = full(next);
    const cons = b && a ? consequences(b, a, sim.classifier.matcher.modules, change) : [];
    commit(req, tenant, next, {
      change: 'uploadPermission', target: m.id, old: before.isUploadAllowed(m.id), new: allowed,
      ...(warnings.length ? { warnings } : {}), ...(cons.length ? { consequences: cons } : {}),
    });
    return { ...moduleView(sim, tenant, m), warnings, consequences: cons };
  });

  app.get<{ Params: { tenant: string } }>('/tenants/:tenant/settings', async (req) => {
    const tenant = tenantOf(req.params.tenant);
    return { tenant, settings: settingsView(sim.policies.get(tenant)!) };
  });

  app.put<{ Params: { tenant: string; setting: string } }>('/tenants/:tenant/settings/:setting', async (req) => {
    const tenant = tenantOf(req.params.tenant);
    const id = req.params.setting;
    if (!isSettingId(id)) {
      throw new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: `no tenant setting '${id}' (settings: ${SETTING_IDS.join(', ')})` });
    }
    const value = jsonBody(req.body as Buffer | undefined, '{"value": true|false}').value;
    if (typeof value !== 'boolean') throw new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: 'the body must be {"value": true|false}' });
    const before = full(sim.policies.get(tenant)!);
    if (!before) throw new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: 'this classifier has no tenant settings' });
    const next = before.withSetting(id as TenantSettingId, value);
    const cons = consequences(before, next, sim.classifier.matcher.modules, { kind: 'setting', setting: id as TenantSettingId, value });
    commit(req, tenant, next, { change: 'setting', target: id, old: before.settings[id as TenantSettingId], new: value, ...(cons.length ? { consequences: cons } : {}) });
    return { tenant, setting: id, value, consequences: cons, settings: settingsView(next) };
  });

  app.get('/audit', async (req) => {
    const tenant = queryString(req, 'tenant');
    const limit = limitParam(req, 100, 10000);
    if (tenant !== undefined) tenantOf(tenant);
    const store = sim.policyStore;
    const all = store ? store.readAudit() : [];
    const entries = all.filter((e) => tenant === undefined || e.tenant === tenant).slice(-limit).reverse();
    return { kept: store !== null && store !== undefined, ...(store ? {} : { note: 'store kind none: changes are not kept and no audit trail is written' }), entries };
  });
}
