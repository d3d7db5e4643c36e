/**
 * The /admin/v1 routes. They run inside the admin plugin (plugin.ts): the Bearer check, the JSON body parser and
 * the schemas (schemas.ts) have already refused bad input, so a handler reads typed params and calls the service:
 * a tenant's policy changes only through TenantPolicies, which tells the ingest threads itself.
 */
import type { FastifyInstance } from 'fastify';
import { SimError } from '../../errors/sim-error.ts';
import type { StoredEvent } from '../../store/types.ts';
import type { SimState } from '../state.ts';
import type { PolicyLike } from '../../pipeline/ingest/pipeline.ts';
import type { ModuleDef, SecretsPolicy, TenantSettingId, UndeclaredPolicy } from '../../pipeline/classify/types.ts';
import { describeCandidates, lookupModule } from '../../pipeline/policy/names.ts';
import { SETTING_IDS, SETTINGS } from '../../pipeline/policy/settings.ts';
import { fullPolicy as full, type PolicyChangeResult } from '../tenant-policies.ts';
import { auditSchema, eventsSchema, moduleSchema, noQuery, putModuleSchema, putSecretsSchema, putSettingSchema, putUndeclaredSchema, tenantSchema } from './schemas.ts';


/**
 * The admin view of a stored event (a record): the event as stored and each field's verdict as `fields`
 * (docs/glossary.md; the wire names are the API's and stay).
 */
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
    fields: e.verdicts.map((f) => ({
      path: f.path, item: f.item, ...(f.group !== undefined ? { group: f.group } : {}), module: f.module, category: f.category, action: f.action,
      ...(f.reason ? { reason: f.reason } : {}), ...(f.masked ? { masked: f.masked } : {}), ...(f.note ? { note: f.note } : {}), by: f.by, kind: f.kind,
      ...(f.declaredBy !== undefined ? { declaredBy: f.declaredBy } : {}),
    })),
  };
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

/** The tenant's secrets and undeclared policies (a test's classifier may have no secrets policy: keep). */
function filterView(p: PolicyLike) {
  return { secrets: full(p)?.secrets ?? 'keep', undeclared: p.undeclared };
}

/** Regions, events, stats, tenant permissions and settings, audit (the admin plugin registers them under /admin/v1). */
export async function adminRoutes(app: FastifyInstance): Promise<void> {
  const sim = app.sim;

  app.get('/regions', { schema: noQuery }, async () => ({
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

  app.get<{ Querystring: { region?: string; module?: string; limit?: number } }>('/events', { schema: eventsSchema }, async (req) => {
    const regionId = req.query.region;
    const moduleArg = req.query.module;
    const limit = req.query.limit ?? 50;
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

  app.get('/stats', { schema: noQuery }, async () => {
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
      throw new SimError('SIM_ERR_ADMIN_UNKNOWN_TENANT', { detail: `no tenant '${tenant}' (tenants: ${sim.policies.tenants().join(', ')})` });
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
  const logChange = (log: FastifyInstance['log'], r: PolicyChangeResult) => {
    if (r.audit === null) return; // nothing changed: nothing to say
    log.info({ tenant: r.tenant, change: r.audit.change, target: r.audit.target, old: r.audit.old, new: r.audit.new }, 'tenant policy changed');
  };

  app.get<{ Params: { tenant: string } }>('/tenants/:tenant/modules', { schema: tenantSchema }, async (req) => {
    const tenant = tenantOf(req.params.tenant);
    return { modules: sim.classifier.matcher.modules.map((m) => moduleView(sim, tenant, m)) };
  });

  app.get<{ Params: { tenant: string; module: string } }>('/tenants/:tenant/modules/:module', { schema: moduleSchema }, async (req) => {
    const tenant = tenantOf(req.params.tenant);
    return moduleView(sim, tenant, moduleOf(req.params.module));
  });

  app.put<{ Params: { tenant: string; module: string }; Body: { uploadPermission: boolean } }>('/tenants/:tenant/modules/:module', { schema: putModuleSchema }, async (req) => {
    const tenant = tenantOf(req.params.tenant);
    const m = moduleOf(req.params.module);
    const r = sim.policies.setPermission(tenant, m, req.body.uploadPermission);
    logChange(req.log, r);
    return { ...moduleView(sim, tenant, m), changed: r.changed, warnings: r.warnings, consequences: r.consequences };
  });

  app.get<{ Params: { tenant: string } }>('/tenants/:tenant/settings', { schema: tenantSchema }, async (req) => {
    const tenant = tenantOf(req.params.tenant);
    const p = sim.policies.get(tenant)!;
    // setByAdmin: the values kept with the data; everything else follows the config file at the next start
    return { tenant, settings: settingsView(p), ...filterView(p), setByAdmin: sim.policies.setByAdmin(tenant) };
  });

  app.put<{ Params: { tenant: string; setting: TenantSettingId }; Body: { value: boolean } }>('/tenants/:tenant/settings/:setting', { schema: putSettingSchema }, async (req) => {
    const tenant = tenantOf(req.params.tenant);
    const id = req.params.setting;
    const r = sim.policies.setSetting(tenant, id, req.body.value);
    logChange(req.log, r);
    return { tenant, setting: id, value: req.body.value, changed: r.changed, consequences: r.consequences, settings: settingsView(r.after) };
  });

  // the tenant's secrets and undeclared policies: seeded from its config entry (else the config-wide ones),
  // kept with the permissions and audited like a setting
  const filterPolicies = [
    { name: 'secrets', schema: putSecretsSchema, set: (tenant: string, v: string) => sim.policies.setSecrets(tenant, v as SecretsPolicy) },
    { name: 'undeclared', schema: putUndeclaredSchema, set: (tenant: string, v: string) => sim.policies.setUndeclared(tenant, v as UndeclaredPolicy) },
  ];
  for (const f of filterPolicies) {
    app.get<{ Params: { tenant: string } }>(`/tenants/:tenant/${f.name}`, { schema: tenantSchema }, async (req) => {
      const tenant = tenantOf(req.params.tenant);
      return { tenant, ...filterView(sim.policies.get(tenant)!) };
    });
    // the value's words are checked by the route's schema
    app.put<{ Params: { tenant: string }; Body: { value: string } }>(`/tenants/:tenant/${f.name}`, { schema: f.schema }, async (req) => {
      const tenant = tenantOf(req.params.tenant);
      const r = f.set(tenant, req.body.value);
      logChange(req.log, r);
      return { tenant, ...filterView(r.after), changed: r.changed, consequences: r.consequences };
    });
  }

  app.get<{ Querystring: { tenant?: string; limit?: number } }>('/audit', { schema: auditSchema }, async (req) => {
    const tenant = req.query.tenant;
    const limit = req.query.limit ?? 100;
    if (tenant !== undefined) tenantOf(tenant);
    const kept = sim.policies.store !== null;
    const entries = sim.policies.readAudit().filter((e) => tenant === undefined || e.tenant === tenant).slice(-limit).reverse();
    return { kept, ...(kept ? {} : { note: 'store kind none: changes are not kept and no audit trail is written' }), entries };
  });
}
