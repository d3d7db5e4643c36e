/**
 * Every tenant's compiled policy, and the one way to change one: a permission or a setting is applied here,
 * kept with the data and audited (src/pipeline/policy/persist.ts), then every subscriber hears of it
 * (`onChange`: the ingest threads, src/service/app.ts). The admin API calls this; it never talks to the threads.
 * Fastify-free: a change is a method call that returns what it did or throws a SimError.
 */
import { SimError } from '../errors/sim-error.ts';
import type { ModuleDef, SecretsPolicy, TenantSettingId, UndeclaredPolicy } from '../pipeline/classify/types.ts';
import type { Policy } from '../pipeline/filter/index.ts';
import type { ClassifierDeps, PolicyLike } from '../pipeline/ingest/pipeline.ts';
import { consequences, type Change } from '../pipeline/policy/consequences.ts';
import { copyOverrides, type RestoreResult, type TenantOverrides } from '../pipeline/policy/boot.ts';
import { credentialId, type AuditEntry, type PolicyStore } from '../pipeline/policy/persist.ts';
import { partlyWarning } from '../pipeline/policy/relations.ts';

/** Hears of each tenant policy that became current, before the change's caller gets its answer. */
export type PolicyListener = (tenant: string, policy: PolicyLike, change: Change) => void;

/** What a change did: the policy before and after, the notice's warnings, and what else starts or stops. */
export interface PolicyChangeResult {
  tenant: string;
  before: PolicyLike;
  after: PolicyLike;
  /**
   * False when the tenant already had the value: nothing is written (no state file, no audit entry), nobody
   * hears of it, and `after` is `before`.
   */
  changed: boolean;
  warnings: string[];
  consequences: string[];
  /** The audit entry written (also when the store keeps none: store kind none); null when nothing changed. */
  audit: AuditEntry | null;
}

/** The filter's own policy (src/pipeline/filter), or null for a classifier whose policies know only on/off (a test's). */
export function fullPolicy(p: PolicyLike): Policy | null {
  return typeof (p as Partial<Policy>).effective === 'function' ? p as Policy : null;
}

export class TenantPolicies {
  readonly #policies: Map<string, PolicyLike>;
  readonly #listeners = new Set<PolicyListener>();
  /**
   * Tenant → the values set through the admin API (module permissions, settings, secrets, undeclared): only
   * these are kept with the data; everything else follows the config file at the next start.
   */
  readonly #overrides: RestoreResult['overrides'];
  /** Tenants the data folder keeps but the config no longer has: written back as they are with every change. */
  readonly #unused: RestoreResult['unused'];

  /**
   * `policies`: tenant → compiled policy at start (the config's, over what the data folder keeps);
   * `store`: where changes are kept with their audit trail, or null (store kind none: not kept);
   * `adminToken`: named in the audit by its fingerprint, never itself;
   * `restored`: from restorePolicies, the values the admin API set before, and the stored tenants the config
   * no longer has.
   */
  constructor(
    private readonly classifier: ClassifierDeps,
    policies: ReadonlyMap<string, PolicyLike>,
    readonly store: PolicyStore | null,
    private readonly adminToken: string,
    restored: Pick<RestoreResult, 'overrides' | 'unused'> = { overrides: new Map(), unused: {} },
  ) {
    this.#policies = new Map(policies);
    this.#overrides = new Map([...restored.overrides].map(([t, o]) => [t, copyOverrides(o)]));
    this.#unused = { ...restored.unused };
  }

  /** The tenant's current policy, or undefined for a tenant the config does not have. */
  get(tenant: string): PolicyLike | undefined {
    return this.#policies.get(tenant);
  }

  has(tenant: string): boolean {
    return this.#policies.has(tenant);
  }

  tenants(): string[] {
    return [...this.#policies.keys()];
  }

  [Symbol.iterator](): IterableIterator<[string, PolicyLike]> {
    return this.#policies.entries();
  }

  /** Calls `listener` after every change, in the order of changes; returns the function that unsubscribes it. */
  onChange(listener: PolicyListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Turns a module's upload permission on or off; throws SIM_ERR_POLICY_MODULE_LOCKED for one the notice keeps on. */
  setPermission(tenant: string, m: ModuleDef, allowed: boolean): PolicyChangeResult {
    const before = this.#current(tenant);
    const warnings = !allowed && m.canBeTurnedOff === 'partly' ? [partlyWarning(m)] : [];
    if (!allowed && m.canBeTurnedOff === 'not-stated') warnings.push(`the notice does not say how ${m.name} is turned off: "${m.turnOffNote}"`);
    // already so: the answer still carries the notice's warnings about the module being off
    if (before.isUploadAllowed(m.id) === allowed) return unchanged(tenant, before, warnings);
    let after: PolicyLike;
    try {
      after = before.withPermission(m.id, allowed);
    } catch (err) {
      if (this.classifier.isPolicyError(err)) {
        if (err.code === 'SIM_ERR_POLICY_MODULE_LOCKED') {
          throw new SimError('SIM_ERR_POLICY_MODULE_LOCKED', { detail: `module '${m.id}' (${m.name}) cannot be turned off: the notice says "${m.turnOffNote}"` });
        }
        throw new SimError(err.code, { detail: err.message });
      }
      throw err;
    }
    const change: Change = { kind: 'permission', module: m.id, allowed };
    return this.#commit(tenant, before, after, change, warnings, {
      change: 'uploadPermission', target: m.id, old: before.isUploadAllowed(m.id), new: allowed,
    });
  }

  /** Sets a tenant setting; throws SIM_ERR_ADMIN_BAD_REQUEST for a classifier whose policies have none. */
  setSetting(tenant: string, id: TenantSettingId, value: boolean): PolicyChangeResult {
    const before = this.#full(tenant, 'tenant settings');
    if (before.settings[id] === value) return unchanged(tenant, before, []);
    const after = before.withSetting(id, value);
    return this.#commit(tenant, before, after, { kind: 'setting', setting: id, value }, [], {
      change: 'setting', target: id, old: before.settings[id], new: value,
    });
  }

  /** Sets what is stored of the tenant's secret fields' values (keep | redact | drop). */
  setSecrets(tenant: string, value: SecretsPolicy): PolicyChangeResult {
    const before = this.#full(tenant, 'secrets policy');
    if (before.secrets === value) return unchanged(tenant, before, []);
    return this.#commit(tenant, before, before.withSecrets(value), { kind: 'secrets', value }, [], {
      change: 'secrets', target: 'secrets', old: before.secrets, new: value,
    });
  }

  /** Sets what happens to the tenant's fields no item of the notice covers (keep | flag | drop). */
  setUndeclared(tenant: string, value: UndeclaredPolicy): PolicyChangeResult {
    const before = this.#full(tenant, 'undeclared policy');
    if (before.undeclared === value) return unchanged(tenant, before, []);
    return this.#commit(tenant, before, before.withUndeclared(value), { kind: 'undeclared', value }, [], {
      change: 'undeclared', target: 'undeclared', old: before.undeclared, new: value,
    });
  }

  /**
   * What the admin API set of the tenant (module permissions by id, settings, secrets, undeclared): the values
   * kept with the data; every other value follows the config file at the next start. A copy.
   */
  setByAdmin(tenant: string): TenantOverrides {
    this.#current(tenant);
    return copyOverrides(this.#overrides.get(tenant));
  }

  /** The audit trail, oldest first ([] when changes are not kept). */
  readAudit(): AuditEntry[] {
    return this.store ? this.store.readAudit() : [];
  }

  /** The tenant's policy as the filter compiles it; SIM_ERR_ADMIN_BAD_REQUEST for a classifier whose policies know only on/off. */
  #full(tenant: string, what: string): Policy {
    const p = fullPolicy(this.#current(tenant));
    if (!p) throw new SimError('SIM_ERR_ADMIN_BAD_REQUEST', { detail: `this classifier's policies have no ${what}` });
    return p;
  }

  #current(tenant: string): PolicyLike {
    const p = this.#policies.get(tenant);
    if (p === undefined) throw new SimError('SIM_ERR_ADMIN_UNKNOWN_TENANT', { detail: `no tenant '${tenant}' (tenants: ${this.tenants().join(', ')})` });
    return p;
  }

  /** Makes `after` current: kept with the data and audited first (a change that cannot be kept is not made), then heard. */
  #commit(
    tenant: string, before: PolicyLike, after: PolicyLike, change: Change, warnings: string[],
    what: Pick<AuditEntry, 'change' | 'target' | 'old' | 'new'>,
  ): PolicyChangeResult {
    const b = fullPolicy(before), a = fullPolicy(after);
    const cons = b && a ? consequences(b, a, this.classifier.matcher.modules, change) : [];
    const audit: AuditEntry = {
      at: new Date().toISOString(), tenant, credential: credentialId(this.adminToken), ...what,
      ...(warnings.length ? { warnings } : {}), ...(cons.length ? { consequences: cons } : {}),
    };
    // what the admin API set of this tenant, with this change: the only values kept for it
    const ov = copyOverrides(this.#overrides.get(tenant));
    if (change.kind === 'permission') ov.uploadPermission[change.module] = change.allowed;
    else if (change.kind === 'setting') ov.settings[change.setting] = change.value;
    else if (change.kind === 'secrets') ov.secrets = change.value;
    else if (change.kind === 'undeclared') ov.undeclared = change.value;
    if (this.store) {
      const tenants = Object.fromEntries([...this.#policies.keys()].map((t) => [t, t === tenant ? ov : copyOverrides(this.#overrides.get(t))]));
      this.store.save({ ...tenants, ...this.#unused });
      this.store.audit(audit);
    }
    this.#overrides.set(tenant, ov);
    this.#policies.set(tenant, after);
    for (const l of this.#listeners) l(tenant, after, change);
    return { tenant, before, after, changed: true, warnings, consequences: cons, audit };
  }
}

/** The answer to a change that finds the value already set. */
function unchanged(tenant: string, p: PolicyLike, warnings: string[]): PolicyChangeResult {
  return { tenant, before: p, after: p, changed: false, warnings, consequences: [], audit: null };
}
