import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/config/config.ts';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { IngestPool, POLICY_CACHE, type PoolJob, type WorkerInit } from '../../../src/workers/pool.ts';
import type { Verdict } from '../../../src/pipeline/classify/types.ts';
import type { Batch } from '../../../src/store/packed.ts';
import { VerdictTable } from '../../../src/store/verdicts.ts';

const init = (): WorkerInit => ({ limits: DEFAULT_LIMITS, policies: [{ tenant: 't', disabled: ['network-sensor'], undeclared: 'flag' }] });
let seq = 0;
const job = (over: Partial<PoolJob> = {}): Omit<PoolJob, 'id' | 'body'> => ({
  kind: 'event', encoding: undefined, receivedAt: 1_700_000_000_000, tenant: 't', tokenModule: null,
  defaults: { host: 'h', source: 's', sourcetype: 'httpevent', index: 'main' }, allowedIndexes: null, region: 'us', seq: ++seq, ...over,
});
const pools: IngestPool[] = [];
const ends: MessagePort[] = [];
afterAll(async () => { await Promise.all(pools.map((p) => p.close())); for (const p of ends) p.close(); });

/**
 * A store's end of each thread's port, as a test sees it: the batches by request number, and their verdicts
 * (what each batch's numbers stand for, read from the JSON the thread sent once per verdict).
 */
function storeEnd() {
  const got = new Map<number, { batch: Batch; verdicts: readonly Verdict[]; listSize: number }>();
  const waiters = new Map<number, (b: { batch: Batch; verdicts: readonly Verdict[]; listSize: number }) => void>();
  const connect = () => {
    const { port1, port2 } = new MessageChannel();
    const table = new VerdictTable((json) => JSON.parse(json) as Verdict);
    port2.on('message', (b: Batch) => {
      const verdicts = table.take(b);
      const r = { batch: b, verdicts, listSize: verdicts.length };
      got.set(b.seq, r);
      waiters.get(b.seq)?.(r);
    });
    ends.push(port2);
    return { us: { port: port1, text: true } };
  };
  const batchOf = (s: number) => got.get(s) ?? new Promise<{ batch: Batch; verdicts: readonly Verdict[]; listSize: number }>((r) => waiters.set(s, r));
  return { connect, batchOf };
}

/** A job run in the pool, with the batch it posted to the store (null: none) and what its verdict numbers stand for. */
async function runAt(pool: IngestPool, end: ReturnType<typeof storeEnd>, j: Omit<PoolJob, 'id' | 'body'>, body: Buffer | Buffer[] | undefined) {
  const r = await pool.run(j, body === undefined || Array.isArray(body) ? body : [body]);
  const posted = r.events > 0 ? await end.batchOf(j.seq) : null;
  return { ...r, batch: posted?.batch ?? null, verdicts: posted?.verdicts ?? [] };
}

describe('IngestPool', () => {
  it('classifies a request in a thread and answers with the packed records and their verdicts', async () => {
    const end = storeEnd();
    const pool = new IngestPool(2, init, undefined, end.connect);
    pools.push(pool);
    expect(pool.threads).toBe(0); // started by the first job
    const body = Buffer.from('{"event":{"src_ip":"192.0.2.1","user":"alice"},"sourcetype":"pan:traffic"}\n{"event":"x"}\n{"event": nope}');
    const r = await runAt(pool, end, job(), body);
    expect(pool.threads).toBe(1);
    expect(r.batch!.events).toBe(2);
    expect(r.error).toMatchObject({ code: 'SIM_ERR_HEC_INVALID_JSON', invalidEventNumber: 2 });
    const used = [...r.batch!.verdicts].map((i) => r.verdicts[i]);
    expect(used.map((v) => v.path)).toEqual(expect.arrayContaining(['src_ip', 'user']));
    expect(r.modules.size).toBeGreaterThan(0); // what the event loop hears: counts per module
    // a module whose upload permission is off in the tenant's policy: its fields are dropped in the thread
    const net = await runAt(pool, end, job({ tokenModule: 'network-sensor' }), Buffer.from('{"event":{"src_ip":"192.0.2.1"}}'));
    expect([...net.batch!.verdicts].map((i) => net.verdicts[i].action)).toContain('drop');
    pool.setPolicy({ tenant: 't', disabled: [], undeclared: 'flag' });
    const on = await runAt(pool, end, job({ tokenModule: 'network-sensor' }), Buffer.from('{"event":{"src_ip":"192.0.2.1"}}'));
    expect([...on.batch!.verdicts].map((i) => on.verdicts[i].action)).not.toContain('drop');
  });

  it('keeps its verdict list bounded: past 50,000 distinct verdicts it starts again, and earlier batches keep theirs', async () => {
    const end = storeEnd();
    const pool = new IngestPool(1, init, undefined, end.connect);
    pools.push(pool);
    // every distinct field name makes a verdict; n events of 1,000 names never seen before
    let next = 0;
    const batchOf = (events: number) => {
      const lines: string[] = [];
      for (let e = 0; e < events; e++) {
        const ev: Record<string, number> = {};
        for (let k = 0; k < 1000; k++) ev[`f${next++}`] = 1;
        lines.push(JSON.stringify({ event: ev }));
      }
      return Buffer.from(lines.join('\n'));
    };
    const paths = (r: Awaited<ReturnType<typeof runAt>>) => [...r.batch!.verdicts].map((i) => r.verdicts[i].path);
    const first = await runAt(pool, end, job(), batchOf(40)); // 40,000 verdicts
    const second = await runAt(pool, end, job(), batchOf(20)); // 60,000: past the bound from the next batch on
    const third = await runAt(pool, end, job(), batchOf(5));
    expect(paths(first)).toEqual(Array.from({ length: 40_000 }, (_, i) => `f${i}`));
    expect(paths(second)).toEqual(Array.from({ length: 20_000 }, (_, i) => `f${40_000 + i}`));
    expect(paths(third)).toEqual(Array.from({ length: 5_000 }, (_, i) => `f${60_000 + i}`));
    // the main thread's copy started again with the third batch
    expect(third.verdicts.length).toBe(5_000);
    expect(first.verdicts.length).toBe(60_000);
  }, 60_000);

  it('answers body errors as the event loop does: no records, the SimError', async () => {
    const end = storeEnd();
    const pool = new IngestPool(1, init, undefined, end.connect);
    pools.push(pool);
    const empty = await runAt(pool, end, job(), undefined);
    expect(empty.batch).toBeNull();
    expect(empty.events).toBe(0);
    expect(empty.error).toMatchObject({ code: 'SIM_ERR_HEC_NO_DATA', statusCode: 400 });
    const gz = await runAt(pool, end, job({ encoding: 'gzip' }), Buffer.from('not gzip'));
    expect(gz.error).toMatchObject({ code: 'SIM_ERR_HEC_GZIP_INVALID' });
    const tenant = await runAt(pool, end, job({ tenant: 'nobody' }), Buffer.from('{"event":"x"}'));
    expect(tenant.error).toMatchObject({ code: 'SIM_ERR_HEC_INTERNAL', detail: expect.stringContaining("no policy for tenant 'nobody'") });
  });

  it('a thread that dies fails its jobs with HEC 500 code 8; the next job gets a new thread', async () => {
    const failures: string[] = [];
    const end = storeEnd();
    const pool = new IngestPool(1, init, (why) => failures.push(why), end.connect);
    pools.push(pool);
    const waiting = pool.run(job(), [Buffer.from('{"event":"x"}')]);
    // the thread is still starting (loading the catalog): it cannot have answered yet
    await (pool as unknown as { slots: Array<{ worker: { terminate(): Promise<number> } }> }).slots[0].worker.terminate();
    await expect(waiting).rejects.toMatchObject({ code: 'SIM_ERR_HEC_INTERNAL', statusCode: 500, hecCode: 8, detail: expect.stringContaining('exited') });
    expect(pool.threads).toBe(0);
    expect(failures).toEqual([expect.stringContaining('exited')]); // told (the service logs it as an error)
    const r = await runAt(pool, end, job(), Buffer.from('{"event":"x"}'));
    expect(r.batch!.events).toBe(1);
    expect(pool.threads).toBe(1);
  });

  it('after close, a job is refused as HEC refuses during shutdown', async () => {
    const end = storeEnd();
    const pool = new IngestPool(1, init, undefined, end.connect);
    await pool.close();
    await expect(pool.run(job(), [Buffer.from('{"event":"x"}')])).rejects.toMatchObject({ code: 'SIM_ERR_HEC_SHUTTING_DOWN' });
  });

  it('a request body\'s chunks that own their memory move to the thread without a copy, and the thread joins them', async () => {
    const end = storeEnd();
    const pool = new IngestPool(1, init, undefined, end.connect);
    pools.push(pool);
    // as Node's HTTP parser gives a body: each chunk a Buffer of its own memory; here an event spans the two
    const text = `${' '.repeat(64 * 1024)}{"event":"x"}\n{"event":{"src_ip":"192.0.2.1"}}`;
    const cut = text.indexOf('src_ip');
    const chunks = [Buffer.alloc(cut), Buffer.alloc(text.length - cut)];
    chunks[0].write(text.slice(0, cut), 'latin1');
    chunks[1].write(text.slice(cut), 'latin1');
    const r = await runAt(pool, end, job(), chunks);
    expect(r.batch!.events).toBe(2);
    expect([...r.batch!.verdicts].map((i) => r.verdicts[i].path)).toEqual(['_raw', 'src_ip']);
    expect(chunks.map((c) => c.buffer.byteLength)).toEqual([0, 0]); // transferred (detached here)
    const pooled = Buffer.from('{"event":"y"}'); // a view into Node's shared pool: copied, left intact
    await runAt(pool, end, job(), pooled);
    expect(pooled.toString()).toBe('{"event":"y"}');
  });

  it('bodies of several chunks are joined in the thread one after another and several at once, each as it was sent', async () => {
    const end = storeEnd();
    const pool = new IngestPool(1, init, undefined, end.connect);
    pools.push(pool);
    /** A body of `n` events after `pad` spaces, cut into chunks of `size` bytes (each owning its memory). */
    const cut = (n: number, pad: number, size: number) => {
      const text = ' '.repeat(pad) + Array.from({ length: n }, (_, i) => `{"event":{"user":"u${n}-${i}"}}`).join('\n');
      const out: Buffer[] = [];
      for (let at = 0; at < text.length; at += size) out.push(Buffer.from(text.slice(at, at + size), 'latin1'));
      return out;
    };
    // one after another (the thread's join buffer used again), then three at once, one past the buffer's 1 MB
    for (const n of [3, 5]) expect((await runAt(pool, end, job(), cut(n, 70_000, 65_536))).batch!.events).toBe(n);
    const at = await Promise.all([cut(2, 100_000, 30_000), cut(7, 1_200_000, 65_536), cut(4, 10, 7)].map((c) => runAt(pool, end, job(), c)));
    expect(at.map((r) => r.batch!.events)).toEqual([2, 7, 4]);
  });

  it('a job carries its arrival policy by number: the snapshot goes to a thread once, and again after the thread evicted it', async () => {
    const end = storeEnd();
    const pool = new IngestPool(1, init, undefined, end.connect);
    pools.push(pool);
    pool.warm();
    const worker = (pool as unknown as { slots: Array<{ worker: { postMessage: (m: PoolJob, t?: unknown) => void } }> }).slots[0].worker;
    const sent: PoolJob[] = [];
    const post = worker.postMessage.bind(worker);
    worker.postMessage = (m, t) => { sent.push(m); post(m, t); };
    const off = { tenant: 't', disabled: ['network-sensor'], undeclared: 'flag' as const };
    const on = { tenant: 't', disabled: [], undeclared: 'flag' as const };
    const actions = async (policy: typeof off) => {
      const r = await runAt(pool, end, job({ tokenModule: 'network-sensor', policy }), Buffer.from('{"event":{"src_ip":"192.0.2.1"}}'));
      return [...r.batch!.verdicts].map((i) => r.verdicts[i].action);
    };
    expect(await actions(off)).toContain('drop');
    expect(await actions(on)).not.toContain('drop');
    expect(await actions(off)).toContain('drop'); // an older policy, still applied to a job that arrived under it
    expect(sent.map((m) => m.policy !== undefined)).toEqual([true, true, false]);
    expect(sent[2].policyId).toBe(sent[0].policyId);
    // past POLICY_CACHE other policies, the thread has evicted the first: its next job carries it again
    for (let i = 0; i < POLICY_CACHE; i++) await actions({ ...on });
    sent.length = 0;
    expect(await actions(off)).toContain('drop');
    expect(sent[0].policy).toEqual(off);
  });
});
