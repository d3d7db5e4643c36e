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

/** What is stored of a policy: the modules whose own permission is off, the tenant settings, secrets and undeclared. */
export function tenantSnapshot(modules: readonly ModuleDef[], p: PolicyLike): StoredTenant {
  const o = p.options?.();
  return {
    uploadPermission: Object.fromEntries(modules.filter((m) => !p.isUploadAllowed(m.id)).map((m) => [m.id, false])),
    settings: { ...(o?.settings ?? {}) },
    ...(o?.secrets !== undefined ? { secrets: o.secrets } : {}),
    undeclared: p.undeclared,
  };
}

const SECRETS: readonly SecretsPolicy[] = ['keep', 'redact', 'drop'];
const UNDECLARED: readonly UndeclaredPolicy[] = ['keep', 'flag', 'drop'];


export interface RestoreResult {
  store: PolicyStore | null;
  /** What was not taken from the stored state, and why (logged by the caller). */
  warnings: string[];
}

/**
 * Replaces the config's policies (in `policies`) by the stored ones where the data folder has them and
 * `permissionsFrom` is `data`; records the config's changes in the audit where it is `config`; then writes the
 * state. A store of kind `none` keeps no data folder: nothing is read or written.
 */
export function restorePolicies(cfg: SimConfig, classifier: ClassifierDeps, policies: Map<string, PolicyLike>): RestoreResult {
  const warnings: string[] = [];
  if (cfg.store.kind === 'none') return { store: null, warnings };
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
        // a state written before these were kept per tenant has none: the config's apply
        const fromConfig = tenantFilterPolicies(cfg, cfg.tenants.find((t) => t.id === tenant));
        const secrets = SECRETS.includes(stored.secrets as SecretsPolicy) ? stored.secrets! : fromConfig.secrets;
        const undeclared = UNDECLARED.includes(stored.undeclared as UndeclaredPolicy) ? stored.undeclared! : fromConfig.undeclared;
        if (stored.secrets !== undefined && secrets !== stored.secrets) warnings.push(`tenant ${tenant}: stored secrets policy '${String(stored.secrets)}' ignored: not keep, redact or drop`);
        if (stored.undeclared !== undefined && undeclared !== stored.undeclared) warnings.push(`tenant ${tenant}: stored undeclared policy '${String(stored.undeclared)}' ignored: not keep, flag or drop`);
        try {
          policies.set(tenant, classifier.compilePolicy(classifier.matcher, { uploadPermission: perms, undeclared, settings, secrets }));
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
        for (const k of ['secrets', 'undeclared'] as const) {
          if (stored[k] !== undefined && now[k] !== undefined && stored[k] !== now[k]) entries.push({ at, tenant, credential: 'config file', change: k, target: k, old: stored[k], new: now[k] });
        }
        for (const e of entries) store.audit(e);
      }
    }
  }
  const tenants: Record<string, StoredTenant> = {};
  for (const [tenant, p] of policies) tenants[tenant] = tenantSnapshot(modules, p);
  // tenants the data folder keeps but the config no longer has are kept as they were
  for (const [tenant, t] of Object.entries(state?.tenants ?? {})) if (!(tenant in tenants)) tenants[tenant] = t;
  store.save(tenants);
  return { store, warnings };
}
