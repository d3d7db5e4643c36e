/**
 * An ingest worker thread: the CPU work of a HEC request beside the event loop. It takes a request's body
 * bytes and context, and does what the event loop would otherwise do: decode (gunzip, UTF-8), parse (HEC
 * envelopes or raw lines), classify and filter every event with the catalog's compiled matcher and the
 * tenant's policy. It answers with the records packed (src/store/packed.ts), their verdicts as indices into
 * a list this thread keeps (each new verdict's JSON is sent once), and the first error, if any. See pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isSimError } from '../errors/sim-error.ts';
import { decodeBody } from '../pipeline/parse/body.ts';
import { parseEventBatch } from '../pipeline/parse/envelope.ts';
import { RawRules } from '../pipeline/parse/linebreak.ts';
import { rawEvents } from '../pipeline/parse/raw.ts';
import { packRecords } from '../store/packed.ts';
import { VerdictIds } from '../store/verdict-ids.ts';
import type { StoreRecord } from '../store/types.ts';
import { Budgets, checkRawEvents, DECODED, Hold } from '../service/hec/admission.ts';
import { defaultClassifier } from '../pipeline/ingest/classifier.ts';
import { rawEnvelope, toRecord, type PolicyLike, type RecordContext } from '../pipeline/ingest/pipeline.ts';
import type { IngestJob, IngestReply, PolicySnapshot, WorkerInit } from './pool.ts';

const init = workerData as WorkerInit;
const classifier = defaultClassifier();
const rawRules = new RawRules(init.sourcetypes);
const policies = new Map<string, PolicyLike>();
/** Compiled policies by their snapshot's JSON: a job carries the policy of its arrival (few distinct ones). */
const compiled = new Map<string, PolicyLike>();
function compile(p: PolicySnapshot): PolicyLike {
  const key = JSON.stringify(p);
  let c = compiled.get(key);
  if (c === undefined) {
    if (compiled.size >= 256) compiled.clear();
    // every option the snapshot carries besides the tenant and the disabled list goes to compilePolicy as it is
    const { tenant: _tenant, disabled, ...options } = p;
    c = classifier.compilePolicy(classifier.matcher, { ...options, uploadPermission: Object.fromEntries(disabled.map((id) => [id, false])) });
    compiled.set(key, c);
  }
  return c;
}
function setPolicy(p: PolicySnapshot): void {
  policies.set(p.tenant, compile(p));
}
for (const p of init.policies) setPolicy(p);
const budgets = init.budgets ? new Budgets(init.budgets) : null;

/**
 * This thread's verdict list: each new verdict's JSON goes with the next reply (`fresh`). Every distinct field
 * name makes a verdict, so the list is bounded: past MAX_VERDICTS it starts again from 0, and the reply that
 * uses the new list says so (`reset`), for the main thread to start its copy again too.
 */
const MAX_VERDICTS = 50_000;
let fresh: Array<number | string> = [];
const newVerdictIds = () => new VerdictIds(0, (i, json) => fresh.push(i, json));
let verdictIds = newVerdictIds();

async function run(job: IngestJob): Promise<IngestReply> {
  let records: StoreRecord[] = [];
  let error: IngestReply['error'] = null;
  const hold = budgets ? new Hold(budgets, DECODED) : undefined;
  try {
    const text = await decodeBody(Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength), job.encoding, init.limits, hold);
    const policy = job.policy ? compile(job.policy) : policies.get(job.tenant);
    if (!policy) throw new Error(`no policy for tenant '${job.tenant}' in the ingest worker`);
    const ctx: RecordContext = {
      receivedAt: job.receivedAt, tenant: job.tenant, tokenModule: job.tokenModule, endpoint: job.kind, defaults: job.defaults,
      rules: rawRules, matcher: classifier.matcher, policy, apply: classifier.applyPolicy,
    };
    if (job.kind === 'event') {
      const r = parseEventBatch(text, init.limits, { allowedIndexes: job.allowedIndexes, defaultIndex: job.defaults.index });
      records = r.events.map((e) => toRecord(e, ctx));
      if (r.error) throw r.error;
    } else {
      if (init.limits.maxEventsPerRequest !== undefined) checkRawEvents(text, init.limits.maxEventsPerRequest);
      records = rawEvents(text, rawRules.get(job.defaults.sourcetype), init.limits.rawTruncate, job.receivedAt).map((e) => toRecord(rawEnvelope(e), ctx));
    }
  } catch (err) {
    error = isSimError(err)
      ? { code: err.code, detail: err.detail, invalidEventNumber: err.invalidEventNumber }
      : internal(err);
  } finally {
    hold?.release();
  }
  let reset = false;
  if (records.length > 0 && verdictIds.size >= MAX_VERDICTS) {
    verdictIds = newVerdictIds();
    reset = true;
  }
  const batch = records.length > 0 ? packRecords(records, (f) => verdictIds.of(f)) : null;
  const out: IngestReply = { id: job.id, batch, fresh, error, ...(reset ? { reset } : {}) };
  fresh = [];
  return out;
}

function send(out: IngestReply): void {
  const b = out.batch;
  try {
    parentPort!.postMessage(out, b ? [b.refsOf.buffer, b.lens.buffer, b.nums.buffer, b.verdicts.buffer, b.idCounts.buffer] as ArrayBuffer[] : []);
  } catch (err) {
    // a batch that cannot be copied: answer the request with the error rather than never
    parentPort!.postMessage({ id: out.id, batch: null, fresh: out.fresh, error: internal(err) } satisfies IngestReply);
  }
}

function internal(err: unknown): NonNullable<IngestReply['error']> {
  return { code: 'SIM_ERR_HEC_INTERNAL', detail: `ingest worker: ${(err as Error)?.message ?? String(err)}` };
}

parentPort!.on('message', (msg: IngestJob | { policy: PolicySnapshot }) => {
  if (!('id' in msg)) return setPolicy(msg.policy);
  // every job is answered, whatever fails (a job left unanswered would hold its request open)
  run(msg).then(send, (err: unknown) => {
    const out: IngestReply = { id: msg.id, batch: null, fresh, error: internal(err) };
    fresh = [];
    send(out);
  });
});
