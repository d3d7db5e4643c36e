import { cutKeys, parseKeyValues } from '../classify/kv.ts';
import * as compiled from '../classify/compile.ts';
import type { Matcher, VerdictSlot } from '../classify/compile.ts';
import type { FieldClass, FilteredField, ModuleDef, SecretsPolicy, TenantSettingId, UndeclaredPolicy } from '../classify/types.ts';
import { describeCandidates, lookupModule } from '../policy/names.ts';
import { blockedBecause, compileRelations, pageName, partlyWarning, separateBlock, separateMatch, standsInActive, type CompiledMatch, type CompiledRelations } from '../policy/relations.ts';
import { defaultSettings, isSettingId, SETTING_IDS, type TenantSettings } from '../policy/settings.ts';

const VERDICT_SLOT: typeof compiled.VERDICT_SLOT = compiled.VERDICT_SLOT; // bound once: a symbol read per field

/**
 * Each verdict the filter hands out carries, under this symbol, a mutable cell that a counter may use as
 * scratch while it tallies one group of records (synchronously: `mark` says which tally the count belongs
 * to), and the verdict's item key. Verdicts are frozen and shared, so the cell is the only mutable part.
 */
export const TALLY_CELL: unique symbol = Symbol.for('ingestor-sim.tally');
export interface TallyCell {
  mark: number;
  n: number;
  /** itemKey(module, item) */
  readonly key: string;
  /** A number no other verdict of this process has: stores index their per-file ids by it. */
  readonly uid: number;
}
let verdictUids = 0;

/** The key of a (module, item) pair in per-item totals: `module \u0000 item`, '' for null. */
export function itemKey(module: string | null, item: string | null): string {
  return `${module ?? ''}\u0000${item ?? ''}`;
}

/**
 * Gives a verdict its tally cell (in place) and freezes it: for the filter's own verdicts, and for verdicts an
 * ingest worker sent (copies made once per worker and verdict, then shared like the filter's).
 */
export function shareVerdict(v: FilteredField): FilteredField {
  Object.defineProperty(v, TALLY_CELL, { value: { mark: 0, n: 0, key: itemKey(v.module, v.item), uid: ++verdictUids }, enumerable: false });
  return Object.freeze(v);
}

/**
 * A verdict's number: dense, never reused within a thread, the same for the verdict object as long as it lives.
 * What the packer (src/pipeline/ingest) writes per field, and what the store's verdict tables are indexed by:
 * nothing downstream reads a verdict's hidden state.
 */
export function verdictNumber(f: FilteredField): number {
  return (f as FilteredField & { [TALLY_CELL]: TallyCell })[TALLY_CELL].uid;
}

export type PolicyErrorCode = 'SIM_ERR_POLICY_MODULE_LOCKED' | 'SIM_ERR_POLICY_UNKNOWN_MODULE' | 'SIM_ERR_POLICY_AMBIGUOUS_MODULE';

/** A permission change the notice does not allow, a module the catalog does not have, or a name several share. */
export class PolicyError extends Error {
  constructor(readonly code: PolicyErrorCode, readonly moduleId: string, message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

export interface PolicyOptions {
  /** Module id, notice name, alias or data-source page name → data upload permission. Modules not named are allowed. */
  uploadPermission?: Record<string, boolean>;
  undeclared?: UndeclaredPolicy;
  /** Tenant settings the data-source page names (src/pipeline/policy/settings.ts); unnamed ones take their default. */
  settings?: Partial<TenantSettings>;
  /** What is stored of the values of `secret` fields (default keep). */
  secrets?: SecretsPolicy;
}

/** What the filter knows of the event a field belongs to: its module (token's or sourcetype's) and sourcetype. */
export interface EventContext {
  module: string | null;
  sourcetype?: string;
  /**
   * The envelope's event, when a separate permission names events by a field's value (catalog relations'
   * `match`): its indexed fields then follow the event's gate. Absent, applyPolicy looks into what it filters.
   */
  event?: unknown;
}

/** A module's permission as it takes effect: its own, then what the data-source page says it requires. */
export interface EffectivePermission {
  /** The module's own upload permission. */
  uploadPermission: boolean;
  /** Whether its events are kept (own permission and every requirement). */
  effective: boolean;
  /** Why not, when not. */
  reason?: string;
}

/**
 * A tenant's upload permissions, compiled: one Set lookup per field, and the filtered result of each shared
 * classification is computed once per event gate and reused (classifications are shared objects, see compileMatcher).
 */
export interface Policy {
  readonly undeclared: UndeclaredPolicy;
  readonly secrets: SecretsPolicy;
  readonly settings: Readonly<TenantSettings>;
  /** Module ids whose own upload permission is off. */
  readonly disabled: ReadonlySet<string>;
  /** Warnings of the permissions this policy was built with (a `partly` module turned off). */
  readonly warnings: readonly string[];
  /** The module's own permission (not its requirements: see effective). */
  isUploadAllowed(moduleId: string): boolean;
  effective(moduleId: string): EffectivePermission;
  /** A new policy with one module's permission changed; throws PolicyError for a locked, unknown or ambiguous module. */
  withPermission(moduleIdOrName: string, allowed: boolean): Policy;
  withUndeclared(undeclared: UndeclaredPolicy): Policy;
  withSetting(id: TenantSettingId, value: boolean): Policy;
  withSecrets(secrets: SecretsPolicy): Policy;
  /** The options that rebuild this policy (an ingest thread's copy, the persisted state). */
  options(): Required<PolicyOptions>;
  /** Why nothing of an event of `ctx` is kept (its module's permission, a requirement, a separate permission), or null. */
  blocked(ctx: EventContext): string | null;
  /** The filter's verdict on one classified field of an event of `ctx` (default: the field's own module). */
  decide(field: FieldClass, ctx?: EventContext): FilteredField;
  /**
   * What an event of `ctx` decides for all its fields (computed once per module and sourcetype, and per field
   * condition met: see separateMatch): for decideIn. `event`: looked into when `ctx` carries none.
   */
  gate(ctx?: EventContext, event?: unknown): object;
  /** decide() for many fields of one event: the gate looked up once. */
  decideIn(field: FieldClass, gate: object): FilteredField;
}

export interface FilterResult {
  /** What may be stored: the event itself when nothing is dropped or masked, else a copy without the dropped fields. */
  event: unknown;
  fields: FilteredField[];
  dropped: number;
  flagged: number;
}

/** What a masked secret value is stored as. */
export const REDACTED = '[redacted]';

/** Resolves a module name for a permission: refuses an unknown name, and a name several modules share. */
export function resolveOrThrow(matcher: Pick<Matcher, 'modules'>, name: string): ModuleDef {
  const r = lookupModule(matcher.modules, name);
  if (r.kind === 'one') return r.module;
  if (r.kind === 'many') {
    throw new PolicyError('SIM_ERR_POLICY_AMBIGUOUS_MODULE', name,
      `'${name}' names ${r.candidates.length} modules: ${describeCandidates(r.candidates)}; use one of these ids`);
  }
  throw new PolicyError('SIM_ERR_POLICY_UNKNOWN_MODULE', name, `no module '${name}' in the catalog (use a module id, its notice name, an alias or its data-source page name)`);
}

function assertCanTurnOff(m: ModuleDef): void {
  if (m.canBeTurnedOff === 'no') {
    throw new PolicyError('SIM_ERR_POLICY_MODULE_LOCKED', m.id,
      `the data upload of '${m.name}' cannot be turned off: the notice says "${m.turnOffNote}"`);
  }
}

export function compilePolicy(matcher: Matcher, opts: PolicyOptions = {}): Policy {
  const disabled = new Set<string>();
  for (const [name, allowed] of Object.entries(opts.uploadPermission ?? {})) {
    const m = resolveOrThrow(matcher, name);
    if (!allowed) {
      assertCanTurnOff(m);
      disabled.add(m.id);
    } else disabled.delete(m.id);
  }
  const settings = { ...defaultSettings() };
  for (const [k, v] of Object.entries(opts.settings ?? {})) {
    if (!isSettingId(k)) throw new Error(`no tenant setting '${k}' (settings: ${SETTING_IDS.join(', ')})`);
    if (typeof v === 'boolean') settings[k] = v;
  }
  return makePolicy(matcher, modelOf(matcher), disabled, opts.undeclared ?? 'flag', settings, opts.secrets ?? 'keep');
}

interface Model { byId: Map<string, ModuleDef>; rels: CompiledRelations }
const models = new WeakMap<object, Model>();
function modelOf(matcher: Matcher): Model {
  let m = models.get(matcher);
  if (!m) {
    m = { byId: new Map(matcher.modules.map((x) => [x.id, x])), rels: compileRelations(matcher.modules) };
    models.set(matcher, m);
  }
  return m;
}

/** What happens to the fields of one kind of event (module + sourcetype): all dropped, or kept with notes. */
interface Gate {
  /** The event's module. */
  module: string | null;
  /** Every field is dropped, for this reason (the module's permission or a requirement is off). */
  drop: string | null;
  /** A note for kept fields of these items (a stand-in), or for all ('*': a feature at risk). */
  notes: Map<string, string> | null;
}
const OPEN: Gate = Object.freeze({ module: null, drop: null, notes: null }) as Gate;

function makePolicy(matcher: Matcher, model: Model, disabled: Set<string>, undeclared: UndeclaredPolicy, settings: TenantSettings, secrets: SecretsPolicy): Policy {
  // Verdicts are cached on the matcher's shared results (one property load on the hot path), for one gate at a
  // time; results made elsewhere fall back to a WeakMap per gate.
  const verdicts = new WeakMap<Gate, WeakMap<FieldClass, FilteredField>>();
  const self = {};
  const { byId, rels } = model;
  const warnings: string[] = [];
  for (const id of disabled) {
    const m = byId.get(id);
    if (m?.canBeTurnedOff === 'partly') warnings.push(partlyWarning(m));
  }

  function effective(id: string): EffectivePermission {
    const why = blockedBecause(id, byId, rels, disabled, settings);
    return { uploadPermission: !disabled.has(id), effective: why === null, ...(why !== null ? { reason: why } : {}) };
  }

  // module → sourcetype ('' for none; + a match's key when the event meets a separate permission's field
  // condition) → gate: three Map lookups per event, a string built only for an event that meets a condition
  const gates = new Map<string, Map<string, Gate>>();
  let gateCount = 0;
  function gateOf(ctx: EventContext | undefined, event?: unknown): Gate {
    if (ctx === undefined || ctx.module === null) return OPEN;
    let byType = gates.get(ctx.module);
    if (byType === undefined) gates.set(ctx.module, (byType = new Map()));
    // a field condition of a separate permission (one Map lookup for the modules that have none)
    const matched = separateMatch(ctx.module, ctx.sourcetype, ctx.event !== undefined ? ctx.event : event, rels);
    const st = matched === null ? ctx.sourcetype ?? '' : `${ctx.sourcetype}${matched.key}`;
    let g = byType.get(st);
    if (g === undefined) {
      g = computeGate(ctx.module, ctx.sourcetype, matched);
      if (gateCount++ < 4096) byType.set(st, g);
    }
    return g;
  }

  function computeGate(id: string, sourcetype: string | undefined, matched: CompiledMatch | null): Gate {
    const drop = blockedBecause(id, byId, rels, disabled, settings) ?? separateBlock(id, sourcetype, byId, rels, settings, matched);
    let notes: Map<string, string> | null = null;
    if (drop === null) {
      for (const r of rels.of.get(id) ?? []) {
        if (r.type === 'standsInFor' && standsInActive(r, byId, rels, disabled, settings)) {
          const other = byId.get(r.module!)!;
          const note = `${pageName(byId.get(id)!)} acts as the data source for vulnerability detection: ${pageName(other)} is not configured or its upload is off ("${r.quote}")`;
          for (const it of r.items ?? []) (notes ??= new Map()).set(it, note);
        }
      }
      const off = (rels.affectedBy.get(id) ?? []).filter((a) => blockedBecause(a, byId, rels, disabled, settings) !== null);
      if (off.length > 0) {
        const rel = rels.of.get(off[0])!.find((r) => r.type === 'affects')!;
        (notes ??= new Map()).set('*', `the ${off.map((a) => pageName(byId.get(a)!)).join(' and ')} upload permission is off: the data-source page warns "${rel.quote}"`);
      }
    }
    return drop === null && notes === null ? OPEN : { module: id, drop, notes };
  }

  function decide(f: FieldClass, ctx?: EventContext): FilteredField {
    return decideIn(f, gateOf(ctx));
  }

  function decideIn(f: FieldClass, gate: Gate): FilteredField {
    const slot = (f as FieldClass & { [VERDICT_SLOT]?: VerdictSlot & { gate?: Gate } })[VERDICT_SLOT];
    if (slot !== undefined) {
      if (slot.policy === self && slot.gate === gate) return slot.verdict as FilteredField;
      const v = verdictOf(f, gate);
      slot.policy = self;
      slot.gate = gate;
      slot.verdict = v;
      return v;
    }
    let byGate = verdicts.get(gate);
    if (byGate === undefined) verdicts.set(gate, (byGate = new WeakMap()));
    let v = byGate.get(f);
    if (v === undefined) byGate.set(f, (v = verdictOf(f, gate)));
    return v;
  }

  function verdictOf(f: FieldClass, gate: Gate): FilteredField {
    let v: FilteredField;
    if (gate.drop !== null) {
      // a permission is for the whole source: every field of the event, declared or not
      v = { ...f, action: 'drop', reason: gate.drop };
    } else if (f.module === null) {
      v = undeclared === 'keep'
        ? { ...f, action: 'keep' }
        : { ...f, action: undeclared, reason: `undeclared: no item of the notice covers this field (policy: ${undeclared})` };
    } else {
      // a field of its own event's module (the classifier never gives another's) goes with that module's
      // permission; with an event context the gate has decided that already, without one this does
      const why = disabled.has(f.module) ? `upload permission of module '${f.module}' is off` : blockedBecause(f.module, byId, rels, disabled, settings);
      v = why === null ? { ...f, action: 'keep' } : { ...f, action: 'drop', reason: `${why} (item '${f.item}')` };
    }
    if (v.action !== 'drop' && f.category === 'secret' && secrets !== 'keep') {
      v = secrets === 'drop'
        ? { ...v, action: 'drop', reason: 'a secret: its value is not stored (policy secrets: drop); the field and its classification are kept' }
        : { ...v, masked: 'redacted' };
    }
    if (v.action !== 'drop' && gate.notes !== null) {
      const note = (f.item !== null && f.module === gate.module && gate.notes.get(f.item)) || gate.notes.get('*');
      if (note) v.note = note;
    }
    // a scratch cell in which counters tally this shared verdict without a Map lookup (src/store/stats.ts)
    return shareVerdict(v);
  }

  const policy: Policy = {
    undeclared,
    secrets,
    settings: Object.freeze({ ...settings }),
    disabled,
    warnings,
    isUploadAllowed: (id) => !disabled.has(id),
    effective,
    withPermission(moduleIdOrName, allowed) {
      const m = resolveOrThrow(matcher, moduleIdOrName);
      const next = new Set(disabled);
      if (allowed) next.delete(m.id);
      else {
        assertCanTurnOff(m);
        next.add(m.id);
      }
      return makePolicy(matcher, model, next, undeclared, settings, secrets);
    },
    withUndeclared: (u) => makePolicy(matcher, model, disabled, u, settings, secrets),
    withSetting(id, value) {
      if (!isSettingId(id)) throw new Error(`no tenant setting '${id}'`);
      return makePolicy(matcher, model, disabled, undeclared, { ...settings, [id]: value }, secrets);
    },
    withSecrets: (s) => makePolicy(matcher, model, disabled, undeclared, settings, s),
    options: () => ({
      uploadPermission: Object.fromEntries([...disabled].sort().map((id) => [id, false])),
      undeclared,
      settings: { ...settings },
      secrets,
    }),
    blocked: (ctx) => gateOf(ctx).drop,
    decide,
    gate: gateOf,
    decideIn: decideIn as Policy['decideIn'],
  };
  return policy;
}

/**
 * A deep copy without the dropped paths, the masked ones' values replaced. Copies are null-prototype objects:
 * no key can reach a prototype.
 */
function copyWithout(node: unknown, drop: Set<string>, prefix: string, mask: Set<string> | null = null): unknown {
  if (node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) {
    const out: unknown[] = [];
    for (let i = 0; i < node.length; i++) {
      const p = `${prefix}[${i}]`;
      if (!drop.has(p)) out.push(mask !== null && mask.has(p) ? REDACTED : copyWithout(node[i], drop, p, mask));
    }
    return out;
  }
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(node)) {
    const p = prefix === '' ? key : `${prefix}.${key}`;
    if (drop.has(p)) continue;
    out[key] = mask !== null && mask.has(p) ? REDACTED : copyWithout((node as Record<string, unknown>)[key], drop, p, mask);
  }
  return out;
}

/** A raw key=value text with the values of the given keys replaced by REDACTED. */
function maskKeys(text: string, keys: Set<string>): string {
  let out = '';
  let at = 0;
  for (const p of parseKeyValues(text)) {
    if (!keys.has(p.key)) continue;
    out += `${text.slice(at, p.start)}${p.key}=${REDACTED}`;
    at = p.end;
  }
  return out + text.slice(at);
}

/**
 * Applies the policy to one classified event. `ctx` names the event's module (token's or sourcetype's) and
 * sourcetype: when that module's effective permission is off, nothing of the event is kept (stored as null) and
 * every field says why.
 */
export function applyPolicy(policy: Policy, event: unknown, fields: FieldClass[], ctx?: EventContext): FilterResult {
  const out: FilteredField[] = new Array(fields.length);
  let dropped = 0;
  let flagged = 0;
  let masked = 0;
  const gate = policy.gate(ctx, event);
  for (let i = 0; i < fields.length; i++) {
    const v = policy.decideIn(fields[i], gate);
    out[i] = v;
    if (v.action === 'drop') dropped++;
    else if (v.action === 'flag') flagged++;
    if (v.masked !== undefined) masked++;
  }
  if (dropped === 0 && masked === 0) return { event, fields: out, dropped, flagged };
  if (dropped === fields.length && (gate as Gate).drop !== null) return { event: null, fields: out, dropped, flagged };

  const drop = new Set<string>();
  for (const f of out) if (f.action === 'drop') drop.add(f.path);
  let mask: Set<string> | null = null;
  if (masked > 0) for (const f of out) if (f.masked !== undefined) (mask ??= new Set()).add(f.path);
  let kept: unknown;
  if (typeof event === 'string') {
    if (drop.has('_raw')) kept = null;
    else if (mask !== null && mask.has('_raw')) kept = REDACTED;
    else kept = cutKeys(event, parseKeyValues(event), drop);
    if (mask !== null && typeof kept === 'string' && kept !== REDACTED) kept = maskKeys(kept, mask);
  } else if (event === null || typeof event !== 'object') {
    kept = drop.has('_raw') ? null : mask !== null && mask.has('_raw') ? REDACTED : event;
  } else {
    kept = copyWithout(event, drop, '', mask);
  }
  return { event: kept, fields: out, dropped, flagged };
}
