import { isSimError, SimError } from '../../errors/sim-error.ts';
import { cutKeys, parseKeyValues } from '../classify/kv.ts';
import * as compiled from '../classify/compile.ts';
import { Recent, RECENT_SIZE } from '../classify/recent.ts';
import type { Matcher } from '../classify/compile.ts';
import type { Classification, Verdict, ModuleDef, SecretsPolicy, TenantSettingId, UndeclaredPolicy } from '../classify/types.ts';
import { describeCandidates, lookupModule } from '../policy/names.ts';
import { blockedBecause, compileRelations, pageName, partlyWarning, separateBlock, separateMatch, standsInActive, type CompiledMatch, type CompiledRelations } from '../policy/relations.ts';
import { defaultSettings, isSettingId, SETTING_IDS, type TenantSettings } from '../policy/settings.ts';

/**
 * Each verdict the filter hands out is a frozen object shared by every field it decides alike, and carries
 * its number under this key: readonly and not enumerable, so it is neither in the verdict's JSON (stored, shown
 * by the admin API) nor in a copy made by spreading it. Verdicts carry no mutable state.
 */
// Bound once: a module namespace's functions may be reached through getters (CommonJS interop of the
// TypeScript loader), a call per use on the hot path.
const resultNumberOf = compiled.resultNumberOf;

const VERDICT_NO: unique symbol = Symbol('ingestor-sim.verdict-number');

/**
 * A verdict's number: dense (0, 1, 2, … as the policies of one matcher make verdicts; the service has one
 * matcher per thread), never reused, the same for the verdict object as long as it lives. What the packer
 * (src/pipeline/ingest) writes per field, and what the store's verdict tables and counters are indexed by.
 * -1 for an object the filter did not hand out (a copy, a verdict parsed from JSON): count those by identity.
 */
export function verdictNumber(f: Verdict): number {
  const n = (f as Verdict & { [VERDICT_NO]?: number })[VERDICT_NO];
  return n === undefined ? -1 : n;
}

/** The codes of a permission change the notice does not allow, a module the catalog does not have, or a name several share. */
export const POLICY_ERROR_CODES = ['SIM_ERR_POLICY_MODULE_LOCKED', 'SIM_ERR_POLICY_UNKNOWN_MODULE', 'SIM_ERR_POLICY_AMBIGUOUS_MODULE'] as const;
export type PolicyErrorCode = (typeof POLICY_ERROR_CODES)[number];

/**
 * Whether an error is the filter's refusal of a permission: the project's SimError with a SIM_ERR_POLICY_* code.
 * Its `detail` names the module (its id, or the name given when none matched) in words for people.
 */
export function isPolicyError(e: unknown): e is SimError & { code: PolicyErrorCode } {
  return isSimError(e) && (POLICY_ERROR_CODES as readonly string[]).includes(e.code);
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
  /** A new policy with one module's permission changed; throws a SimError (isPolicyError) for a locked, unknown or ambiguous module. */
  withPermission(moduleIdOrName: string, allowed: boolean): Policy;
  withUndeclared(undeclared: UndeclaredPolicy): Policy;
  withSetting(id: TenantSettingId, value: boolean): Policy;
  withSecrets(secrets: SecretsPolicy): Policy;
  /** The options that rebuild this policy (an ingest thread's copy, the persisted state). */
  options(): Required<PolicyOptions>;
  /** Why nothing of an event of `ctx` is kept (its module's permission, a requirement, a separate permission), or null. */
  blocked(ctx: EventContext): string | null;
  /** The filter's verdict on one classified field of an event of `ctx` (default: the field's own module). */
  decide(field: Classification, ctx?: EventContext): Verdict;
  /**
   * What an event of `ctx` decides for all its fields (computed once per module and sourcetype, and per field
   * condition met: see separateMatch): for decideIn. `event`: looked into when `ctx` carries none.
   */
  gate(ctx?: EventContext, event?: unknown): object;
  /** decide() for many fields of one event: the gate looked up once. */
  decideIn(field: Classification, gate: object): Verdict;
}

export interface FilterResult {
  /**
   * What may be stored: the event itself when nothing is dropped or masked, else a copy without the dropped fields;
   * undefined when applyPolicy counted into a sink (it makes no event then).
   */
  event: unknown;
  /** Each field's verdict, in the order of the fields; empty when applyPolicy counted into a sink. */
  fields: Verdict[];
  dropped: number;
  flagged: number;
}

/**
 * What applyPolicy hands each field's verdict to instead of listing it, for a caller that only counts (the none
 * store's tally, src/store/stats.ts FieldTally): the verdict and its number (verdictNumber), read from the gate's
 * cache. Called once per field, in the order of the fields.
 */
export interface VerdictSink {
  addVerdict(verdict: Verdict, n: number): void;
}

/** What a masked secret value is stored as. */
export const REDACTED = '[redacted]';

/** Resolves a module name for a permission: refuses an unknown name, and a name several modules share. */
export function resolveOrThrow(matcher: Pick<Matcher, 'modules'>, name: string): ModuleDef {
  const r = lookupModule(matcher.modules, name);
  if (r.kind === 'one') return r.module;
  if (r.kind === 'many') {
    throw new SimError('SIM_ERR_POLICY_AMBIGUOUS_MODULE', {
      detail: `'${name}' names ${r.candidates.length} modules: ${describeCandidates(r.candidates)}; use one of these ids`,
    });
  }
  throw new SimError('SIM_ERR_POLICY_UNKNOWN_MODULE', {
    detail: `no module '${name}' in the catalog (use a module id, its notice name, an alias or its data-source page name)`,
  });
}

function assertCanTurnOff(m: ModuleDef): void {
  if (m.canBeTurnedOff === 'no') {
    throw new SimError('SIM_ERR_POLICY_MODULE_LOCKED', {
      detail: `the data upload of '${m.name}' (${m.id}) cannot be turned off: the notice says "${m.turnOffNote}"`,
    });
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

/**
 * What every policy of one matcher shares: its modules by id, its relations, and the count of the verdicts its
 * policies have made (verdict numbers are the matcher's, so two policies never give one number twice).
 */
interface Model { byId: Map<string, ModuleDef>; rels: CompiledRelations; verdicts: { count: number } }
const models = new WeakMap<object, Model>();
function modelOf(matcher: Matcher): Model {
  let m = models.get(matcher);
  if (!m) {
    m = { byId: new Map(matcher.modules.map((x) => [x.id, x])), rels: compileRelations(matcher.modules), verdicts: { count: 0 } };
    models.set(matcher, m);
  }
  return m;
}

/** Numbers a verdict (its number is the matcher's next) and freezes it: from then on it is shared. */
function share(v: Verdict, counter: { count: number }): Verdict {
  Object.defineProperty(v, VERDICT_NO, { value: counter.count++, enumerable: false, writable: false });
  return Object.freeze(v);
}

/**
 * What applyPolicy counts of a verdict, as one small number: 1 dropped, 2 flagged (else kept), + 4 masked. Kept
 * beside each verdict in its gate's cache: the loop over an event's fields adds numbers from one array instead of
 * reading each verdict's properties (verdicts of several shapes: a property load that is polymorphic).
 */
function codeOf(v: Verdict): number {
  return (v.action === 'drop' ? 1 : v.action === 'flag' ? 2 : 0) + (v.masked !== undefined ? 4 : 0);
}

/** Entries of one gate's verdict cache before it starts over (a matcher numbers each new result it makes). */
const CACHE_MAX = 1 << 18;

/**
 * What happens to the fields of one kind of event (module + sourcetype) under one policy: all dropped, or kept
 * with notes; and the verdicts given so far, by the number the matcher gave each result (a gate belongs to one
 * policy: its cache is that policy's, nothing is kept on the shared results).
 */
interface Gate {
  /** The event's module. */
  readonly module: string | null;
  /** Every field is dropped, for this reason (the module's permission or a requirement is off). */
  readonly drop: string | null;
  /** A note for kept fields of these items (a stand-in), or for all ('*': a feature at risk). */
  readonly notes: Map<string, string> | null;
  /** verdicts[n - base]: the verdict on the matcher's result number n (undefined: not decided yet). */
  verdicts: Array<Verdict | undefined>;
  /** numbers[n - base]: that verdict's number (verdictNumber), where verdicts[n - base] is set. */
  numbers: number[];
  /** codes[n - base]: that verdict's action and masking (codeOf), where verdicts[n - base] is set: what applyPolicy counts. */
  codes: number[];
  base: number;
  /** Results the matcher did not number, or numbered before `base`. */
  others: WeakMap<Classification, Verdict> | null;
  /** The policy's matcher: the cache is indexed by its result numbers (applyPolicy's loop reads the cache itself). */
  readonly matcher: Matcher;
}

function makePolicy(matcher: Matcher, model: Model, disabled: Set<string>, undeclared: UndeclaredPolicy, settings: TenantSettings, secrets: SecretsPolicy): Policy {
  // Verdicts are cached per gate, in an array indexed by the number the matcher gave each result (one load on
  // the hot path); results the matcher did not number fall back to a WeakMap per gate.
  const { byId, rels, verdicts: counter } = model;
  const newGate = (module: string | null, drop: string | null, notes: Map<string, string> | null): Gate =>
    ({ module, drop, notes, verdicts: [], numbers: [], codes: [], base: 0, others: null, matcher });
  const OPEN = newGate(null, null, null);
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
  // condition) → gate: three Map lookups per event, a string built only for an event that meets a condition.
  // Per module, the last few sourcetype strings first (a Recent: an event's sourcetype is a new string, which the
  // Map would hash); a gate depends on nothing else, so one kept there is the one the Map has, or would make
  const gates = new Map<string, { all: Map<string, Gate>; recent: Recent<Gate> }>();
  let gateCount = 0;
  function gateOf(ctx: EventContext | undefined, event?: unknown): Gate {
    if (ctx === undefined || ctx.module === null) return OPEN;
    let byType = gates.get(ctx.module);
    if (byType === undefined) gates.set(ctx.module, (byType = { all: new Map(), recent: new Recent(RECENT_SIZE) }));
    // a field condition of a separate permission (one Map lookup for the modules that have none)
    const matched = separateMatch(ctx.module, ctx.sourcetype, ctx.event !== undefined ? ctx.event : event, rels);
    const st = matched === null ? ctx.sourcetype ?? '' : `${ctx.sourcetype}${matched.key}`;
    const at = byType.recent.find(st);
    if (at !== -1) return byType.recent.values[at];
    let g = byType.all.get(st);
    if (g === undefined) {
      g = computeGate(ctx.module, ctx.sourcetype, matched);
      if (gateCount++ < 4096) byType.all.set(st, g);
    }
    byType.recent.add(st, g);
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
    return drop === null && notes === null ? OPEN : newGate(id, drop, notes);
  }

  function decide(f: Classification, ctx?: EventContext): Verdict {
    return decideIn(f, gateOf(ctx));
  }

  function decideIn(f: Classification, gate: Gate): Verdict {
    const n = resultNumberOf(f, matcher);
    const i = n - gate.base;
    if (n >= 0 && i >= 0) {
      const cache = gate.verdicts;
      if (i < cache.length) {
        const v = cache[i];
        if (v !== undefined) return v;
        return keep(gate, i, verdictOf(f, gate));
      }
      return remember(gate, i, n, verdictOf(f, gate));
    }
    let others = gate.others;
    if (others === null) gate.others = others = new WeakMap();
    let v = others.get(f);
    if (v === undefined) others.set(f, (v = verdictOf(f, gate)));
    return v;
  }

  /** Keeps a verdict at index i of the gate's cache: grown with undefined (a packed array, never sparse), or begun anew at n when full. */
  function remember(gate: Gate, i: number, n: number, v: Verdict): Verdict {
    if (i >= CACHE_MAX) {
      gate.base = n;
      gate.verdicts = [];
      gate.numbers = [];
      gate.codes = [];
      return keep(gate, 0, v);
    }
    const cache = gate.verdicts;
    const numbers = gate.numbers;
    const codes = gate.codes;
    while (cache.length < i) {
      cache.push(undefined);
      numbers.push(-1);
      codes.push(0);
    }
    return keep(gate, i, v);
  }

  /** Sets entry i of the gate's cache (at most one past its end: the arrays stay packed): the verdict, its number and its code. */
  function keep(gate: Gate, i: number, v: Verdict): Verdict {
    gate.verdicts[i] = v;
    gate.numbers[i] = verdictNumber(v);
    gate.codes[i] = codeOf(v);
    return v;
  }

  function verdictOf(f: Classification, gate: Gate): Verdict {
    let v: Verdict;
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
    return share(v, counter);
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

/** A raw key=value text with the values of the given keys replaced by REDACTED (split as the classifier split it). */
function maskKeys(text: string, keys: Set<string>, sourcetype: string | undefined): string {
  let out = '';
  let at = 0;
  for (const p of parseKeyValues(text, sourcetype)) {
    if (!keys.has(p.key)) continue;
    out += `${text.slice(at, p.start)}${p.key}=${REDACTED}`;
    at = p.end;
  }
  return out + text.slice(at);
}

/** FilterResult.fields of a call that counted into a sink: empty, and frozen (one array for every such call). */
const COUNTED = Object.freeze([]) as unknown as Verdict[];

/**
 * Applies the policy to one classified event. `ctx` names the event's module (token's or sourcetype's) and
 * sourcetype: when that module's effective permission is off, nothing of the event is kept (stored as null) and
 * every field says why. With a `sink` the verdicts are handed to it, not listed, and no event is made: what a
 * caller that only counts needs (FilterResult.fields empty, .event undefined; the counts as ever).
 */
export function applyPolicy(policy: Policy, event: unknown, fields: Classification[], ctx?: EventContext, sink?: VerdictSink): FilterResult {
  const gate = policy.gate(ctx, event) as Gate;
  // toward a sink nothing is listed: each verdict is handed over with its number
  const out: Verdict[] = sink === undefined ? new Array(fields.length) : COUNTED;
  let dropped = 0;
  let flagged = 0;
  let masked = 0;
  const owner = gate.matcher;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    // the gate's cache, read here (an array load per field); the policy decides what it has not seen
    const at = resultNumberOf(f, owner) - gate.base;
    let v = at >= 0 ? gate.verdicts[at] : undefined;
    let code: number;
    if (v === undefined) {
      v = policy.decideIn(f, gate);
      code = codeOf(v);
      if (sink !== undefined) sink.addVerdict(v, verdictNumber(v));
    } else {
      code = gate.codes[at];
      if (sink !== undefined) sink.addVerdict(v, gate.numbers[at]);
    }
    if (sink === undefined) out[i] = v;
    dropped += code & 1;
    flagged += (code >> 1) & 1;
    masked += code >> 2;
  }
  if (sink !== undefined) return { event: undefined, fields: COUNTED, dropped, flagged };
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
    // split as the classifier split it: the same sourcetype may declare the format
    else kept = cutKeys(event, parseKeyValues(event, ctx?.sourcetype), drop);
    if (mask !== null && typeof kept === 'string' && kept !== REDACTED) kept = maskKeys(kept, mask, ctx?.sourcetype);
  } else if (event === null || typeof event !== 'object') {
    kept = drop.has('_raw') ? null : mask !== null && mask.has('_raw') ? REDACTED : event;
  } else {
    kept = copyWithout(event, drop, '', mask);
  }
  return { event: kept, fields: out, dropped, flagged };
}
