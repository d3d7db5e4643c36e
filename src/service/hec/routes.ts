import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hecBody, SimError } from '../../errors/sim-error.ts';
import { decodeBody, decompressBody } from '../../pipeline/parse/body.ts';
import { rawRulesFor } from '../../pipeline/parse/linebreak.ts';
import { NoneStore } from '../../store/none.ts';
import { countModules, eventsOf, moduleCountsOf, type ModuleCounts } from '../../store/packed.ts';
import { FieldTally } from '../../store/stats.ts';
import type { Committed, RegionStore } from '../../store/types.ts';
import { VerdictList } from '../../store/verdicts.ts';
import type { RecordContext } from '../../pipeline/ingest/pipeline.ts';
import { ingest, type IngestJob } from '../../pipeline/ingest/ingest.ts';
import { W3cStreams, w3cStreamKey, type W3cFields } from '../../pipeline/parse/w3c-streams.ts';
import { verdictNumber } from '../../pipeline/filter/index.ts';
import { DECODED, Hold } from './admission.ts';
import { chunksLength, joinChunks, type BodyChunks } from './body-chunks.ts';
import { HEC_JSON } from './client-error.ts';
import { q1, type Query } from './on-request.ts';
import { snapshotOf, type IngestResult, type PoolJob } from '../../workers/pool.ts';
import type { HecContext, RegionRuntime, SimState } from '../state.ts';

const EPOCH_QUERY = /^\s*\d+(\.\d*)?\s*$/;

function recordContext(sim: SimState, req: FastifyRequest, hec: HecContext, endpoint: 'event' | 'raw'): RecordContext {
  const t = hec.token!;
  const policy = hec.policy ?? sim.policies.get(t.tenant)!;
  // ?time= (epoch) for events that give none; on /event it turns ?auto_extract_timestamp=true off (Splunk's docs)
  const qt = q1(req, 'time');
  const time = qt !== undefined && EPOCH_QUERY.test(qt) ? Number(qt) : undefined;
  return {
    receivedAt: Date.now(),
    tenant: t.tenant,
    tokenModule: sim.tokenModules.get(t) ?? null,
    endpoint,
    defaults: {
      host: q1(req, 'host') ?? t.defaults?.host ?? req.ip,
      source: q1(req, 'source') ?? t.defaults?.source ?? `http:${t.name ?? t.tenant}`,
      sourcetype: q1(req, 'sourcetype') ?? t.defaults?.sourcetype ?? 'httpevent',
      index: q1(req, 'index') ?? t.defaults?.index ?? 'main',
      ...(time !== undefined ? { time } : {}),
      ...(endpoint === 'event' && qt === undefined && q1(req, 'auto_extract_timestamp')?.toLowerCase() === 'true' ? { autoExtractTime: true } : {}),
    },
    rules: rawRulesFor(sim.cfg),
    matcher: sim.classifier.matcher,
    policy,
    apply: sim.classifier.applyPolicy,
  };
}

/** What a request stores: its events' count, per-module counts, and its commit. */
interface Stored {
  events: number;
  /** module ('' = none) → [events, dropped fields, flagged fields] */
  perModule: ModuleCounts;
  commit: Promise<Committed>;
}

/**
 * Stores the events (good prefix included), counts them, then answers success or the first error. Nothing
 * here holds the records while their commit is on its way (the counts are taken first): a batch's parsed
 * events then die young, where holding them for a commit's milliseconds moved them to the old generation.
 */
function commitAndReply(sim: SimState, req: FastifyRequest, reply: FastifyReply, hec: HecContext, stored: Stored, error: SimError | null, endpoint: string): Promise<void> {
  const useAck = hec.token!.useAck === true && hec.channel !== null && error === null;
  // acks belong to the token that opened the channel (src/service/hec/acks.ts); the region's faults may delay or lose them
  const owner = hec.token!.token;
  const ackId = useAck ? sim.acks.allocate(owner, hec.channel!) : undefined;
  const { events, perModule } = stored;
  return stored.commit.then(() => {
    if (ackId !== undefined) sim.acks.commit(owner, hec.channel!, ackId, hec.region.def.id);
    const region = hec.region.def.id;
    for (const [module, [n, dropped, flagged]] of perModule) {
      sim.metrics.events.inc({ region, module }, n);
      if (dropped) sim.metrics.droppedFields.inc({ region, module }, dropped);
      if (flagged) sim.metrics.flaggedFields.inc({ region, module }, flagged);
    }
    if (error) {
      if (events > 0) req.log.info({ stored: events }, `stored ${events} events before the first bad one`);
      throw error;
    }
    sim.metrics.requests.inc({ region, endpoint, status: '200', hec_code: '0' });
    reply.type(HEC_JSON).send(ackId === undefined ? hecBody(0) : { ...hecBody(0), ackId });
  }, (err: unknown) => {
    if (ackId !== undefined) sim.acks.release(owner, hec.channel!, ackId);
    throw err;
  });
}

/**
 * The envelope parser names "the token's indexes" when an index is refused; a token without a list is checked
 * against the indexes that exist (cfg.indexes), so say that instead (same code 7 and invalid-event-number).
 */
function explainIndex(sim: SimState, hec: HecContext, err: SimError | null): SimError | null {
  if (err === null || err.code !== 'SIM_ERR_HEC_INCORRECT_INDEX' || hec.token!.indexes) return err;
  const name = /index '([^']*)'/.exec(err.detail ?? '')?.[1] ?? '?';
  const n = err.invalidEventNumber;
  return new SimError('SIM_ERR_HEC_INCORRECT_INDEX', {
    invalidEventNumber: n,
    detail: `${n !== undefined ? `event ${n - 1}: ` : ''}index '${name}' does not exist (indexes: ${sim.cfg.indexes.join(', ')})`,
  });
}

/** A request's ingest job (src/pipeline/ingest/ingest.ts) without its body. */
function jobOf(sim: SimState, req: FastifyRequest, hec: HecContext, ctx: RecordContext): Omit<IngestJob, 'body'> {
  const job: Omit<IngestJob, 'body'> = {
    kind: ctx.endpoint, encoding: req.headers['content-encoding'], receivedAt: ctx.receivedAt, tenant: ctx.tenant, tokenModule: ctx.tokenModule,
    defaults: ctx.defaults, allowedIndexes: hec.token!.indexes ?? sim.cfg.indexes,
  };
  if (ctx.endpoint === 'raw') {
    // /raw names one index for all its events, in the query: refused after the body is decoded (its own errors first)
    const allowed = hec.token!.indexes;
    const index = ctx.defaults.index;
    if (allowed && !allowed.includes(index)) {
      job.refused = new SimError('SIM_ERR_HEC_INCORRECT_INDEX', { detail: `index '${index}' is not among the token's indexes (${allowed.join(', ')})` });
    } else if (!sim.cfg.indexes.includes(index)) {
      job.refused = new SimError('SIM_ERR_HEC_INCORRECT_INDEX', { detail: `index '${index}' does not exist (indexes: ${sim.cfg.indexes.join(', ')})` });
    }
  }
  return job;
}

export function registerHecRoutes(app: FastifyInstance): void {
  const sim = app.sim;
  const limits = sim.cfg.limits;
  /** /raw: the latest W3C `#Fields:` directive per stream (tenant, token, channel, host, source, sourcetype). */
  const w3cStreams = new W3cStreams();
  /** The event loop's tally toward each store that only counts (its requests are counted here, not packed). */
  const tallies = new WeakMap<RegionStore, FieldTally>();
  const tallyOf = (store: RegionStore): FieldTally | undefined => {
    if (!(store instanceof NoneStore)) return undefined;
    let t = tallies.get(store);
    if (t === undefined) tallies.set(store, (t = new FieldTally()));
    return t;
  };

  /**
   * A request's job in an ingest thread. A gzip body is gunzipped here first (zlib works on libuv's threads;
   * the buffers are the event loop's, and they go back to the system once freed, where an ingest thread's
   * malloc arena kept hundreds of MB after a bomb attack); the decoded bytes move to the thread without a copy
   * and stay counted in the global budget until its answer.
   */
  const runInPool = async (req: FastifyRequest, job: Omit<PoolJob, 'id' | 'body'>): Promise<IngestResult> => {
    const body = req.body as BodyChunks | undefined;
    if (body === undefined || job.encoding === undefined || chunksLength(body) === 0) return sim.pool!.run(job, body);
    const hold = new Hold(sim.budgets, DECODED);
    try {
      const bytes = await decompressBody(joinChunks(body)!, job.encoding, limits, hold);
      return await sim.pool!.run({ ...job, encoding: undefined }, [bytes]);
    } finally {
      hold.release();
    }
  };

  /**
   * One path for /event and /raw: ingest (decode, parse, classify, filter, pack) in an ingest thread, whose
   * batch goes from there to the region's store, or here (ingest.workers 0, or a test's classifier), whose
   * batch is appended here; then the answer once the store committed.
   */
  const handler = (kind: 'event' | 'raw') => async (req: FastifyRequest, reply: FastifyReply) => {
    const hec = req.hec!;
    const store = hec.region.store;
    const ctx = recordContext(sim, req, hec, kind);
    const job = jobOf(sim, req, hec, ctx);
    const stream = kind === 'raw' ? w3cStreamKey({ tenant: ctx.tenant, token: hec.token!.token, channel: hec.channel, ...ctx.defaults }) : null;
    if (stream !== null) job.w3cFields = w3cStreams.get(stream);
    let stored: Stored;
    // the request's first error, and the latest W3C directive its lines held (/raw)
    let done: { error: SimError | null; w3cFields?: W3cFields };
    if (sim.pool !== null) {
      const seq = store.admit();
      let r: IngestResult;
      try {
        r = await runInPool(req, {
          ...job, refused: job.refused?.toWire(), region: hec.region.def.id, seq, policy: snapshotOf(sim.classifier, ctx.tenant, ctx.policy),
        });
      } catch (err) {
        store.abandon(seq);
        throw err;
      }
      stored = { events: r.events, perModule: r.modules, commit: store.settle(seq, r.events) };
      done = r;
    } else {
      const tally = tallyOf(store);
      const r = await ingest({ ...job, body: joinChunks(req.body as BodyChunks | undefined) }, {
        limits, rules: ctx.rules!, matcher: ctx.matcher, apply: ctx.apply, policy: ctx.policy, budgets: sim.budgets,
        ...(tally === undefined ? { verdicts: new VerdictList(verdictNumber) } : { tally }),
        text: store.kind !== 'none', // the none store keeps no text: no envelope text to prove canonical
      });
      const b = r.batch;
      if (r.counted !== null) {
        // taken and appended in one step: the store hears of a slot before any count of it (FieldTally)
        stored = { events: eventsOf(r.counted), perModule: moduleCountsOf(r.counted), commit: (store as NoneStore).append(tally!.take(0)) };
      } else {
        stored = b === null
          ? { events: 0, perModule: new Map(), commit: Promise.resolve({ seq: 0, firstEvent: 0, events: 0 }) }
          : { events: b.events, perModule: countModules(b, new Map()), commit: store.append(b) };
      }
      done = r;
    }
    if (stream !== null) w3cStreams.update(stream, done.w3cFields);
    const error = done.error;
    // returned, not awaited: this frame is not kept while the commit runs
    return commitAndReply(sim, req, reply, hec, stored, kind === 'event' ? explainIndex(sim, hec, error) : error, kind);
  };
  for (const url of ['/services/collector', '/services/collector/event', '/services/collector/event/1.0']) {
    app.post(url, { config: { hec: 'event' } }, handler('event'));
  }
  for (const url of ['/services/collector/raw', '/services/collector/raw/1.0']) {
    app.post(url, { config: { hec: 'raw' } }, handler('raw'));
  }

  app.post('/services/collector/ack', { config: { hec: 'ack' } }, async (req, reply) => {
    const hec = req.hec!;
    const body = joinChunks(req.body as BodyChunks | undefined);
    // a gzip'd ack poll takes from the global decoded budget too (a bomb sent to /ack is no way around it)
    const hold = new Hold(sim.budgets, DECODED);
    let text: string;
    try {
      text = await decodeBody(body, req.headers['content-encoding'], limits, hold);
    } finally {
      hold.release();
    }
    let ids: unknown;
    try {
      ids = (JSON.parse(text) as { acks?: unknown }).acks;
    } catch {
      throw new SimError('SIM_ERR_HEC_INVALID_JSON', { detail: 'the ack body must be {"acks":[0,1,...]}' });
    }
    if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x) && x >= 0)) {
      throw new SimError('SIM_ERR_HEC_INVALID_JSON', { detail: 'the ack body must be {"acks":[0,1,...]} with non-negative integer ids' });
    }
    reply.type(HEC_JSON).send({ acks: sim.acks.query(hec.token!.token, hec.channel!, ids as number[]) });
  });
  app.get('/services/collector/ack', async () => {
    throw new SimError('SIM_ERR_HTTP_METHOD_NOT_ALLOWED', { detail: 'poll acks with POST /services/collector/ack' });
  });

  const health = async (req: FastifyRequest, reply: FastifyReply) => {
    const tokens = (req.query as Query).token;
    if (Array.isArray(tokens) && tokens.length > 1) throw new SimError('SIM_ERR_HEALTH_TOKEN_INVALID', { detail: '?token= is given more than once' });
    const token = q1(req, 'token');
    if (token !== undefined && token !== '') {
      const def = sim.tokens.get(token.toLowerCase());
      if (!def) throw new SimError('SIM_ERR_HEALTH_TOKEN_INVALID');
      if (def.disabled) throw new SimError('SIM_ERR_HEALTH_TOKEN_DISABLED');
    }
    if (sim.shuttingDown) throw new SimError('SIM_ERR_HEC_SHUTTING_DOWN');
    const stores = req.hec ? [req.hec.region] : [...sim.regions.values()];
    const full = stores.filter((r) => r.store.isFull());
    // ack channels: exhausted (all, or this ?token='s share) is 503 code 19/20; a token at its share or 80% of all is 200 code 25
    const ack = sim.acks.health(token || undefined);
    const queues = full.length > 0 ? `write queue full in region ${full.map((r) => r.def.id).join(', ')}` : '';
    if (ack === 'exhausted') {
      const detail = `no ack channel can be opened (${sim.acks.size} open)${queues ? `; ${queues}` : ''}`;
      throw new SimError(queues ? 'SIM_ERR_HEALTH_QUEUES_FULL_ACK_UNAVAILABLE' : 'SIM_ERR_HEALTH_ACK_UNAVAILABLE', { detail });
    }
    if (queues) throw new SimError('SIM_ERR_HEALTH_QUEUES_FULL', { detail: queues });
    const degraded = stores.filter((r) => r.store.condition().state !== 'ok');
    if (degraded.length > 0) {
      throw new SimError('SIM_ERR_HEALTH_STORE_DEGRADED', { detail: degraded.map((r) => `region ${r.def.id}: ${r.store.condition().state}`).join('; ') });
    }
    reply.type(HEC_JSON).send(hecBody(ack === 'approaching' ? 25 : 17));
  };
  for (const url of ['/services/collector/health', '/services/collector/health/1.0']) {
    app.get(url, { config: { hec: 'health' } }, health);
  }

  // Out of scope, answered as HEC does for a junk body: no data → 5, anything else → 6.
  const other = async (req: FastifyRequest) => {
    if (chunksLength(req.body as BodyChunks | undefined) === 0) throw new SimError('SIM_ERR_HEC_NO_DATA');
    throw new SimError('SIM_ERR_HEC_INVALID_JSON', { detail: 'the emulator does not implement this endpoint (mint / s2s)' });
  };
  for (const url of ['/services/collector/mint', '/services/collector/mint/1.0', '/services/collector/s2s']) {
    app.post(url, { config: { hec: 'other' } }, other);
  }
}
