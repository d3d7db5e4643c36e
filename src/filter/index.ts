import { cutKeys, parseKeyValues } from '../classify/kv.ts';
import * as compiled from '../classify/compile.ts';
import type { Matcher, VerdictSlot } from '../classify/compile.ts';
import type { FieldClass, FilteredField, UndeclaredPolicy } from '../classify/types.ts';

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

export type PolicyErrorCode = 'SIM_ERR_POLICY_MODULE_LOCKED' | 'SIM_ERR_POLICY_UNKNOWN_MODULE';

/** A permission change the notice does not allow, or a module the catalog does not have. */
export class PolicyError extends Error {
  constructor(readonly code: PolicyErrorCode, readonly moduleId: string, message: string) {
    super(message);
    this.name = 'PolicyError';
  }
}

export interface PolicyOptions {
  /** Module id, notice name or alias → data upload permission. Modules not named are allowed. */
  uploadPermission?: Record<string, boolean>;
  undeclared?: UndeclaredPolicy;
}

/**
 * A tenant's upload permissions, compiled: one Set lookup per field, and the filtered result of each shared
 * classification is computed once and reused (classifications are shared objects, see compileMatcher).
 */
export interface Policy {
  readonly undeclared: UndeclaredPolicy;
  /** Module ids whose upload permission is off. */
  readonly disabled: ReadonlySet<string>;
  isUploadAllowed(moduleId: string): boolean;
  /** A new policy with one module's permission changed; throws PolicyError for a locked or unknown module. */
  withPermission(moduleIdOrName: string, allowed: boolean): Policy;
  withUndeclared(undeclared: UndeclaredPolicy): Policy;
  /** The filter's verdict on one classified field. */
  decide(field: FieldClass): FilteredField;
}

export interface FilterResult {
  /** What may be stored: the event itself when nothing is dropped, else a copy without the dropped fields. */
  event: unknown;
  fields: FilteredField[];
  dropped: number;
  flagged: number;
}

export function compilePolicy(matcher: Matcher, opts: PolicyOptions = {}): Policy {
  const disabled = new Set<string>();
  for (const [name, allowed] of Object.entries(opts.uploadPermission ?? {})) {
    const m = resolveOrThrow(matcher, name);
    if (!allowed) {
      assertCanTurnOff(m.id, m.name, m.canBeTurnedOff, m.turnOffNote);
      disabled.add(m.id);
    }
  }
  return makePolicy(matcher, disabled, opts.undeclared ?? 'flag');
}

function resolveOrThrow(matcher: Matcher, name: string) {
  const m = matcher.resolveModule(name);
  if (!m) throw new PolicyError('SIM_ERR_POLICY_UNKNOWN_MODULE', name, `no module '${name}' in the catalog (use a module id, its notice name or an alias)`);
  return m;
}

function assertCanTurnOff(id: string, name: string, canBeTurnedOff: boolean, note: string): void {
  if (!canBeTurnedOff) {
    throw new PolicyError('SIM_ERR_POLICY_MODULE_LOCKED', id,
      `the data upload of '${name}' cannot be turned off: the notice says "${note}"`);
  }
}

function makePolicy(matcher: Matcher, disabled: Set<string>, undeclared: UndeclaredPolicy): Policy {
  // Verdicts are cached on the matcher's shared results (one property load on the hot path); results made
  // elsewhere fall back to a WeakMap.
  const verdicts = new WeakMap<FieldClass, FilteredField>();
  const self = {};

  function decide(f: FieldClass): FilteredField {
    const slot = (f as FieldClass & { [VERDICT_SLOT]?: VerdictSlot })[VERDICT_SLOT];
    if (slot !== undefined) {
      if (slot.policy === self) return slot.verdict as FilteredField;
      const v = verdictOf(f);
      slot.policy = self;
      slot.verdict = v;
      return v;
    }
    let v = verdicts.get(f);
    if (v === undefined) verdicts.set(f, (v = verdictOf(f)));
    return v;
  }

  function verdictOf(f: FieldClass): FilteredField {
    let v: FilteredField;
    if (f.module === null) {
      v = undeclared === 'keep'
        ? { ...f, action: 'keep' }
        : { ...f, action: undeclared, reason: `undeclared: no item of the notice covers this field (policy: ${undeclared})` };
    } else if (disabled.has(f.module)) {
      v = { ...f, action: 'drop', reason: `upload permission of module '${f.module}' is off (item '${f.item}')` };
    } else {
      v = { ...f, action: 'keep' };
    }
    // a scratch cell in which counters tally this shared verdict without a Map lookup (src/store/stats.ts)
    return shareVerdict(v);
  }

  return {
    undeclared,
    disabled,
    isUploadAllowed: (id) => !disabled.has(id),
    withPermission(moduleIdOrName, allowed) {
      const m = resolveOrThrow(matcher, moduleIdOrName);
      const next = new Set(disabled);
      if (allowed) next.delete(m.id);
      else {
        assertCanTurnOff(m.id, m.name, m.canBeTurnedOff, m.turnOffNote);
        next.add(m.id);
      }
      return makePolicy(matcher, next, undeclared);
    },
    withUndeclared: (u) => makePolicy(matcher, disabled, u),
    decide,
  };
}

/** A deep copy without the dropped paths. Copies are null-prototype objects: no key can reach a prototype. */
function copyWithout(node: unknown, drop: Set<string>, prefix: string): unknown {
  if (node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) {
    const out: unknown[] = [];
    for (let i = 0; i < node.length; i++) {
      const p = `${prefix}[${i}]`;
      if (!drop.has(p)) out.push(copyWithout(node[i], drop, p));
    }
    return out;
  }
  const out: Record<string, unknown> = Object.create(null);
  for (const key of Object.keys(node)) {
    const p = prefix === '' ? key : `${prefix}.${key}`;
    if (drop.has(p)) continue;
    out[key] = copyWithout((node as Record<string, unknown>)[key], drop, p);
  }
  return out;
}

/** Applies the policy to one classified event. */
export function applyPolicy(policy: Policy, event: unknown, fields: FieldClass[]): FilterResult {
  const out: FilteredField[] = new Array(fields.length);
  let dropped = 0;
  let flagged = 0;
  for (let i = 0; i < fields.length; i++) {
    const v = policy.decide(fields[i]);
    out[i] = v;
    if (v.action === 'drop') dropped++;
    else if (v.action === 'flag') flagged++;
  }
  if (dropped === 0) return { event, fields: out, dropped, flagged };

  const drop = new Set<string>();
  for (const f of out) if (f.action === 'drop') drop.add(f.path);
  let kept: unknown;
  if (typeof event === 'string') {
    if (drop.has('_raw')) kept = null;
    else kept = cutKeys(event, parseKeyValues(event), drop);
  } else if (event === null || typeof event !== 'object') {
    kept = drop.has('_raw') ? null : event;
  } else {
    kept = copyWithout(event, drop, '');
  }
  return { event: kept, fields: out, dropped, flagged };
}

