import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/service/app.ts';
import { buildConfig, type ConfigFile, type StoreKind } from '../../src/config/config.ts';
import { defaultClassifier } from '../../src/pipeline/ingest/classifier.ts';
import { buildPayloads } from '../../src/tools/loadgen/payloads.ts';
import { ADMIN, call, splunk, T, US } from '../helpers/service.ts';

/**
 * Ingest worker threads must change where the work runs, not what the service answers or stores: the same
 * requests go to a server classifying in the event loop (ingest.workers 0) and to one with two worker
 * threads, and every answer, the statistics and the stored events must be the same.
 */
const file: ConfigFile = {
  adminToken: ADMIN,
  tenants: [{ id: 'acme', uploadPermission: { 'endpoint-sensor': false } }],
  tokens: [
    { token: T.us, name: 'app', tenant: 'acme', region: 'us' },
    { token: T.idx, tenant: 'acme', region: 'us', indexes: ['main', 'sec'] },
    { token: T.core, tenant: 'acme', region: 'us', module: 'network-sensor' },
  ],
  undeclared: 'flag',
};

interface Server { app: FastifyInstance; url: string; dir: string }
async function serve(store: StoreKind, workers: number): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'sim-workers-'));
  const cfg = buildConfig(file, { dataDir: dir, store, ingestWorkers: workers });
  const app = buildApp(cfg, { logger: false, defaultMetrics: false, classifier: defaultClassifier() });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, dir };
}

const batches = buildPayloads({ profile: 'mixed', seed: 7, batch: 40, gzip: false, pool: 4 }).full.map((p) => p.body.toString());
/** A body of about 200 KB: Node's HTTP parser hands it over in several chunks, which go to a thread as they are. */
const bigBatch = buildPayloads({ profile: 'mixed', seed: 9, batch: 300, gzip: false, pool: 1 }).full[0].body.toString();
const netBatch = buildPayloads({ profile: 'network-sensor', seed: 3, batch: 10, gzip: false, pool: 1 }).full[0].body.toString();

type Step = { path: string; token?: string; body?: string | Buffer; headers?: Record<string, string> }
  | { admin: 'PUT'; path: string; body: string };
const steps: Step[] = [
  ...batches.map((body) => ({ path: '/services/collector/event', body })),
  { path: '/services/collector/event', body: gzipSync(batches[1]), headers: { 'content-encoding': 'gzip' } },
  { path: '/services/collector/event', body: bigBatch },
  { path: '/services/collector/raw?sourcetype=pan:traffic', body: 'user=alice src=198.51.100.7 action=allowed\n\nuser=bob email=bob@example.com\n' },
  // a bad event in the middle: the three before it are stored, the answer names event 3
  { path: '/services/collector/event', body: '{"event":{"user":"a"}}\n{"event":"b"}\n{"event":{"src_ip":"192.0.2.1"}}\n{"event": oops}\n{"event":"d"}' },
  { path: '/services/collector/event', body: '' },
  { path: '/services/collector/raw', body: ' \n ' },
  { path: '/services/collector/event', body: Buffer.from('not gzip'), headers: { 'content-encoding': 'gzip' } },
  { path: '/services/collector/event', body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]) },
  { path: '/services/collector/event', token: T.idx, body: '{"event":"x"}\n{"event":"y","index":"nope"}' },
  { path: '/services/collector/raw?index=nope', token: T.idx, body: 'a line' },
  { path: '/services/collector/event', token: T.core, body: netBatch },
  // upload permission off at run time: the workers must drop what the event loop drops
  { admin: 'PUT', path: '/admin/v1/tenants/acme/modules/network-sensor', body: '{"uploadPermission":false}' },
  { path: '/services/collector/event', token: T.core, body: netBatch },
  { path: '/services/collector/raw', token: T.core, body: 'src_ip=192.0.2.9 user=carol\n' },
  { admin: 'PUT', path: '/admin/v1/tenants/acme/modules/network-sensor', body: '{"uploadPermission":true}' },
  { path: '/services/collector/event', token: T.core, body: netBatch },
];

async function play(s: Server): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const st of steps) {
    if ('admin' in st) {
      const r = await call(s.url, 'PUT', st.path, { headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: st.body });
      out.push([r.status, r.json]);
      continue;
    }
    const r = await call(s.url, 'POST', st.path, { host: US, headers: { ...splunk(st.token ?? T.us), ...st.headers }, body: st.body });
    out.push([st.path, r.status, r.json, r.headers['x-sim-error'] ?? null]);
  }
  return out;
}

async function inspect(s: Server): Promise<{ stats: unknown; events: unknown }> {
  const auth = { authorization: `Bearer ${ADMIN}` };
  const stats = (await call(s.url, 'GET', '/admin/v1/stats', { headers: auth })).json;
  const events = (await call(s.url, 'GET', '/admin/v1/events?limit=1000', { headers: auth })).json.events
    .map((e: { receivedAt?: unknown }) => ({ ...e, receivedAt: undefined }));
  return { stats, events };
}

describe.each<StoreKind>(['sqlite', 'none'])('ingest worker threads, %s store', (store) => {
  let loop: Server;
  let workers: Server;
  beforeAll(async () => {
    [loop, workers] = await Promise.all([serve(store, 0), serve(store, 2)]);
  });
  afterAll(async () => {
    for (const s of [loop, workers]) {
      await s.app.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
  });

  it('answer, count and store every request as the event loop does', async () => {
    expect(loop.app.sim.pool).toBeNull();
    expect(workers.app.sim.pool).not.toBeNull();
    const [a, b] = [await play(loop), await play(workers)];
    expect(b).toEqual(a);
    // the steps cover what they claim: successes, a stored prefix with its error, body errors, index refusals
    const statuses = a.map((x) => (x as unknown[]).length === 4 ? (x as unknown[])[1] : (x as unknown[])[0]);
    expect(statuses.filter((x) => x === 200).length).toBeGreaterThan(8);
    expect(statuses.filter((x) => x === 400).length).toBeGreaterThanOrEqual(6);
    expect(workers.app.sim.pool!.threads).toBeGreaterThan(0); // the work did go to the threads
    const [sa, sb] = [await inspect(loop), await inspect(workers)];
    expect(sb.stats).toEqual(sa.stats);
    expect(sb.events).toEqual(sa.events);
    // the threads show in the metrics: both running (started when the server got ready), idle now
    const metrics = (await call(workers.url, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/^ingestor_sim_ingest_threads 2$/m);
    expect(metrics).toMatch(/^ingestor_sim_ingest_jobs 0$/m);
    expect((await call(loop.url, 'GET', '/metrics')).text).not.toContain('ingestor_sim_ingest_threads');
    const totals = (sa.stats as { totals: { events: number; droppedFields: number } }).totals;
    expect(bigBatch.length).toBeGreaterThan(3 * 65536);
    expect(totals.events).toBe(batches.length * 40 + 40 + 300 + 2 + 3 + 1 + 10 * 3 + 1);
    expect(totals.droppedFields).toBeGreaterThan(0);
  });
});

describe('ingest worker threads hand their batches to the store writer directly', () => {
  it('the event loop receives counts and request numbers, never a batch nor a verdict', async () => {
    const s = await serve('sqlite', 2);
    try {
      // the region's writer starts with its first request
      await call(s.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body: batches[0] });
      // every message the event loop gets from the ingest threads and from the region's writer thread from now on
      const received: unknown[] = [];
      const listen = (w: { on(e: 'message', l: (m: unknown) => void): void }) => w.on('message', (m) => received.push(m));
      for (const slot of (s.app.sim.pool as unknown as { slots: Array<{ worker: Parameters<typeof listen>[0] }> }).slots) listen(slot.worker);
      const writer = (s.app.sim.regions.get('us')!.store as unknown as { writer: Parameters<typeof listen>[0] | null }).writer;
      listen(writer!);
      for (const body of [...batches, '{"event":{"user":"a"}}\n{"event": oops}']) {
        await call(s.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body });
      }
      const auth = { authorization: `Bearer ${ADMIN}` };
      const stats = (await call(s.url, 'GET', '/admin/v1/stats', { headers: auth })).json;
      expect(stats.totals.events).toBe(batches.length * 40 + 40 + 1);
      const replies = received.filter((m) => (m as { id?: unknown }).id !== undefined);
      const commits = received.filter((m) => (m as { seqs?: unknown }).seqs !== undefined);
      expect(replies).toHaveLength(batches.length + 1);
      expect(commits.length).toBeGreaterThan(0);
      for (const m of replies) expect(Object.keys(m as object).sort()).toEqual(['error', 'events', 'id', 'modules']);
      for (const m of commits) expect(Object.keys(m as object).sort()).toEqual(['counts', 'delta', 'firsts', 'ok', 'paths', 'seqs']);
      expect(received).toHaveLength(replies.length + commits.length);
      // no verdict went through the event loop: no verdict JSON, no field path, no batch column
      const text = JSON.stringify(received);
      expect(text).not.toMatch(/"(action|category|path|by|reason)"/);
      expect(text).not.toMatch(/\\"action\\"/);
      expect(text).not.toMatch(/"(refsOf|verdicts|fresh|table|text)"/);
    } finally {
      await s.app.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
  });
});

describe('the none store counts concurrent requests exactly, counted in the threads or in the event loop', () => {
  it('requests in flight together give the totals of the same requests one by one', async () => {
    const [seq, loop, workers] = await Promise.all([serve('none', 0), serve('none', 0), serve('none', 2)]);
    try {
      const bodies = [...batches, netBatch, ...batches, netBatch, ...batches];
      const post = (s: Server, body: string) => call(s.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body });
      for (const body of bodies) expect((await post(seq, body)).status).toBe(200);
      // every request at once: the event loop's one tally, and each thread's, count requests that interleave
      for (const s of [loop, workers]) {
        const answers = await Promise.all(bodies.map((body) => post(s, body)));
        expect(answers.map((a) => a.status)).toEqual(bodies.map(() => 200));
      }
      const auth = { authorization: `Bearer ${ADMIN}` };
      const [a, b, c] = await Promise.all([seq, loop, workers].map(async (s) => (await call(s.url, 'GET', '/admin/v1/stats', { headers: auth })).json));
      expect(a.totals.events).toBe(batches.length * 40 * 3 + 10 * 2);
      expect(b).toEqual(a);
      expect(c).toEqual(a);
    } finally {
      for (const s of [seq, loop, workers]) {
        await s.app.close();
        rmSync(s.dir, { recursive: true, force: true });
      }
    }
  });
});

describe('ingest worker threads toward the none store', () => {
  it('send the event loop one message per request, its reply with the Counts, and no verdict', async () => {
    const s = await serve('none', 2);
    try {
      await call(s.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body: batches[0] });
      const received: unknown[] = [];
      for (const slot of (s.app.sim.pool as unknown as { slots: Array<{ worker: { on(e: 'message', l: (m: unknown) => void): void } }> }).slots) {
        slot.worker.on('message', (m) => received.push(m));
      }
      const bodies = [...batches, '{"event":{"user":"a"}}\n{"event": oops}', '{"event": oops}'];
      for (const body of bodies) await call(s.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body });
      const stats = (await call(s.url, 'GET', '/admin/v1/stats', { headers: { authorization: `Bearer ${ADMIN}` } })).json;
      expect(stats.totals.events).toBe(batches.length * 40 + 40 + 1);
      expect(received).toHaveLength(bodies.length);
      const keys = received.map((m) => Object.keys(m as object).sort().join(','));
      // a request with events carries its Counts; one whose first event is bad has nothing to count
      expect(keys.slice(0, -1)).toEqual(bodies.slice(0, -1).map(() => 'counts,error,events,id,modules'));
      expect(keys.at(-1)).toBe('error,events,id,modules');
      const text = JSON.stringify(received);
      expect(text).not.toMatch(/"(action|category|path|by|reason)"/);
      expect(text).not.toMatch(/"(refsOf|verdicts|table|text)"/);
    } finally {
      await s.app.close();
      rmSync(s.dir, { recursive: true, force: true });
    }
  });
});
