import type { FieldClass, FilteredField, ModuleDef } from '../classify/types.ts';
import type { Envelope } from '../parse/envelope.ts';
import type { StoreRecord } from '../store/types.ts';

/**
 * The classifier and filter this service builds on (src/classify/index.ts and src/filter/index.ts).
 * Typed structurally here so the service's stages stay Fastify-free pure functions over these.
 */
export interface MatcherLike {
  readonly modules: readonly ModuleDef[];
  resolveModule(idOrName: string): ModuleDef | undefined;
  moduleForSourcetype(sourcetype: string): ModuleDef | undefined;
  classifyEvent(event: unknown, moduleId: string | null): FieldClass[];
}

export interface PolicyLike {
  readonly undeclared: 'keep' | 'flag' | 'drop';
  isUploadAllowed(moduleId: string): boolean;
  withPermission(moduleIdOrName: string, allowed: boolean): PolicyLike;
}

export interface AppliedPolicy {
  event: unknown;
  fields: FilteredField[];
  dropped: number;
  flagged: number;
}

export interface ClassifierDeps {
  matcher: MatcherLike;
  compilePolicy(matcher: MatcherLike, opts: { uploadPermission?: Record<string, boolean>; undeclared?: 'keep' | 'flag' | 'drop' }): PolicyLike;
  applyPolicy(policy: PolicyLike, event: unknown, fields: FieldClass[]): AppliedPolicy;
  /**
   * True for the catalog's own classifier (defaultClassifier): an ingest worker thread builds the same one,
   * so requests may be classified there. Any other classifier (a test's) runs in the event loop.
   */
  readonly inWorkers?: boolean;
  /** Recognizes the filter's PolicyError (code + moduleId). */
  isPolicyError(e: unknown): e is Error & { code: 'SIM_ERR_POLICY_MODULE_LOCKED' | 'SIM_ERR_POLICY_UNKNOWN_MODULE'; moduleId: string };
}

/** Everything of a request that the records of its events share. */
export interface RecordContext {
  receivedAt: number;
  tenant: string;
  /** The token's module id (resolved at boot), or null. */
  tokenModule: string | null;
  endpoint: 'event' | 'raw';
  defaults: { host: string; source: string; sourcetype: string; index: string };
  matcher: MatcherLike;
  policy: PolicyLike;
  apply: ClassifierDeps['applyPolicy'];
}

/**
 * One envelope → one store record: module (token's, else the sourcetype's), per-field classification,
 * then the tenant's policy (upload permissions + undeclared) over the event and its indexed fields.
 */
export function toRecord(env: Envelope, ctx: RecordContext): StoreRecord {
  const sourcetype = env.sourcetype ?? ctx.defaults.sourcetype;
  const module = ctx.tokenModule ?? ctx.matcher.moduleForSourcetype(sourcetype)?.id ?? null;
  const classes = ctx.matcher.classifyEvent(env.event, module);
  const applied = ctx.apply(ctx.policy, env.event, classes);
  let fields: Record<string, unknown> | null = null;
  let classification = applied.fields;
  let dropped = applied.dropped;
  let flagged = applied.flagged;
  if (env.fields !== undefined) {
    const fc = ctx.matcher.classifyEvent(env.fields, module);
    const fa = ctx.apply(ctx.policy, env.fields, fc);
    fields = fa.event as Record<string, unknown>;
    classification = classification.concat(fa.fields.map((f) => ({ ...f, path: `fields.${f.path}` })));
    dropped += fa.dropped;
    flagged += fa.flagged;
  }
  return {
    receivedAt: ctx.receivedAt,
    tenant: ctx.tenant,
    module,
    time: env.time ?? null,
    host: env.host ?? ctx.defaults.host,
    source: env.source ?? ctx.defaults.source,
    sourcetype,
    index: env.index ?? ctx.defaults.index,
    endpoint: ctx.endpoint,
    event: applied.event,
    fields,
    classification,
    dropped,
    flagged,
    // the policy left the event and its fields as parsed: the envelope's canonical text (as received when the
    // parse proved it the same, src/parse/envelope.ts canonicalText) holds exactly what was classified
    envelope: dropped === 0 && applied.event === env.event && (env.fields === undefined || fields === env.fields) ? env.raw : undefined,
  };
}

/** A raw line as an envelope (metadata from the query / token defaults). */
export function rawEnvelope(line: string): Envelope {
  return { time: undefined, host: undefined, source: undefined, sourcetype: undefined, index: undefined, event: line, fields: undefined, raw: undefined };
}
