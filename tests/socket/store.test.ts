import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StoreRecord } from '../../src/store/types.ts';
import { CommitTracker } from '../../src/store/commits.ts';
import { NoneStore } from '../../src/store/none.ts';
import { ADMIN, call, EU, splunk, start, T, testConfigFile, US } from '../helpers/service.ts';
import { batchOf } from '../../src/store/verdicts.ts';

const put = (s: { append: (b: ReturnType<typeof batchOf>) => Promise<unknown> }, records: Parameters<typeof batchOf>[0]) => s.append(batchOf(records));

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'sim-store-')); dirs.push(d); return d; };
const auth = { authorization: `Bearer ${ADMIN}` };

describe('SQLite store survives a restart', () => {
  for (const fsync of ['always', 'batch', 'never'] as const) {
    it(`fsync=${fsync}: events, classification and stats are there after close + start`, async () => {
      const dataDir = tmp();
      const a = await start(testConfigFile(), { dataDir, fsync });
      for (let i = 0; i < 5; i++) {
        const r = await call(a.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body: `{"event":{"i":${i},"src_ip":"10.0.0.${i}"},"sourcetype":"fw:traffic"}` });
        expect(r.json.code).toBe(0);
      }
      await call(a.url, 'POST', '/services/collector/raw', { host: EU, headers: splunk(T.eu), body: 'eu line' });
      await a.close();
      expect(existsSync(join(dataDir, 'us', 'events.sqlite'))).toBe(true);
      expect(existsSync(join(dataDir, 'eu', 'events.sqlite'))).toBe(true);

      const b = await start(testConfigFile(), { dataDir, fsync });
      const ev = (await call(b.url, 'GET', '/admin/v1/events?region=us', { headers: auth })).json.events;
      expect(ev.map((e: any) => e.event.i)).toEqual([4, 3, 2, 1, 0]);
      expect(ev[0].fields[1]).toMatchObject({ path: 'src_ip', item: 'Source IP address', action: 'keep' });
      const stats = (await call(b.url, 'GET', '/admin/v1/stats', { headers: auth })).json;
      expect(stats.regions.us.events).toBe(5);
      expect(stats.regions.eu.events).toBe(1);
      expect(stats.regions.us.items).toContainEqual({ module: 'fw', item: 'Source IP address', kept: 5, dropped: 0, flagged: 0 });
      // new events continue after the old ones
      await call(b.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body: '{"event":{"i":5}}' });
      expect((await call(b.url, 'GET', '/admin/v1/events?region=us&limit=1', { headers: auth })).json.events[0].id).toBe(6);
      await b.close();
    });
  }

  it('a region folder holding another region is refused at startup (residency)', async () => {
    const dataDir = tmp();
    const a = await start(testConfigFile(), { dataDir });
    await a.close();
    const { renameSync } = await import('node:fs');
    renameSync(join(dataDir, 'eu'), join(dataDir, 'eu-old'));
    renameSync(join(dataDir, 'us'), join(dataDir, 'eu'));
    await expect(start(testConfigFile(), { dataDir })).rejects.toThrow(/holds region 'us', not 'eu'/);
  });
});

describe('none store', () => {
  it('counts events and stats but lists none', async () => {
    const a = await start(testConfigFile(), { store: 'none' });
    await call(a.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body: '{"event":{"user":"x"}}{"event":2}' });
    const regions = (await call(a.url, 'GET', '/admin/v1/regions', { headers: auth })).json.regions;
    expect(regions[0]).toMatchObject({ id: 'us', store: 'none', events: 2 });
    expect((await call(a.url, 'GET', '/admin/v1/events', { headers: auth })).json.events).toEqual([]);
    const st = (await call(a.url, 'GET', '/admin/v1/stats', { headers: auth })).json.regions.us;
    expect(st.items).toContainEqual({ module: 'fw', item: 'User name', kept: 1, dropped: 0, flagged: 0 });
    expect(existsSync(join(a.dataDir, 'us'))).toBe(false);
    await a.close();
  });
});

/** A store whose commits wait until the test opens the gate: the bounded queue fills up for real. */
class GatedStore extends NoneStore {
  private readonly waits: CommitTracker;
  private gate: Promise<void>;
  open!: () => void;
  constructor(region: string, max: number) {
    super(region);
    this.waits = new CommitTracker(region, max);
    this.gate = new Promise((r) => { this.open = r; });
  }
  override append(b: Parameters<NoneStore['append']>[0]) {
    const seq = this.waits.admit(b.events);
    const committed = this.waits.settle(seq, b.events);
    void this.gate.then(() => super.append(b)).then((c) => this.waits.commit(seq, c));
    return committed;
  }
  override queueDepth() { return this.waits.queueDepth(); }
  override isFull() { return this.waits.isFull(); }
}

describe('backpressure: a bounded write queue', () => {
  it('full queue → HEC 503 code 9, health 503 code 18, queue depth in metrics and admin; acks true only after commit', async () => {
    const gated = new Map<string, GatedStore>();
    const a = await start(testConfigFile({ store: { maxQueuedEvents: 3, fsync: 'always' } }), {}, {
      backendFactory: (region, cfg) => { const g = new GatedStore(region, cfg.store.maxQueuedEvents); gated.set(region, g); return g; },
    });
    const ch = 'AAAAAAAA-0000-4000-8000-000000000001';
    const post = (body: string, token = T.us) => call(a.url, 'POST', `/services/collector/event?channel=${ch}`, { host: US, headers: splunk(token), body });
    const first = post('{"event":1}{"event":2}', T.ack); // waits in the queue (2 events)
    await new Promise((r) => setTimeout(r, 50));
    const busy = await post('{"event":3}{"event":4}');
    expect(busy.status).toBe(503);
    expect(busy.json).toMatchObject({ text: 'Server is busy', code: 9 });
    expect(busy.json.detail).toMatch(/2 events waiting.*bound is 3/);
    const ack = await call(a.url, 'POST', `/services/collector/ack?channel=${ch}`, { host: US, headers: splunk(T.ack), body: '{"acks":[0]}' });
    expect(ack.json).toEqual({ acks: { 0: false } }); // not committed yet
    const small = post('{"event":5}'); // fits: 3 waiting now
    await new Promise((r) => setTimeout(r, 50));
    const health = await call(a.url, 'GET', '/services/collector/health', { host: US });
    expect([health.status, health.json.code, health.json.text]).toEqual([503, 18, 'HEC is unhealthy, queues are full']);
    const eu = await call(a.url, 'GET', '/services/collector/health', { host: EU });
    expect(eu.json.code).toBe(17); // other regions are fine
    const m = await call(a.url, 'GET', '/metrics');
    expect(m.text).toMatch(/ingestor_sim_store_queue_depth\{region="us"\} 3/);
    expect((await call(a.url, 'GET', '/admin/v1/regions', { headers: auth })).json.regions[0].queueDepth).toBe(3);
    gated.get('us')!.open();
    expect((await first).json).toEqual({ text: 'Success', code: 0, ackId: 0 });
    expect((await small).json).toEqual({ text: 'Success', code: 0 });
    const ack2 = await call(a.url, 'POST', `/services/collector/ack?channel=${ch}`, { host: US, headers: splunk(T.ack), body: '{"acks":[0]}' });
    expect(ack2.json).toEqual({ acks: { 0: true } });
    expect((await call(a.url, 'GET', '/services/collector/health', { host: US })).json.code).toBe(17);
    await a.close();
  });
});
