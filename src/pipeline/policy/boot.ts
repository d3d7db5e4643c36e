/**
 * At start: the tenants' policies from the config file, then what the data folder keeps (docs/permissions.md).
 * A new data folder is seeded from the config; when both hold a tenant, `permissionsFrom` says which wins.
 *
 * Only values set through the admin API are kept, each on its own (a module's own permission, a setting, the
 * secrets and undeclared policies): under `permissionsFrom: data` they are laid over the config's policy at every
 * start, and everything the admin API never set follows the config file, so an edit of the file takes effect at
 * the next start even for a tenant the admin API changed something else of.
 */
import type { ModuleDef, SecretsPolicy, TenantSettingId, UndeclaredPolicy } from '../classify/types.ts';
import { tenantFilterPolicies, type SimConfig } from '../../config/config.ts';
import { SchemaError } from '../../config/schema.ts';
import type { ClassifierDeps, PolicyLike } from '../ingest/pipeline.ts';
import { PolicyStore, type AuditEntry, type StoredState, type StoredTenant } from './persist.ts';
import { isSettingId } from './settings.ts';

/**
 * A tenant's values set through the admin API, by module id and setting id (the shape of a version 2 stored
 * tenant): only these are kept with the data.
 */
export type TenantOverrides = StoredTenant;

export function noOverrides(): TenantOverrides {
  return { uploadPermission: {}, settings: {} };
}

export function copyOverrides(o: TenantOverrides | undefined): TenantOverrides {
  return o === undefined ? noOverrides() : { ...o, uploadPermission: { ...o.uploadPermission }, settings: { ...o.settings } };
}

export function hasOverrides(o: TenantOverrides): boolean {
  return Object.keys(o.uploadPermission).length > 0 || Object.keys(o.settings).length > 0 || o.secrets !== undefined || o.undeclared !== undefined;
}

const SECRETS: readonly SecretsPolicy[] = ['keep', 'redact', 'drop'];
const UNDECLARED: readonly UndeclaredPolicy[] = ['keep', 'flag', 'drop'];

/** The credential of an audit entry written by the admin API (persist.ts credentialId). */
const byAdmin = (e: AuditEntry) => typeof e.credential === 'string' && e.credential.startsWith('admin token ');

/**
 * Version 1 of tenants.json (written before this version) held a tenant's whole state: which of its values the
 * admin API set is read from the audit trail, which records every change the API made. A value is taken as set
 * by the API when the last audit entry for it is the admin API's (a later `config file` entry, from a start with
 * `permissionsFrom: config`, means the file's value replaced it) and the version 1 state still holds the value
 * that entry set. Everything else follows the config file from now on.
 */
export function migrateV1(tenant: string, stored: StoredTenant, audit: readonly AuditEntry[], modules: readonly ModuleDef[]): TenantOverrides {
  const last = new Map<string, AuditEntry>();
  for (const e of audit) if (e.tenant === tenant) last.set(`${e.change}\0${e.target}`, e);
  const setByApi = (change: AuditEntry['change'], target: string, now: unknown): boolean => {
    const e = last.get(`${change}\0${target}`);
    return e !== undefined && byAdmin(e) && e.new === now;
  };
  const kept = noOverrides();
  const off = stored.uploadPermission ?? {};
  for (const m of modules) {
    const now = off[m.id] !== false; // version 1 listed the modules whose own permission was off
    if (setByApi('uploadPermission', m.id, now)) kept.uploadPermission[m.id] = now;
  }
  for (const [k, v] of Object.entries(stored.settings ?? {})) {
    if (isSettingId(k) && typeof v === 'boolean' && setByApi('setting', k, v)) kept.settings[k] = v;
  }
  for (const k of ['secrets', 'undeclared'] as const) {
    const v = stored[k];
    if (v !== undefined && setByApi(k, k, v)) (kept as Record<typeof k, unknown>)[k] = v;
  }
  return kept;
}

/**
 * What a version 1 state held for a tenant that differs from the config's policy `p` and is not in `kept` (no
 * admin API change in the audit set it): these values change at this start, to the config's (for the log).
 */
function v1Differences(stored: StoredTenant, kept: TenantOverrides, p: PolicyLike, fromConfig: { secrets: SecretsPolicy; undeclared: UndeclaredPolicy }, modules: readonly ModuleDef[]): string[] {
  const out: string[] = [];
  for (const m of modules) {
    const was = stored.uploadPermission?.[m.id] !== false;
    if (!(m.id in kept.uploadPermission) && was !== p.isUploadAllowed(m.id)) out.push(`${m.id} ${was ? 'on' : 'off'}`);
  }
  const settings = (p.options?.().settings ?? {}) as Partial<Record<TenantSettingId, boolean>>;
  for (const [k, v] of Object.entries(stored.settings ?? {})) {
    if (isSettingId(k) && !(k in kept.settings) && settings[k] !== undefined && settings[k] !== v) out.push(`${k} ${String(v)}`);
  }
  for (const k of ['secrets', 'undeclared'] as const) {
    if (stored[k] !== undefined && kept[k] === undefined && stored[k] !== fromConfig[k]) out.push(`${k} ${String(stored[k])}`);
  }
  return out;
}

/** The stored values that fit the catalog and the setting and policy words; each other one is left out with a warning. */
function validOverrides(tenant: string, stored: StoredTenant, modules: readonly ModuleDef[], warnings: string[]): TenantOverrides {
  const ov = noOverrides();
  for (const [id, v] of Object.entries(stored.uploadPermission ?? {})) {
    if (typeof v !== 'boolean') continue;
    const m = modules.find((x) => x.id === id);
    if (m === undefined) { warnings.push(`tenant ${tenant}: stored permission of '${id}' ignored: no such module in the catalog`); continue; }
    if (!v && m.canBeTurnedOff === 'no') { warnings.push(`tenant ${tenant}: stored permission of '${id}' (off) ignored: the notice says it cannot be turned off`); continue; }
    ov.uploadPermission[id] = v;
  }
  for (const [k, v] of Object.entries(stored.settings ?? {})) {
    if (isSettingId(k) && typeof v === 'boolean') ov.settings[k] = v;
    else warnings.push(`tenant ${tenant}: stored setting '${k}' ignored: no such setting, or not true/false`);
  }
  if (SECRETS.includes(stored.secrets as SecretsPolicy)) ov.secrets = stored.secrets;
  else if (stored.secrets !== undefined) warnings.push(`tenant ${tenant}: stored secrets policy '${String(stored.secrets)}' ignored: not keep, redact or drop`);
  if (UNDECLARED.includes(stored.undeclared as UndeclaredPolicy)) ov.undeclared = stored.undeclared;
  else if (stored.undeclared !== undefined) warnings.push(`tenant ${tenant}: stored undeclared policy '${String(stored.undeclared)}' ignored: not keep, flag or drop`);
  return ov;
}

/** A stored tenant's values set through the admin API: as they are (version 2), or read through the audit (version 1). */
function storedOverrides(
  state: StoredState, tenant: string, p: PolicyLike, fromConfig: { secrets: SecretsPolicy; undeclared: UndeclaredPolicy },
  audit: () => AuditEntry[], modules: readonly ModuleDef[], warnings: string[],
): TenantOverrides {
  const stored = state.tenants[tenant];
  if (state.version !== 1) return validOverrides(tenant, stored, modules, warnings);
  const kept = migrateV1(tenant, stored, audit(), modules);
  const diff = v1Differences(stored, kept, p, fromConfig, modules);
  if (diff.length > 0) {
    warnings.push(`tenant ${tenant}: the previous version's policy state had ${diff.join(', ')}, which no admin API change in the audit trail set: the config file's value applies from now on`);
  }
  return validOverrides(tenant, kept, modules, warnings);
}

export interface RestoreResult {
  store: PolicyStore | null;
  /** What was not taken from the stored state, and why (logged by the caller). */
  warnings: string[];
  /** Tenant → the values the admin API set and the stored state kept (TenantPolicies keeps them and adds to them). */
  overrides: Map<string, TenantOverrides>;
  /** Tenants the data folder keeps but the config no longer has: kept in the state as they are, unused. */
  unused: Record<string, StoredTenant>;
}

/**
 * Lays the values the admin API set (kept in the data folder) over the config's policies (in `policies`) where
 * `permissionsFrom` is `data`; where it is `config`, drops them and records in the audit each one the file's
 * value replaces. Then writes the state (version 2). A store of kind `none` keeps no data folder: nothing is
 * read or written.
 */
export function restorePolicies(cfg: SimConfig, classifier: ClassifierDeps, policies: Map<string, PolicyLike>): RestoreResult {
  const warnings: string[] = [];
  const overrides = new Map<string, TenantOverrides>();
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
  let auditCache: AuditEntry[] | undefined;
  const audit = () => (auditCache ??= store.readAudit());
  if (state !== null) {
    for (const [tenant, p] of policies) {
      const stored = state.tenants[tenant];
      if (stored === undefined) continue; // a tenant new in the config: seeded from it
      const def = cfg.tenants.find((t) => t.id === tenant);
      const fromConfig = tenantFilterPolicies(cfg, def);
      if (from === 'data') {
        const ov = storedOverrides(state, tenant, p, fromConfig, audit, modules, warnings);
        if (!hasOverrides(ov)) continue; // the config's policy as compiled
        try {
          // the config's entries first, the API's after: compilePolicy applies them in order, so the API's win
          policies.set(tenant, classifier.compilePolicy(classifier.matcher, {
            uploadPermission: { ...def?.uploadPermission, ...ov.uploadPermission },
            settings: { ...def?.settings, ...ov.settings },
            secrets: ov.secrets ?? fromConfig.secrets,
            undeclared: ov.undeclared ?? fromConfig.undeclared,
          }));
          overrides.set(tenant, ov);
        } catch (err) {
          warnings.push(`tenant ${tenant}: stored permissions ignored: ${(err as Error).message}`);
        }
      } else {
        // the file wins: every stored value that differs from the file's is recorded as replaced by it
        const at = new Date().toISOString();
        const entries: AuditEntry[] = [];
        const add = (change: AuditEntry['change'], target: string, old: unknown, now: unknown) => {
          if (old !== undefined && old !== now) entries.push({ at, tenant, credential: 'config file', change, target, old, new: now });
        };
        const perms = stored.uploadPermission ?? {};
        for (const m of modules) {
          // version 1 listed the modules whose own permission was off (absent: on); version 2 only what the API set
          const old = state.version === 1 ? perms[m.id] !== false : typeof perms[m.id] === 'boolean' ? perms[m.id] : undefined;
          add('uploadPermission', m.id, old, p.isUploadAllowed(m.id));
        }
        const settings = p.options?.().settings ?? {};
        for (const [k, v] of Object.entries(settings)) add('setting', k, (stored.settings as Record<string, unknown> | undefined)?.[k], v);
        for (const k of ['secrets', 'undeclared'] as const) add(k, k, stored[k], fromConfig[k]);
        for (const e of entries) store.audit(e);
      }
    }
  }
  const tenants: Record<string, StoredTenant> = {};
  for (const tenant of policies.keys()) tenants[tenant] = copyOverrides(overrides.get(tenant));
  // tenants the data folder keeps but the config no longer has are kept as they were (a version 1 one: what the
  // admin API set of it, read through the audit)
  const unused: Record<string, StoredTenant> = {};
  for (const [tenant, t] of Object.entries(state?.tenants ?? {})) {
    if (tenant in tenants) continue;
    tenants[tenant] = unused[tenant] = state!.version === 1 ? migrateV1(tenant, t, audit(), modules) : t;
  }
  store.save(tenants);
  return { store, warnings, overrides, unused };
}
