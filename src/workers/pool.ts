import type { Worker } from 'node:worker_threads';
import { spawnWorker } from './spawn.ts';
import type { SimConfig, UndeclaredPolicyName } from '../config/config.ts';
import { SimError, type SimErrorWire } from '../errors/sim-error.ts';
import type { IngestContext, IngestJob } from '../pipeline/ingest/ingest.ts';
import { countsOnly } from '../store/none.ts';
import { moduleCountsOf, type ModuleCounts, type ModuleRows } from '../store/packed.ts';
import type { Counts } from '../store/stats.ts';
import type { StorePort } from '../store/types.ts';
import type { BudgetInit } from '../service/hec/admission.ts';
import type { ClassifierDeps, PolicyLike, PolicyOptionsLike, RecordContext } from '../pipeline/ingest/pipeline.ts';

/** A tenant's policy as a worker rebuilds it: the modules whose upload permission is off. */
export interface PolicySnapshot {
  tenant: string;
  disabled: string[];
  undeclared: UndeclaredPolicyName;
  /** Tenant settings and the secrets policy (src/pipeline/filter PolicyOptions), when the policy has them. */
  settings?: PolicyOptionsLike['settings'];
  secrets?: PolicyOptionsLike['secrets'];
}

/** A tenant's policy as an ingest worker rebuilds it. */
export function policySnapshot(classifier: ClassifierDeps, tenant: string, p: PolicyLike): PolicySnapshot {
  const o = p.options?.();
  return {
    tenant, disabled: classifier.matcher.modules.filter((m) => !p.isUploadAllowed(m.id)).map((m) => m.id), undeclared: p.undeclared,
    ...(o ? { settings: o.settings, secrets: o.secrets } : {}),
  };
}

const snapshots = new WeakMap<PolicyLike, PolicySnapshot>();
/** policySnapshot, made once per policy object (a policy is replaced, never changed, when a permission changes). */
export function snapshotOf(classifier: ClassifierDeps, tenant: string, p: PolicyLike): PolicySnapshot {
  let s = snapshots.get(p);
  if (s === undefined || s.tenant !== tenant) snapshots.set(p, (s = policySnapshot(classifier, tenant, p)));
  return s;
}

export interface WorkerInit {
  limits: IngestContext['limits'];
  policies: PolicySnapshot[];
  /** The config's sourcetype rules for /raw (src/pipeline/parse/linebreak.ts), over the built-in table. */
  sourcetypes?: SimConfig['sourcetypes'];
  /** The global decoded-bytes budget shared with the event loop (src/service/hec/admission.ts), if any. */
  budgets?: BudgetInit;
  /** Per region, the thread's port to that region's store (its batches go there, not to the event loop). */
  ports?: Record<string, StorePort>;
}

/** One request's job in a thread: ingest's job, and the store request it is for. */
export interface PoolJob extends Omit<IngestJob, 'body' | 'refused'> {
  id: number;
  /** The body's bytes as the chunks they arrived in (the thread joins them). */
  body: Uint8Array[];
  /** The region whose store takes the batch, and the request's number there (RegionStore.admit). */
  region: string;
  seq: number;
  /** The tenant's policy when the request arrived (what the README promises), whatever changes while it waits. */
  policy?: PolicySnapshot;
  refused?: SimErrorWire;
  /**
   * The policy's number (IngestPool numbers each snapshot object): a thread keeps the last POLICY_CACHE policies
   * it was sent, compiled, by number, so `policy` goes to a thread only with the first job that names it, not
   * cloned, stringified and looked up with every job.
   */
  policyId?: number;
}

/** How many policies, by number, a thread keeps compiled (the oldest goes first, in the thread and in its slot alike). */
export const POLICY_CACHE = 64;

/** A thread's answer: what the event loop needs to answer the request, never the batch nor a verdict. */
export interface IngestReply {
  id: number;
  /** Events posted to the store (0: none, nothing was posted). */
  events: number;
  /** Per module: [module ('' = none), events, dropped fields, flagged fields, ...]. */
  modules: ModuleRows;
  /** The first error (the events before it went to the store, as HEC stores a bad batch's good prefix). */
  error: SimErrorWire | null;
  /** /raw: the latest W3C `#Fields:` directive of the request (Ingested.w3cFields). */
  w3cFields?: readonly string[];
  /**
   * Toward a store that only counts (the none store): what the thread counted for it, taken as this reply was
   * posted; the pool hands it to the store (CountingPort.add) before the request hears its answer. Absent else.
   */
  counts?: Counts;
}

export interface IngestResult {
  events: number;
  modules: ModuleCounts;
  error: SimError | null;
  w3cFields?: readonly string[];
}

interface Slot {
  worker: Worker;
  jobs: Map<number, { resolve: (r: IngestResult) => void; reject: (e: Error) => void; region: string }>;
  /** Per region whose store only counts: where the thread's Counts go, in the order its replies arrive. */
  counting: Map<string, (c: Counts) => void>;
  dead: boolean;
  /** The policy numbers the thread holds (sent to it and not yet evicted), oldest first: as the thread's own cache. */
  policies: Set<number>;
}

/**
 * Ingest worker threads (ingest-worker.ts): each request's decode, parse, classification, filtering and
 * packing (src/pipeline/ingest ingest) run in one of them, and the batch goes from there straight to the
 * region's store on the thread's own port (the SQLite writer thread), so that the event loop only does HTTP,
 * routing and the store's bookkeeping, and a machine's other cores do the rest. Started by warm() (the service calls it once listening) or as jobs need them; a job goes to
 * the thread with the fewest jobs waiting.
 * A thread that dies fails its waiting jobs (HEC 500 code 8) and is replaced by the next job.
 */
export class IngestPool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;
  /** Each policy snapshot's number (a snapshot is made once per policy object: snapshotOf). */
  private readonly policyIds = new WeakMap<PolicySnapshot, number>();
  private nextPolicyId = 0;

  /**
   * `init` is read when a thread starts, so a late thread gets the policies as they are then; `onFail` hears of
   * each thread that fails or exits (a thread that cannot even start would otherwise show only in 500s).
   */
  constructor(
    readonly size: number, private readonly init: () => WorkerInit, private readonly onFail: (why: string) => void = () => {},
    /** Each new thread's ports to the stores, by region (RegionStore.connect). */
    private readonly connect: () => Record<string, StorePort> = () => ({}),
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`an ingest pool needs at least one thread, not ${size}`);
  }

  /** Threads running now. */
  get threads(): number {
    return this.slots.length;
  }

  /** Requests in the threads now (being handled or waiting). */
  get jobs(): number {
    let n = 0;
    for (const s of this.slots) n += s.jobs.size;
    return n;
  }

  run(job: Omit<PoolJob, 'id' | 'body' | 'policyId'>, body: readonly Uint8Array[] | undefined): Promise<IngestResult> {
    if (this.closed) return Promise.reject(new SimError('SIM_ERR_HEC_SHUTTING_DOWN'));
    const slot = this.pick();
    const id = ++this.nextId;
    // each chunk's bytes move to the thread without a copy when the chunk owns its memory (as Node's HTTP parser
    // gives a body's chunks: src/service/hec/body-chunks.ts); a view into shared memory is copied
    const bytes: Uint8Array[] = [];
    const moved: ArrayBuffer[] = [];
    for (const c of body ?? []) {
      const own = c.byteOffset === 0 && c.byteLength === c.buffer.byteLength && c.buffer instanceof ArrayBuffer;
      const b = own ? new Uint8Array(c.buffer as ArrayBuffer) : new Uint8Array(c);
      bytes.push(b);
      moved.push(b.buffer as ArrayBuffer);
    }
    const { policy, ...rest } = job;
    const msg: PoolJob = { ...rest, id, body: bytes };
    if (policy !== undefined) {
      let pid = this.policyIds.get(policy);
      if (pid === undefined) this.policyIds.set(policy, (pid = ++this.nextPolicyId));
      msg.policyId = pid;
      if (!slot.policies.has(pid)) {
        // the thread's first job under this policy carries it; the thread evicts its oldest as this does
        msg.policy = policy;
        slot.policies.add(pid);
        if (slot.policies.size > POLICY_CACHE) slot.policies.delete(slot.policies.values().next().value!);
      }
    }
    return new Promise<IngestResult>((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject, region: job.region });
      slot.worker.postMessage(msg, moved);
    });
  }

  /** Starts every thread now (a thread takes about 0.4 s to load the catalog), so the first requests need not wait. */
  warm(): void {
    while (!this.closed && this.slots.length < this.size) this.start();
  }

  /** A tenant's policy changed: every thread takes it before any job sent after this call. */
  setPolicy(p: PolicySnapshot): void {
    for (const s of this.slots) s.worker.postMessage({ policy: p });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.splice(0).map((s) => {
      s.dead = true;
      for (const j of s.jobs.values()) j.reject(new SimError('SIM_ERR_HEC_SHUTTING_DOWN'));
      s.jobs.clear();
      return s.worker.terminate();
    }));
  }

  private pick(): Slot {
    let best: Slot | undefined;
    for (const s of this.slots) if (best === undefined || s.jobs.size < best.jobs.size) best = s;
    if (best !== undefined && (best.jobs.size === 0 || this.slots.length >= this.size)) return best;
    return this.start();
  }

  private start(): Slot {
    const ports = this.connect();
    const counting = new Map<string, (c: Counts) => void>();
    for (const [region, p] of Object.entries(ports)) {
      if (!countsOnly(p)) continue;
      // the thread's Counts come with its replies (one message per request); the function stays here
      counting.set(region, p.add);
      ports[region] = { port: p.port, text: p.text, counts: true } as StorePort;
    }
    const worker = spawnWorker('./ingest-worker', import.meta.url, {
      workerData: { ...this.init(), ports } satisfies WorkerInit, transferList: Object.values(ports).map((p) => p.port),
    });
    const slot: Slot = { worker, jobs: new Map(), counting, dead: false, policies: new Set() };
    worker.on('message', (m: IngestReply) => {
      const job = slot.jobs.get(m.id);
      if (!job) return;
      slot.jobs.delete(m.id);
      // counted for the store first (in the order the thread took them), then the request hears its answer
      if (m.counts !== undefined) slot.counting.get(job.region)?.(m.counts);
      job.resolve({ events: m.events, modules: moduleCountsOf(m.modules), error: m.error === null ? null : SimError.fromWire(m.error), w3cFields: m.w3cFields });
    });
    const fail = (why: string) => {
      if (slot.dead) return;
      slot.dead = true;
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      for (const j of slot.jobs.values()) j.reject(new SimError('SIM_ERR_HEC_INTERNAL', { detail: `an ingest worker thread ${why}` }));
      slot.jobs.clear();
      this.onFail(`an ingest worker thread ${why}`);
    };
    worker.on('error', (err) => fail(`failed: ${err.message}`));
    worker.on('exit', (code) => fail(`exited (code ${code})`));
    this.slots.push(slot);
    return slot;
  }
}
