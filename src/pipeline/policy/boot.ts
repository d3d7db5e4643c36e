/**
 * At start: the tenants' policies from the config file, then what the data folder keeps (docs/permissions.md).
 * A new data folder is seeded from the config; when both hold a tenant, `permissionsFrom` says which wins.
 */
import type { ModuleDef, SecretsPolicy, UndeclaredPolicy } from '../classify/types.ts';
import { tenantFilterPolicies, type SimConfig } from '../../config/config.ts';
import { SchemaError } from '../../config/schema.ts';
import type { ClassifierDeps, PolicyLike } from '../ingest/pipeline.ts';
import { PolicyStore, type AuditEntry, type StoredTenant } from './persist.ts';
import { isSettingId } from './settings.ts';

/**
 * A tenant's secrets and undeclared policies as set through the admin API. Only these are kept with the data: a
 * tenant whose policy was never set there follows the config file at every start (as before they were per tenant).
 */
export interface FilterOverrides {
  secrets?: SecretsPolicy;
  undeclared?: UndeclaredPolicy;
}

/**
 * What is stored of a policy: the modules whose own permission is off, the tenant settings, and the secrets and
 * undeclared policies the admin API set (`overrides`).
 */
export function tenantSnapshot(modules: readonly ModuleDef[], p: PolicyLike, overrides?: FilterOverrides): StoredTenant {
  return {
    uploadPermission: Object.fromEntries(modules.filter((m) => !p.isUploadAllowed(m.id)).map((m) => [m.id, false])),
    settings: { ...(p.options?.().settings ?? {}) },
    ...(overrides?.secrets !== undefined ? { secrets: overrides.secrets } : {}),
    ...(overrides?.undeclared !== undefined ? { undeclared: overrides.undeclared } : {}),
  };
}

const SECRETS: readonly SecretsPolicy[] = ['keep', 'redact', 'drop'];
const UNDECLARED: readonly UndeclaredPolicy[] = ['keep', 'flag', 'drop'];

export interface RestoreResult {
  store: PolicyStore | null;
  /** What was not taken from the stored state, and why (logged by the caller). */
  warnings: string[];
  /** Tenant → the secrets and undeclared policies the admin API set and the stored state kept (TenantPolicies keeps them). */
  overrides: Map<string, FilterOverrides>;
  /** Tenants the data folder keeps but the config no longer has: kept in the state as they are, unused. */
  unused: Record<string, StoredTenant>;
}

/**
 * Replaces the config's policies (in `policies`) by the stored ones where the data folder has them and
 * `permissionsFrom` is `data`; records the config's changes in the audit where it is `config`; then writes the
 * state. A store of kind `none` keeps no data folder: nothing is read or written.
 */
export function restorePolicies(cfg: SimConfig, classifier: ClassifierDeps, policies: Map<string, PolicyLike>): RestoreResult {
  const warnings: string[] = [];
  const overrides = new Map<string, FilterOverrides>();
  if (cfg.store.kind === 'none') return { store: null, warnings, overrides, unused: {} };
  const store = new PolicyStore(cfg.dataDir);
  let state;
  try {
    state = store.load();
  } catch (err) {
    // serve exits 2 naming the file, as for a bad config file
    throw new SchemaError(`policy state ${store.statePath}`, [(err as Error).message]);
  }
  const modules = classifier.matcher.modules;
  const from = cfg.permissionsFrom ?? 'data';
  if (state !== null) {
    for (const [tenant, p] of policies) {
      const stored = state.tenants[tenant];
      if (stored === undefined) continue; // a tenant new in the config: seeded from it
      if (from === 'data') {
        const perms: Record<string, boolean> = {};
        for (const [id, v] of Object.entries(stored.uploadPermission ?? {})) {
          if (typeof v !== 'boolean') continue;
          if (!modules.some((m) => m.id === id)) { warnings.push(`tenant ${tenant}: stored permission of '${id}' ignored: no such module in the catalog`); continue; }
          perms[id] = v;
        }
        const settings = Object.fromEntries(Object.entries(stored.settings ?? {}).filter(([k, v]) => isSettingId(k) && typeof v === 'boolean'));
        // kept only when the admin API set them; else (and in a state written before) the config's apply
        const ov: FilterOverrides = {};
        if (SECRETS.includes(stored.secrets as SecretsPolicy)) ov.secrets = stored.secrets;
        else if (stored.secrets !== undefined) warnings.push(`tenant ${tenant}: stored secrets policy '${String(stored.secrets)}' ignored: not keep, redact or drop`);
        if (UNDECLARED.includes(stored.undeclared as UndeclaredPolicy)) ov.undeclared = stored.undeclared;
        else if (stored.undeclared !== undefined) warnings.push(`tenant ${tenant}: stored undeclared policy '${String(stored.undeclared)}' ignored: not keep, flag or drop`);
        const fromConfig = tenantFilterPolicies(cfg, cfg.tenants.find((t) => t.id === tenant));
        try {
          policies.set(tenant, classifier.compilePolicy(classifier.matcher, {
            uploadPermission: perms, settings, secrets: ov.secrets ?? fromConfig.secrets, undeclared: ov.undeclared ?? fromConfig.undeclared,
          }));
          if (ov.secrets !== undefined || ov.undeclared !== undefined) overrides.set(tenant, ov);
        } catch (err) {
          warnings.push(`tenant ${tenant}: stored permissions ignored: ${(err as Error).message}`);
        }
      } else {
        const now = tenantSnapshot(modules, p);
        const at = new Date().toISOString();
        const entries: AuditEntry[] = [];
        for (const m of modules) {
          const was = stored.uploadPermission?.[m.id] !== false;
          const is = now.uploadPermission[m.id] !== false;
          if (was !== is) entries.push({ at, tenant, credential: 'config file', change: 'uploadPermission', target: m.id, old: was, new: is });
        }
        for (const [k, v] of Object.entries(now.settings)) {
          const old = (stored.settings as Record<string, unknown> | undefined)?.[k];
          if (old !== undefined && old !== v) entries.push({ at, tenant, credential: 'config file', change: 'setting', target: k, old, new: v });
        }
        // what the admin API had set gives way to the file's value
        const fromConfig = tenantFilterPolicies(cfg, cfg.tenants.find((t) => t.id === tenant));
        for (const k of ['secrets', 'undeclared'] as const) {
          if (stored[k] !== undefined && stored[k] !== fromConfig[k]) entries.push({ at, tenant, credential: 'config file', change: k, target: k, old: stored[k], new: fromConfig[k] });
        }
        for (const e of entries) store.audit(e);
      }
    }
  }
  const tenants: Record<string, StoredTenant> = {};
  for (const [tenant, p] of policies) tenants[tenant] = tenantSnapshot(modules, p, overrides.get(tenant));
  // tenants the data folder keeps but the config no longer has are kept as they were
  const unused: Record<string, StoredTenant> = {};
  for (const [tenant, t] of Object.entries(state?.tenants ?? {})) if (!(tenant in tenants)) tenants[tenant] = unused[tenant] = t;
  store.save(tenants);
  return { store, warnings, overrides, unused };
}
