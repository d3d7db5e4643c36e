import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/config/config.ts';
import { IngestPool, type IngestJob, type IngestResult, type WorkerInit } from '../../../src/workers/pool.ts';
import { packedModules } from '../../../src/store/packed.ts';

const init = (): WorkerInit => ({ limits: DEFAULT_LIMITS, policies: [{ tenant: 't', disabled: ['network-sensor'], undeclared: 'flag' }] });
const job = (over: Partial<IngestJob> = {}): Omit<IngestJob, 'id' | 'body'> => ({
  kind: 'event', encoding: undefined, receivedAt: 1_700_000_000_000, tenant: 't', tokenModule: null,
  defaults: { host: 'h', source: 's', sourcetype: 'httpevent', index: 'main' }, allowedIndexes: null, ...over,
});
const pools: IngestPool[] = [];
afterAll(async () => { await Promise.all(pools.map((p) => p.close())); });

describe('IngestPool', () => {
  it('classifies a request in a thread and answers with the packed records and their verdicts', async () => {
    const pool = new IngestPool(2, init);
    pools.push(pool);
    expect(pool.threads).toBe(0); // started by the first job
    const body = Buffer.from('{"event":{"src_ip":"192.0.2.1","user":"alice"},"sourcetype":"pan:traffic"}\n{"event":"x"}\n{"event": nope}');
    const r = await pool.run(job(), body);
    expect(pool.threads).toBe(1);
    expect(r.batch!.events).toBe(2);
    expect(r.error).toMatchObject({ code: 'SIM_ERR_HEC_INVALID_JSON', invalidEventNumber: 2 });
    const used = [...r.batch!.verdicts].map((i) => r.verdicts[i]);
    expect(used.map((v) => v.path)).toEqual(expect.arrayContaining(['src_ip', 'user']));
    expect(packedModules(r.batch!).size).toBeGreaterThan(0);
    // a module whose upload permission is off in the tenant's policy: its fields are dropped in the thread
    const net = await pool.run(job({ tokenModule: 'network-sensor' }), Buffer.from('{"event":{"src_ip":"192.0.2.1"}}'));
    expect([...net.batch!.verdicts].map((i) => net.verdicts[i].action)).toContain('drop');
    pool.setPolicy({ tenant: 't', disabled: [], undeclared: 'flag' });
    const on = await pool.run(job({ tokenModule: 'network-sensor' }), Buffer.from('{"event":{"src_ip":"192.0.2.1"}}'));
    expect([...on.batch!.verdicts].map((i) => on.verdicts[i].action)).not.toContain('drop');
  });

  it('keeps its verdict list bounded: past 50,000 distinct verdicts it starts again, and earlier batches keep theirs', async () => {
    const pool = new IngestPool(1, init);
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
    const paths = (r: IngestResult) => [...r.batch!.verdicts].map((i) => r.verdicts[i].path);
    const first = await pool.run(job(), batchOf(40)); // 40,000 verdicts
    const second = await pool.run(job(), batchOf(20)); // 60,000: past the bound from the next batch on
    const third = await pool.run(job(), batchOf(5));
    expect(paths(first)).toEqual(Array.from({ length: 40_000 }, (_, i) => `f${i}`));
    expect(paths(second)).toEqual(Array.from({ length: 20_000 }, (_, i) => `f${40_000 + i}`));
    expect(paths(third)).toEqual(Array.from({ length: 5_000 }, (_, i) => `f${60_000 + i}`));
    // the main thread's copy started again with the third batch
    expect(third.verdicts.length).toBe(5_000);
    expect(first.verdicts.length).toBe(60_000);
  }, 60_000);

  it('answers body errors as the event loop does: no records, the SimError', async () => {
    const pool = new IngestPool(1, init);
    pools.push(pool);
    const empty = await pool.run(job(), undefined);
    expect(empty.batch).toBeNull();
    expect(empty.error).toMatchObject({ code: 'SIM_ERR_HEC_NO_DATA', statusCode: 400 });
    const gz = await pool.run(job({ encoding: 'gzip' }), Buffer.from('not gzip'));
    expect(gz.error).toMatchObject({ code: 'SIM_ERR_HEC_GZIP_INVALID' });
    const tenant = await pool.run(job({ tenant: 'nobody' }), Buffer.from('{"event":"x"}'));
    expect(tenant.error).toMatchObject({ code: 'SIM_ERR_HEC_INTERNAL', detail: expect.stringContaining("no policy for tenant 'nobody'") });
  });

  it('a thread that dies fails its jobs with HEC 500 code 8; the next job gets a new thread', async () => {
    const failures: string[] = [];
    const pool = new IngestPool(1, init, (why) => failures.push(why));
    pools.push(pool);
    const waiting = pool.run(job(), Buffer.from('{"event":"x"}'));
    // the thread is still starting (loading the catalog): it cannot have answered yet
    await (pool as unknown as { slots: Array<{ worker: { terminate(): Promise<number> } }> }).slots[0].worker.terminate();
    await expect(waiting).rejects.toMatchObject({ code: 'SIM_ERR_HEC_INTERNAL', statusCode: 500, hecCode: 8, detail: expect.stringContaining('exited') });
    expect(pool.threads).toBe(0);
    expect(failures).toEqual([expect.stringContaining('exited')]); // told (the service logs it as an error)
    const r = await pool.run(job(), Buffer.from('{"event":"x"}'));
    expect(r.batch!.events).toBe(1);
    expect(pool.threads).toBe(1);
  });

  it('after close, a job is refused as HEC refuses during shutdown', async () => {
    const pool = new IngestPool(1, init);
    await pool.close();
    await expect(pool.run(job(), Buffer.from('{"event":"x"}'))).rejects.toMatchObject({ code: 'SIM_ERR_HEC_SHUTTING_DOWN' });
  });

  it('a request body that owns its memory moves to the thread without a copy', async () => {
    const pool = new IngestPool(1, init);
    pools.push(pool);
    const body = Buffer.alloc(64 * 1024, ' ');
    body.write('{"event":"x"}', 0);
    const r = await pool.run(job(), body);
    expect(r.batch!.events).toBe(1);
    expect(body.buffer.byteLength).toBe(0); // transferred (detached here)
    const pooled = Buffer.from('{"event":"y"}'); // a view into Node's shared pool: copied, left intact
    await pool.run(job(), pooled);
    expect(pooled.toString()).toBe('{"event":"y"}');
  });
});
