import { MessageChannel } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/config/config.ts';
import { defaultClassifier } from '../../../src/pipeline/ingest/classifier.ts';
import { ingest, type IngestJob } from '../../../src/pipeline/ingest/ingest.ts';
import { verdictNumber } from '../../../src/pipeline/filter/index.ts';
import { RawRules } from '../../../src/pipeline/parse/linebreak.ts';
import type { Batch } from '../../../src/store/packed.ts';
import { VerdictList } from '../../../src/store/verdicts.ts';
import { IngestPool, type WorkerInit } from '../../../src/workers/pool.ts';
import { buildPayloads } from '../../../src/tools/loadgen/payloads.ts';

/**
 * ingest() is one function: the event loop runs it (ingest.workers 0) and so does an ingest thread. The same
 * requests, in the same order, give the same batches either way: the same columns, the same verdict numbers,
 * the same verdicts' JSON sent with them, the same first error.
 */
const classifier = defaultClassifier();
const policy = classifier.compilePolicy(classifier.matcher, { uploadPermission: { 'network-sensor': false }, undeclared: 'flag' });
const init = (): WorkerInit => ({ limits: DEFAULT_LIMITS, policies: [{ tenant: 't', disabled: ['network-sensor'], undeclared: 'flag' }] });
const base: Omit<IngestJob, 'body'> = {
  kind: 'event', encoding: undefined, receivedAt: 1_700_000_000_000, tenant: 't', tokenModule: null,
  defaults: { host: 'h', source: 's', sourcetype: 'httpevent', index: 'main' }, allowedIndexes: ['main'],
};
const mixed = buildPayloads({ profile: 'mixed', seed: 11, batch: 30, gzip: false, pool: 3 }).full.map((p) => p.body);
const jobs: Array<[Omit<IngestJob, 'body'>, Buffer]> = [
  ...mixed.map((b) => [base, b] as [Omit<IngestJob, 'body'>, Buffer]),
  [{ ...base, encoding: 'gzip' }, gzipSync(mixed[0])],
  [{ ...base, tokenModule: 'network-sensor' }, Buffer.from('{"event":{"src_ip":"192.0.2.1","user":"bob"}}')],
  [{ ...base, kind: 'raw', defaults: { ...base.defaults, sourcetype: 'pan:traffic' } }, Buffer.from('user=alice src=198.51.100.7\nuser=bob email=bob@example.com\n')],
  [base, Buffer.from('{"event":{"user":"a"},"fields":{"dc":"x","email":"c@example.com"}}\n{"event":"b"}\n{"event": oops}')],
  [base, Buffer.from('{"event":"x","index":"nope"}')],
];

const pools: IngestPool[] = [];
afterAll(async () => { await Promise.all(pools.map((p) => p.close())); });

describe('ingest(job, ctx)', () => {
  it('gives the same batches and errors in the event loop and in an ingest worker thread', async () => {
    // the event loop: one verdict list toward the store, as a thread keeps one
    const list = new VerdictList(verdictNumber);
    const rules = new RawRules();
    const inline: Array<{ batch: Omit<Batch, 'seq'> | null; error: unknown }> = [];
    for (const [job, body] of jobs) {
      const r = await ingest({ ...job, body }, { limits: DEFAULT_LIMITS, rules, matcher: classifier.matcher, apply: classifier.applyPolicy, policy, budgets: null, verdicts: list });
      inline.push({ batch: r.batch, error: r.error === null ? null : { code: r.error.code, detail: r.error.detail, invalidEventNumber: r.error.invalidEventNumber } });
    }

    // a thread: its batches arrive on its port to the store
    const { port1, port2 } = new MessageChannel();
    const got = new Map<number, Batch>();
    port2.on('message', (b: Batch) => got.set(b.seq, b));
    const pool = new IngestPool(1, init, undefined, () => ({ us: { port: port1, text: true } }));
    pools.push(pool);
    const threaded: Array<{ batch: Omit<Batch, 'seq'> | null; error: unknown }> = [];
    let seq = 0;
    for (const [job, body] of jobs) {
      const r = await pool.run({ ...job, refused: job.refused?.toWire(), region: 'us', seq: ++seq }, [Buffer.from(body)]);
      while (r.events > 0 && !got.has(seq)) await new Promise((res) => setTimeout(res, 5));
      const b = got.get(seq);
      threaded.push({ batch: b ? (({ seq: _s, ...rest }) => rest)(b) : null, error: r.error === null ? null : { code: r.error.code, detail: r.error.detail, invalidEventNumber: r.error.invalidEventNumber } });
    }
    port2.close();

    expect(threaded).toEqual(inline);
    // the cases cover what they claim: batches with new verdicts and with known ones only, a kept prefix, errors
    expect(inline.filter((x) => x.batch !== null).length).toBeGreaterThanOrEqual(6);
    expect(inline[1].batch!.fresh.length).toBeLessThan(inline[0].batch!.fresh.length); // each verdict's JSON goes once
    expect(inline.at(-2)).toMatchObject({ batch: { events: 2 }, error: { code: 'SIM_ERR_HEC_INVALID_JSON', invalidEventNumber: 2 } });
    expect(inline.at(-1)).toMatchObject({ batch: null, error: { code: 'SIM_ERR_HEC_INCORRECT_INDEX' } });
    expect(inline[0].batch!.reset).toBe(true); // a new list: the store starts its table again
  }, 60_000);
});
