import type { Limits } from '../../config/config.ts';
import { isSimError, SimError } from '../../errors/sim-error.ts';
import { Budgets, checkRawEvents, DECODED, Hold } from '../../service/hec/admission.ts';
import { decodeBody } from '../parse/body.ts';
import { parseEventBatch } from '../parse/envelope.ts';
import type { RawRules } from '../parse/linebreak.ts';
import { rawEvents } from '../parse/raw.ts';
import { W3cCarry, type W3cFields } from '../parse/w3c-streams.ts';
import { packRecords, type Batch, type ModuleRows } from '../../store/packed.ts';
import type { FieldTally } from '../../store/stats.ts';
import type { StoreRecord } from '../../store/types.ts';
import type { VerdictList } from '../../store/verdicts.ts';
import { countRecord, rawEnvelope, toRecord, type ClassifierDeps, type PolicyLike, type RecordContext } from './pipeline.ts';

/** One request's work: its body and what its records take from the request (RecordContext). */
export interface IngestJob {
  kind: 'event' | 'raw';
  body: Uint8Array | undefined;
  encoding: string | undefined;
  receivedAt: number;
  tenant: string;
  tokenModule: string | null;
  defaults: RecordContext['defaults'];
  /** The indexes an event may name (the token's, else those that exist). */
  allowedIndexes: string[] | null;
  /** /raw: the query's index is refused (checked after the body is decoded: a body's own errors come first). */
  refused?: SimError;
  /** /raw: the stream's W3C `#Fields:` directive when the request arrived (src/pipeline/parse/w3c-streams.ts). */
  w3cFields?: W3cFields | null;
}

/** What ingest runs with: the limits, the classifier, the tenant's policy, and the verdict list of the batch's store. */
export interface IngestContext {
  limits: Pick<Limits, 'maxDepth' | 'maxEventBytes' | 'maxDecompressedBytes' | 'rawTruncate'> & Partial<Pick<Limits, 'maxEventsPerRequest'>>;
  rules: RawRules;
  matcher: ClassifierDeps['matcher'];
  apply: ClassifierDeps['applyPolicy'];
  policy: PolicyLike;
  /** The global decoded-bytes budget (src/service/hec/admission.ts), if any. */
  budgets: Budgets | null;
  /** The producer's verdict list toward the store the batch goes to (src/store/verdicts.ts); not with `tally`. */
  verdicts?: VerdictList;
  /**
   * Toward a store that only counts (the none store): the producer's tally (src/store/stats.ts FieldTally). The
   * records are counted into it, not packed; the caller takes the tally's Counts for the store in the same
   * synchronous step as it hands them over, so that the store hears of each slot before a count of it.
   */
  tally?: FieldTally;
  /** Whether the store keeps the events' texts (the none store does not: they are left out). */
  text?: boolean;
}

export interface Ingested {
  /** The records packed for the store (without its `seq`), or null when there are none. */
  batch: Omit<Batch, 'seq'> | null;
  /**
   * With `tally`: the records counted into it, per module ([module ('' = none), events, dropped fields, flagged
   * fields, ...]), or null when there are none; null without a tally.
   */
  counted: ModuleRows | null;
  /** The first error; the records before it are in `batch` (or `counted`), as HEC stores a bad batch's good prefix. */
  error: SimError | null;
  /** /raw: the latest W3C `#Fields:` directive the request held, for the stream's next request; undefined: none. */
  w3cFields?: W3cFields;
}

/**
 * A request's body → the batch its store appends: decode (gunzip, UTF-8), parse (HEC envelopes or raw
 * lines), classify, filter by the tenant's policy, pack (or, toward a store that only counts, count). Pure
 * but for the verdict list it numbers verdicts in (or the tally it counts in): the event loop runs it
 * (ingest.workers 0, or a test's classifier) and so does an ingest worker thread, the same function either way.
 */
export async function ingest(job: IngestJob, ctx: IngestContext): Promise<Ingested> {
  let records: StoreRecord[] = [];
  // toward a store that only counts: each envelope counted as it is classified (countRecord), no records made
  const tally = ctx.tally;
  let counted = 0;
  let error: SimError | null = null;
  let w3c: W3cCarry | undefined;
  const hold = ctx.budgets ? new Hold(ctx.budgets, DECODED) : undefined;
  try {
    const body = job.body === undefined ? undefined : Buffer.isBuffer(job.body) ? job.body : Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
    const text = await decodeBody(body, job.encoding, ctx.limits, hold);
    // from here to tally.end() nothing waits: requests sharing the tally count one after another
    tally?.begin();
    const rc: RecordContext = {
      receivedAt: job.receivedAt, tenant: job.tenant, tokenModule: job.tokenModule, endpoint: job.kind, defaults: job.defaults,
      rules: ctx.rules, matcher: ctx.matcher, policy: ctx.policy, apply: ctx.apply,
    };
    if (job.kind === 'event') {
      // a store that keeps no text needs no envelope text (packRecords leaves it out)
      const r = parseEventBatch(text, ctx.limits, { allowedIndexes: job.allowedIndexes, defaultIndex: job.defaults.index, canonical: ctx.text ?? true });
      if (tally !== undefined) for (; counted < r.events.length; counted++) countRecord(r.events[counted], rc, tally);
      else records = r.events.map((e) => toRecord(e, rc));
      if (r.error) throw r.error;
    } else {
      if (job.refused) throw job.refused;
      if (ctx.limits.maxEventsPerRequest !== undefined) checkRawEvents(text, ctx.limits.maxEventsPerRequest);
      const carry = (w3c = new W3cCarry(job.w3cFields, job.defaults.sourcetype));
      const raws = rawEvents(text, ctx.rules.get(job.defaults.sourcetype), ctx.limits.rawTruncate, job.receivedAt);
      if (tally !== undefined) for (; counted < raws.length; counted++) countRecord(carry.envelope(rawEnvelope(raws[counted])), rc, tally);
      else records = raws.map((e) => toRecord(carry.envelope(rawEnvelope(e)), rc));
    }
  } catch (err) {
    error = isSimError(err) ? err : new SimError('SIM_ERR_HEC_INTERNAL', { detail: `ingest: ${(err as Error)?.message ?? String(err)}`, cause: err });
  } finally {
    hold?.release();
  }
  const w3cFields = w3c?.latest;
  if (tally !== undefined) {
    const own = tally.end();
    return { batch: null, counted: counted === 0 ? null : own, error, w3cFields };
  }
  if (records.length === 0) return { batch: null, counted: null, error, w3cFields };
  const list = ctx.verdicts;
  if (list === undefined) throw new Error('ingest: a verdict list or a tally is needed');
  list.begin();
  const packed = packRecords(records, list.number, ctx.text ?? true);
  return { batch: { ...packed, ...list.end() }, counted: null, error, w3cFields };
}
