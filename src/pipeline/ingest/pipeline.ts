import type { Matcher } from '../classify/compile.ts';
import type { Classification, Verdict } from '../classify/types.ts';
import type { Policy, PolicyOptions, VerdictSink } from '../filter/index.ts';
import type { Envelope } from '../parse/envelope.ts';
import { extractTime, inRange, RawRules, type RawEvent } from '../parse/linebreak.ts';
import { epochSeconds } from '../parse/timestamp.ts';
import type { FieldTally } from '../../store/stats.ts';
import type { StoreRecord } from '../../store/types.ts';

/**
 * The parts of the classifier and the filter (src/pipeline/classify compileMatcher, src/pipeline/filter
 * compilePolicy) this service's stages use, taken from their own types: the service runs on the catalog's
 * classifier, and a test may give a smaller one of the same shape (tests/helpers/service.ts).
 */
export type MatcherLike = Pick<Matcher, 'modules' | 'resolveModule' | 'moduleForSourcetype' | 'classifyEvent'>;

/** A tenant policy as the service uses it: the filter's Policy, of which a test's may have only this part. */
export type PolicyLike = Pick<Policy, 'undeclared' | 'isUploadAllowed'> & {
  withPermission(moduleIdOrName: string, allowed: boolean): PolicyLike;
  /** The options that rebuild it (the filter's policies have them; a test's may not). */
  options?(): PolicyOptionsLike;
};

/** What compilePolicy takes: the filter's PolicyOptions. */
export type PolicyOptionsLike = PolicyOptions;

export interface AppliedPolicy {
  event: unknown;
  fields: Verdict[];
  dropped: number;
  flagged: number;
}

export interface ClassifierDeps {
  matcher: MatcherLike;
  compilePolicy(matcher: MatcherLike, opts: PolicyOptionsLike): PolicyLike;
  /** `ctx`: the event's module and sourcetype (a permission is for the whole source). */
  /**
   * `sink`: the caller only counts; each field's verdict and its number go to the sink (the filter's VerdictSink),
   * AppliedPolicy.fields is empty and no filtered event is made (.event undefined).
   */
  applyPolicy(policy: PolicyLike, event: unknown, fields: Classification[], ctx?: { module: string | null; sourcetype?: string }, sink?: VerdictSink): AppliedPolicy;
  /**
   * True for the catalog's own classifier (defaultClassifier): an ingest worker thread builds the same one,
   * so requests may be classified there. Any other classifier (a test's) runs in the event loop.
   */
  readonly inWorkers?: boolean;
  /** Recognizes the filter's refusal of a permission (a SimError with a SIM_ERR_POLICY_* code; its detail names the module). */
  isPolicyError(e: unknown): e is Error & { code: 'SIM_ERR_POLICY_MODULE_LOCKED' | 'SIM_ERR_POLICY_UNKNOWN_MODULE' | 'SIM_ERR_POLICY_AMBIGUOUS_MODULE' };
}

/** Everything of a request that the records of its events share. */
export interface RecordContext {
  receivedAt: number;
  tenant: string;
  /** The token's module id (resolved at boot), or null. */
  tokenModule: string | null;
  endpoint: 'event' | 'raw';
  /**
   * What the query and the token give every event. `time`: the query's `time` (epoch, any unit), for events
   * whose envelope or text gives none; `autoExtractTime`: /event's `?auto_extract_timestamp=true` (off when
   * the query has `time`, as Splunk documents).
   */
  defaults: { host: string; source: string; sourcetype: string; index: string; time?: number; autoExtractTime?: boolean };
  /** The sourcetype rules (timestamp settings for auto_extract_timestamp); absent: Splunk's [default]. */
  rules?: RawRules;
  matcher: MatcherLike;
  policy: PolicyLike;
  apply: ClassifierDeps['applyPolicy'];
}

/**
 * One envelope → one store record: module (token's, else the sourcetype's), per-field classification,
 * then the tenant's policy (upload permissions + undeclared) over the event and its indexed fields.
 */
export function toRecord(env: Envelope, ctx: RecordContext): StoreRecord {
  const gate = eventGate(env, ctx);
  const { module, sourcetype } = gate;
  const classes = ctx.matcher.classifyEvent(env.event, module, sourcetype);
  const applied = ctx.apply(ctx.policy, env.event, classes, gate);
  let fields: Record<string, unknown> | null = null;
  let verdicts = applied.fields;
  let dropped = applied.dropped;
  let flagged = applied.flagged;
  if (env.fields !== undefined) {
    const fc = ctx.matcher.classifyEvent(env.fields, module);
    const fa = ctx.apply(ctx.policy, env.fields, fc, gate);
    fields = fa.event as Record<string, unknown>;
    verdicts = verdicts.concat(fa.fields.map((f) => ({ ...f, path: `fields.${f.path}` })));
    dropped += fa.dropped;
    flagged += fa.flagged;
  }
  return {
    receivedAt: ctx.receivedAt,
    tenant: ctx.tenant,
    module,
    time: eventTime(env, sourcetype, ctx),
    host: env.host ?? ctx.defaults.host,
    source: env.source ?? ctx.defaults.source,
    sourcetype,
    index: env.index ?? ctx.defaults.index,
    endpoint: ctx.endpoint,
    event: applied.event,
    fields,
    verdicts,
    dropped,
    flagged,
    // the policy left the event and its fields as parsed: the envelope's canonical text (as received when the
    // parse proved it the same, src/pipeline/parse/envelope.ts canonicalText) holds exactly what was classified
    envelope: dropped === 0 && applied.event === env.event && (env.fields === undefined || fields === env.fields) ? env.raw : undefined,
  };
}

/**
 * One envelope counted into a tally (toward a store that only counts, the none store), as toRecord would
 * classify and filter it, without making its record: its module, dropped and flagged fields, and each field's
 * verdict with its number as the filter hands it over (the tally is applyPolicy's sink, src/store/stats.ts
 * FieldTally). Indexed fields are counted as toRecord lists them (their paths do not count).
 */
export function countRecord(env: Envelope, ctx: RecordContext, tally: FieldTally): void {
  const gate = eventGate(env, ctx);
  const module = gate.module;
  const classes = ctx.matcher.classifyEvent(env.event, module, gate.sourcetype);
  // counts only: each verdict goes to the tally as the filter reads it, no verdict list and no filtered copy made
  const applied = ctx.apply(ctx.policy, env.event, classes, gate, tally);
  let dropped = applied.dropped;
  let flagged = applied.flagged;
  if (env.fields !== undefined) {
    const fa = ctx.apply(ctx.policy, env.fields, ctx.matcher.classifyEvent(env.fields, module), gate, tally);
    dropped += fa.dropped;
    flagged += fa.flagged;
  }
  tally.addEvent(module ?? '', dropped, flagged);
}

/**
 * What the filter decides an envelope's fields under (its gate's context): the envelope's sourcetype (else the
 * request's), its module (the token's, else the sourcetype's), and the event itself, so that its indexed fields
 * follow the event's gate (a separate permission by field value). toRecord and countRecord both start from it.
 */
function eventGate(env: Envelope, ctx: RecordContext): { module: string | null; sourcetype: string; event: unknown } {
  const sourcetype = env.sourcetype ?? ctx.defaults.sourcetype;
  return { module: ctx.tokenModule ?? ctx.matcher.moduleForSourcetype(sourcetype)?.id ?? null, sourcetype, event: env.event };
}

const SPLUNK_DEFAULTS = new RawRules();

/**
 * An event's time in epoch seconds: the envelope's (or the raw text's) `time` in any unit (epochSeconds), else
 * with auto_extract_timestamp the timestamp in the event's text (the JSON text for an object event, as Splunk's
 * _raw is), else the query's `time`, else null (the receive time applies).
 */
function eventTime(env: Envelope, sourcetype: string, ctx: RecordContext): number | null {
  if (env.time !== undefined) return epochSeconds(env.time);
  const d = ctx.defaults;
  if (d.autoExtractTime === true && env.event !== undefined) {
    const rule = (ctx.rules ?? SPLUNK_DEFAULTS).get(sourcetype);
    const text = typeof env.event === 'string' ? env.event : JSON.stringify(env.event);
    const t = extractTime(text, rule, ctx.receivedAt);
    if (t !== undefined && inRange(t, rule, ctx.receivedAt)) return t;
  }
  return d.time === undefined ? null : epochSeconds(d.time);
}

/** A raw event as an envelope: its text, and the time and host its text gave (else the query / token defaults). */
export function rawEnvelope(e: RawEvent | string): Envelope {
  if (typeof e === 'string') return { time: undefined, host: undefined, source: undefined, sourcetype: undefined, index: undefined, event: e, fields: undefined, raw: undefined };
  return { time: e.time, host: e.host, source: undefined, sourcetype: undefined, index: undefined, event: e.text, fields: undefined, raw: undefined };
}
