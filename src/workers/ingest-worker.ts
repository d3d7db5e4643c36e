/**
 * An ingest worker thread: the CPU work of a HEC request beside the event loop. It runs the same ingest()
 * the event loop runs without threads (src/pipeline/ingest/ingest.ts: decode, parse, classify, filter, pack)
 * and posts the batch straight to its region's store on this thread's port to it (the SQLite writer thread;
 * each new verdict's JSON goes once per store, src/store/verdicts.ts); toward a store that only counts (none),
 * it counts instead of packing, and its Counts (src/store/stats.ts FieldTally) go with its reply. The event
 * loop hears only what it needs to answer: how many events went, per-module counts, and the first error (and
 * a counting store's Counts). See pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SimError } from '../errors/sim-error.ts';
import { RawRules } from '../pipeline/parse/linebreak.ts';
import { countsOnly } from '../store/none.ts';
import { countModules, eventsOf, moduleRows, transferOf, type Batch, type ModuleRows } from '../store/packed.ts';
import { FieldTally } from '../store/stats.ts';
import { VerdictList } from '../store/verdicts.ts';
import { Budgets } from '../service/hec/admission.ts';
import { defaultClassifier } from '../pipeline/ingest/classifier.ts';
import { ingest } from '../pipeline/ingest/ingest.ts';
import { verdictNumber } from '../pipeline/filter/index.ts';
import type { PolicyLike } from '../pipeline/ingest/pipeline.ts';
import { POLICY_CACHE, type IngestReply, type PolicySnapshot, type PoolJob, type WorkerInit } from './pool.ts';

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
for (const p of init.policies) policies.set(p.tenant, compile(p));
const budgets = init.budgets ? new Budgets(init.budgets) : null;
const ports = init.ports ?? {};
/** This thread's verdict list toward each region's store (a store that only counts: its tally). */
const lists = new Map<string, VerdictList>();
const tallies = new Map<string, FieldTally>();

/** Policies by their number (PoolJob.policyId), the last POLICY_CACHE sent, oldest first (the pool's slot keeps the same). */
const byId = new Map<number, PolicyLike>();
/** A job's policy: by its number (compiled when the job carries it), else the tenant's. Runs as the job arrives, in order. */
function policyOf(job: PoolJob): PolicyLike | undefined {
  if (job.policyId === undefined) return job.policy ? compile(job.policy) : policies.get(job.tenant);
  if (job.policy === undefined) return byId.get(job.policyId);
  const p = compile(job.policy);
  byId.set(job.policyId, p);
  if (byId.size > POLICY_CACHE) byId.delete(byId.keys().next().value!);
  return p;
}

/** Bodies up to this size are joined in the thread's join buffer; a larger one gets a buffer of its own. */
const JOIN_REUSE_BYTES = 1024 * 1024;
/**
 * Where a body of several chunks is joined: one buffer kept across the thread's jobs, not a new one per request.
 * A new one per request was malloc'd and freed each time; glibc gave the freed top of the thread's heap back to
 * the system and the next request's copy faulted its pages in again (page faults and zeroed pages: 2-3 % of an
 * ingest thread, docs/benchmarks.md). A job holds it until its ingest is done; a job that starts meanwhile
 * joins into a buffer of its own.
 */
let joinBuffer = Buffer.allocUnsafeSlow(0);
let joinHeld = false;
function joinBody(chunks: Uint8Array[]): { body: Uint8Array; held: boolean } {
  if (chunks.length === 1) return { body: chunks[0], held: false };
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  if (joinHeld || n > JOIN_REUSE_BYTES) return { body: Buffer.concat(chunks, n), held: false };
  if (joinBuffer.length < n) joinBuffer = Buffer.allocUnsafeSlow(Math.min(JOIN_REUSE_BYTES, Math.max(n, joinBuffer.length * 2)));
  let at = 0;
  for (const c of chunks) {
    joinBuffer.set(c, at);
    at += c.byteLength;
  }
  joinHeld = true;
  return { body: joinBuffer.subarray(0, n), held: true };
}

/** A job's reply, and the tally whose Counts go with it (taken as the reply is posted, in one step). */
interface Done { reply: IngestReply; tally: FieldTally | null }

async function run(job: PoolJob): Promise<Done> {
  const policy = policyOf(job);
  if (!policy) throw new Error(`no policy for tenant '${job.tenant}' in the ingest worker`);
  const dest = ports[job.region];
  if (dest === undefined) throw new Error(`no port to the store of region '${job.region}' in the ingest worker`);
  const counting = countsOnly(dest);
  let list: VerdictList | undefined;
  let tally: FieldTally | undefined;
  if (counting) {
    tally = tallies.get(job.region);
    if (tally === undefined) tallies.set(job.region, (tally = new FieldTally()));
  } else {
    list = lists.get(job.region);
    if (list === undefined) lists.set(job.region, (list = new VerdictList(verdictNumber)));
  }
  const joined = joinBody(job.body);
  let r: Awaited<ReturnType<typeof ingest>>;
  try {
    r = await ingest({ ...job, body: joined.body, refused: job.refused && SimError.fromWire(job.refused) }, {
      limits: init.limits, rules: rawRules, matcher: classifier.matcher, apply: classifier.applyPolicy, policy, budgets, verdicts: list, tally, text: dest.text,
    });
  } finally {
    if (joined.held) joinHeld = false;
  }
  let modules: ModuleRows = [];
  let error = r.error;
  let events = 0;
  if (r.counted !== null) {
    modules = r.counted;
    events = eventsOf(modules);
  } else if (r.batch !== null) {
    const b: Batch = { ...r.batch, seq: job.seq };
    modules = moduleRows(countModules(b, new Map()));
    try {
      dest.port.postMessage(b, transferOf(b));
      events = b.events;
    } catch (err) {
      // a batch that cannot be copied: answer the request with the error rather than never; the store has
      // not seen this batch's new verdicts, so the list starts again
      lists.delete(job.region);
      modules.length = 0;
      error = new SimError('SIM_ERR_HEC_INTERNAL', { detail: `ingest worker: ${(err as Error).message}` });
    }
  }
  const reply: IngestReply = { id: job.id, events, modules, error: error === null ? null : SimError.from(error).toWire(), ...(r.w3cFields && { w3cFields: r.w3cFields }) };
  return { reply, tally: r.counted !== null ? tally! : null };
}

parentPort!.on('message', (msg: PoolJob | { policy: PolicySnapshot }) => {
  if (!('id' in msg)) return void policies.set(msg.policy.tenant, compile(msg.policy));
  // every job is answered, whatever fails (a job left unanswered would hold its request open)
  run(msg).then(({ reply, tally }) => {
    if (tally === null) return void parentPort!.postMessage(reply);
    // a store that only counts: its Counts go with the reply, taken and posted in one step, so that the store
    // hears of a slot before any count of it (src/store/stats.ts FieldTally), and the event loop gets one message
    const counts = (reply.counts = tally.take(msg.seq));
    parentPort!.postMessage(reply, [counts.cells.buffer as ArrayBuffer]);
  }, (err: unknown) => {
    parentPort!.postMessage({ id: msg.id, events: 0, modules: [], error: SimError.from(err).toWire() } satisfies IngestReply);
  });
});
