import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NoneBackend } from '../../../src/store/none.ts';
import { KIND_CHUNK, parseChunk, readRecord } from '../../../src/store/event-log.mjs';
import { SqliteBackend } from '../../../src/store/sqlite.ts';
import type { StoreBackend, StoreRecord } from '../../../src/store/types.ts';
import { QueuedRegionStore } from '../../../src/store/write-queue.ts';

const rec = (n: number, over: Partial<StoreRecord> = {}): StoreRecord => ({
  receivedAt: 1_700_000_000_000 + n, tenant: 't', module: n % 2 ? 'fw' : null, time: n, host: 'h', source: 's', sourcetype: 'st',
  index: 'main', endpoint: 'event', event: { n }, fields: null,
  classification: [
    { path: 'n', item: null, module: null, category: 'non-personal', by: 'none', kind: null, action: 'flag', reason: 'undeclared' },
    { path: 'ip', item: 'IP', module: 'fw', category: 'online-identifier', by: 'name', kind: 'ip', action: n % 3 ? 'keep' : 'drop' },
  ],
  dropped: n % 3 ? 0 : 1, flagged: 1, ...over,
});

/** Counts insert calls (transactions) and their sizes. */
class CountingBackend extends NoneBackend {
  override readonly immediate = false; // behaves as a durable store: writes are grouped into commits
  calls: number[] = [];
  override insert(records: readonly StoreRecord[]): void {
    this.calls.push(records.length);
    super.insert(records);
  }
}

describe('QueuedRegionStore', () => {
  it('fsync always: one transaction per write, resolved after it', async () => {
    const b = new CountingBackend();
    const q = new QueuedRegionStore('us', b, { fsync: 'always', batchMs: 1000, batchEvents: 100, maxQueuedEvents: 100 });
    await Promise.all([q.write([rec(1), rec(2)]), q.write([rec(3)]), q.write([rec(4)])]);
    expect(b.calls).toEqual([2, 1, 1]);
    expect(q.count()).toBe(4);
    expect(q.queueDepth()).toBe(0);
  });

  it('fsync batch: group commit of every waiting write after batchMs, or at batchEvents', async () => {
    const b = new CountingBackend();
    const q = new QueuedRegionStore('us', b, { fsync: 'batch', batchMs: 20, batchEvents: 5, maxQueuedEvents: 100 });
    const p = [q.write([rec(1)]), q.write([rec(2)]), q.write([rec(3)])];
    expect(q.queueDepth()).toBe(3);
    expect(b.calls).toEqual([]);
    await Promise.all(p);
    expect(b.calls).toEqual([3]);
    const big = [q.write([rec(4), rec(5), rec(6)]), q.write([rec(7), rec(8)])]; // reaches 5: commits without waiting 20 ms
    const t0 = Date.now();
    await Promise.all(big);
    expect(b.calls).toEqual([3, 5]);
    expect(Date.now() - t0).toBeLessThan(1000); // generous: only that it did not wait for a long timer
  });

  it('refuses writes beyond the bound with SIM_ERR_HEC_BUSY, but takes an oversized write into an empty queue', async () => {
    const b = new CountingBackend();
    const q = new QueuedRegionStore('us', b, { fsync: 'batch', batchMs: 20, batchEvents: 100, maxQueuedEvents: 3 });
    const a = q.write([rec(1), rec(2)]);
    await expect(q.write([rec(3), rec(4)])).rejects.toMatchObject({ code: 'SIM_ERR_HEC_BUSY', statusCode: 503, hecCode: 9 });
    const c = q.write([rec(5)]);
    expect(q.isFull()).toBe(true);
    await Promise.all([a, c]);
    expect(q.isFull()).toBe(false);
    await q.write([rec(6), rec(7), rec(8), rec(9)]); // bigger than the bound, queue empty: taken
    expect(q.count()).toBe(7);
  });

  it('a failing commit rejects its writers with an internal error and the queue goes on', async () => {
    let fail = true;
    const b: StoreBackend = Object.assign(new NoneBackend(), {
      insert(this: NoneBackend, r: readonly StoreRecord[]) { if (fail) throw new Error('disk full'); NoneBackend.prototype.insert.call(this, r); },
    });
    const q = new QueuedRegionStore('us', b, { fsync: 'always', batchMs: 1, batchEvents: 1, maxQueuedEvents: 10 });
    await expect(q.write([rec(1)])).rejects.toMatchObject({ code: 'SIM_ERR_HEC_INTERNAL', message: expect.stringMatching(/disk full/) });
    fail = false;
    await q.write([rec(2)]);
    expect(q.count()).toBe(1);
  });

  it('an immediate backend (the none store) takes each write at once, with no group-commit timer', async () => {
    const b = new NoneBackend();
    const q = new QueuedRegionStore('us', b, { fsync: 'batch', batchMs: 60_000, batchEvents: 1_000, maxQueuedEvents: 10 });
    const w = q.write([rec(1), rec(2)]);
    expect(q.count()).toBe(2); // counted before the promise settles: no turn of the event loop, no timer
    expect(q.queueDepth()).toBe(0);
    await w;
    await q.write(Array.from({ length: 20 }, (_, i) => rec(i))); // the bound is for commits that wait: none wait here
    expect(q.count()).toBe(22);
    await q.close();
    await expect(q.write([rec(3)])).rejects.toMatchObject({ hecCode: 23 });
  });

  it('close() commits what waits, then refuses new writes with code 23', async () => {
    const b = new CountingBackend();
    const q = new QueuedRegionStore('us', b, { fsync: 'batch', batchMs: 10_000, batchEvents: 100, maxQueuedEvents: 100 });
    const w = q.write([rec(1), rec(2)]);
    await q.close();
    await w;
    expect(b.calls).toEqual([2]);
    await expect(q.write([rec(3)])).rejects.toMatchObject({ hecCode: 23 });
  });
});

describe('SqliteBackend', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-sqlite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips records, lists newest first with module filters, aggregates stats', async () => {
    const s = new SqliteBackend('us', dir, 'always');
    await s.insert([rec(1), rec(2), rec(3)]);
    await s.insert([rec(4, { fields: { user: 'x' } })]);
    const all = s.list({ limit: 10 });
    expect(all.map((e) => e.id)).toEqual([4, 3, 2, 1]);
    expect(all[0]).toMatchObject({ region: 'us', event: { n: 4 }, fields: { user: 'x' }, module: null, time: 4 });
    expect(all[0].classification[1]).toMatchObject({ path: 'ip', action: 'keep' });
    expect(s.list({ module: 'fw', limit: 10 }).map((e) => e.id)).toEqual([3, 1]);
    expect(s.list({ module: null, limit: 1 }).map((e) => e.id)).toEqual([4]);
    const st = s.stats();
    expect(st).toMatchObject({ events: 4, droppedFields: 1, flaggedFields: 4 });
    expect(st.modules).toEqual({ '': { events: 2, droppedFields: 0, flaggedFields: 2 }, fw: { events: 2, droppedFields: 1, flaggedFields: 2 } });
    expect(st.items).toEqual([
      { module: null, item: null, kept: 0, dropped: 0, flagged: 4 },
      { module: 'fw', item: 'IP', kept: 3, dropped: 1, flagged: 0 },
    ]);
    await s.close();
    const again = new SqliteBackend('us', dir, 'never');
    expect(again.count()).toBe(4);
    expect(again.stats()).toEqual(st);
    await again.insert([rec(5)]); // ids of classifications made before the restart are reused, not duplicated
    expect(again.list({ limit: 1 })[0].classification).toEqual(rec(5).classification);
    await again.close();
  });

  it('the none backend gives the same stats from memory', async () => {
    const n = new NoneBackend();
    n.insert([rec(1), rec(2), rec(3)]);
    n.insert([rec(4, { fields: { user: 'x' } })]);
    const s = new SqliteBackend('eu', dir, 'batch');
    await s.insert([rec(1), rec(2), rec(3)]);
    await s.insert([rec(4, { fields: { user: 'x' } })]);
    expect(n.stats()).toEqual(s.stats());
    expect(n.list({ limit: 5 })).toEqual([]);
    await s.close();
  });

  it('keeps an event stored whole as its envelope text as received, and reads it back as the event', async () => {
    const s = new SqliteBackend('jp', dir, 'always');
    const envelope = '{"time": 1.0, "event": {"n": 1.50, "user": "x"}, "fields": {"dc": "tokyo"}}';
    await s.insert([rec(1, { event: { n: 1.5, user: 'x' }, fields: { dc: 'tokyo' }, envelope }), rec(2, { event: 'raw line' })]);
    const [b, a] = s.list({ limit: 2 });
    expect(a).toMatchObject({ event: { n: 1.5, user: 'x' }, fields: { dc: 'tokyo' } });
    expect(b).toMatchObject({ event: 'raw line', fields: null });
    await s.close();
    // one record for the request: the texts one after the other, and per event its lengths (event JSON, envelope, fields)
    const fd = openSync(join(dir, 'jp', 'events.log'), 'r');
    let at = 0;
    let r = readRecord(fd, at);
    while (r !== null && r.kind !== KIND_CHUNK) r = readRecord(fd, (at += r.size));
    closeSync(fd);
    const c = parseChunk(r!.payload);
    expect(c).toMatchObject({ firstEvent: 1, events: 2, text: `${envelope}"raw line"` });
    expect([...c.lens]).toEqual([-1, envelope.length, -1, '"raw line"'.length, -1, -1]);
  });

  for (const v of ['2', '3'] as const) {
    it(`opens a schema ${v} file (a row per event) and goes on writing in it, ids continuing`, async () => {
      const Database = (await import('better-sqlite3')).default;
      const { mkdirSync } = await import('node:fs');
      const region = `old${v}`;
      mkdirSync(join(dir, region));
      const db = new Database(join(dir, region, 'events.sqlite'));
      db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('region', '${region}'), ('schema', '${v}');
        CREATE TABLE events (id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, tenant TEXT NOT NULL, module TEXT, time REAL,
          host TEXT NOT NULL, source TEXT NOT NULL, sourcetype TEXT NOT NULL, idx TEXT NOT NULL, endpoint TEXT NOT NULL,
          event TEXT ${v === '2' ? 'NOT NULL' : ''}, ${v === '3' ? 'envelope TEXT,' : ''} fields TEXT, classes TEXT NOT NULL,
          dropped INTEGER NOT NULL, flagged INTEGER NOT NULL);
        CREATE INDEX events_module ON events (module, id);
        CREATE TABLE field_classes (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);
        CREATE TABLE item_stats (module TEXT NOT NULL, item TEXT NOT NULL, kept INTEGER NOT NULL DEFAULT 0,
          dropped INTEGER NOT NULL DEFAULT 0, flagged INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (module, item)) WITHOUT ROWID;
        INSERT INTO field_classes VALUES (1, '{"path":"old","item":null,"module":null,"category":"non-personal","by":"none","kind":null,"action":"keep"}');
        INSERT INTO item_stats VALUES ('', '', 2, 0, 0);
        INSERT INTO events (id, received_at, tenant, module, time, host, source, sourcetype, idx, endpoint, event, fields, classes, dropped, flagged)
          VALUES (7, 1, 't', 'fw', 1, 'h', 's', 'st', 'main', 'event', '{"old":true}', '{"f":1}', '1', 0, 0);`);
      if (v === '3') {
        db.exec(`INSERT INTO events (id, received_at, tenant, module, time, host, source, sourcetype, idx, endpoint, event, envelope, classes, dropped, flagged)
          VALUES (9, 2, 't', NULL, NULL, 'h', 's', 'st', 'main', 'event', NULL, '{"event":{"env":1},"fields":{"g":2}}', '1', 0, 0);`);
      }
      db.close();
      const s = new SqliteBackend(region, dir, 'always');
      expect(s.count()).toBe(v === '3' ? 2 : 1);
      await s.insert([rec(1, { envelope: '{"event":{"n":1}}', event: { n: 1 } })]);
      const all = s.list({ limit: 5 });
      expect(all.map((e) => e.id)).toEqual(v === '3' ? [10, 9, 7] : [8, 7]);
      expect(all.at(-1)).toMatchObject({ id: 7, module: 'fw', event: { old: true }, fields: { f: 1 }, classification: [{ path: 'old' }] });
      if (v === '3') expect(all[1]).toMatchObject({ id: 9, module: null, time: null, event: { env: 1 }, fields: { g: 2 } });
      expect(all[0]).toMatchObject({ event: { n: 1 }, classification: rec(1).classification });
      expect(s.list({ module: 'fw', limit: 5 }).map((e) => e.id)).toEqual(v === '3' ? [10, 7] : [8, 7]); // rec(1) is fw too
      expect(s.list({ module: null, limit: 5 }).map((e) => e.id)).toEqual(v === '3' ? [9] : []);
      expect(s.stats().modules.fw).toEqual({ events: 2, droppedFields: 0, flaggedFields: 1 });
      await s.close();
    });
  }

  it('group commit: writes that arrive while a commit runs share the next one (batch), never under always', async () => {
    for (const [fsync, grouped] of [['batch', true], ['always', false]] as const) {
      const s = new SqliteBackend(`grp-${fsync}`, dir, { fsync, batchMs: 0, batchEvents: 5_000 });
      const q = new QueuedRegionStore(`grp-${fsync}`, s, { fsync, batchMs: 0, batchEvents: 5_000, maxQueuedEvents: 100_000 });
      const writes = Array.from({ length: 40 }, (_, i) => q.write([rec(3 * i), rec(3 * i + 1), rec(3 * i + 2)]));
      expect(q.queueDepth()).toBe(120); // accepted, not yet committed
      await Promise.all(writes);
      expect(q.queueDepth()).toBe(0);
      expect(s.count()).toBe(120); // visible to this thread's reader as soon as the writes resolve
      expect(s.list({ limit: 1 })[0].id).toBe(120);
      if (grouped) expect(s.commits).toBeLessThan(40);
      else expect(s.commits).toBe(40);
      await q.close();
    }
  });

  it('batch with batchMs: a commit waits for companions, and starts early once batchEvents wait', async () => {
    const s = new SqliteBackend('grp-wait', dir, { fsync: 'batch', batchMs: 60_000, batchEvents: 4 });
    const first = s.insert([rec(1), rec(2)]);
    let done = false;
    void first.then(() => { done = true; });
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false); // waiting for companions (up to a minute)
    await Promise.all([first, s.insert([rec(3), rec(4)])]); // 4 events wait: committed without the minute
    expect(s.commits).toBe(1);
    expect(s.count()).toBe(4);
    const last = s.insert([rec(5)]); // waits for companions ...
    await s.close(); // ... but closing commits it at once
    await last;
    const again = new SqliteBackend('grp-wait', dir, 'never');
    expect(again.count()).toBe(5);
    await again.close();
  });

  it('writes each event once, to the log: the index beside it stays small', async () => {
    const { statSync, existsSync } = await import('node:fs');
    const s = new SqliteBackend('wal', dir, { fsync: 'batch', batchEvents: 500 });
    const payload = 'x'.repeat(700);
    // all sent at once: each commit runs while the previous one's fdatasync is in flight
    await Promise.all(Array.from({ length: 200 }, (_, w) =>
      s.insert(Array.from({ length: 50 }, (_, i) => rec(w * 50 + i, { event: { payload, w, i } })))));
    expect(s.count()).toBe(10_000);
    const size = (f: string) => (existsSync(join(dir, 'wal', f)) ? statSync(join(dir, 'wal', f)).size : 0);
    expect(size('events.log')).toBeGreaterThan(10_000 * 700);
    expect(size('events.log')).toBeLessThan(10_000 * 1_000); // the text, its lengths and ids: no second copy
    // index rows and totals only (a few pages a commit): a store that kept the texts in SQLite too would write
    // them to its WAL as well, at least the log's size again
    expect(size('events.sqlite') + size('events.sqlite-wal')).toBeLessThan(size('events.log') / 2);
    await s.close();
  });

  it('starts its writer thread with the first insert: a region without events costs no thread', async () => {
    const s = new SqliteBackend('idle', dir, 'batch');
    const writer = () => (s as unknown as { writer: unknown }).writer;
    expect(s.list({ limit: 5 })).toEqual([]);
    expect(s.stats().events).toBe(0);
    expect(writer()).toBeNull();
    await s.insert([rec(1)]);
    expect(writer()).not.toBeNull();
    await s.close();
    const t = new SqliteBackend('idle2', dir, 'batch');
    await t.close(); // never started: closes at once
    expect((t as unknown as { writer: unknown }).writer).toBeNull();
  });

  it('when the writer thread dies, waiting and later inserts fail with a clear error', async () => {
    const s = new SqliteBackend('in', dir, 'always');
    await s.insert([rec(1)]);
    await (s as unknown as { writer: { terminate(): Promise<number> } }).writer.terminate();
    await expect(s.insert([rec(2)])).rejects.toThrow(/writer thread of .*events\.sqlite exited/);
    expect(s.count()).toBe(1); // reads still work
    await s.close();
  });

  it('an unwritable data dir is SIM_ERR_STORE_OPEN naming the file', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    expect(() => new SqliteBackend('us', file, 'always')).toThrow(expect.objectContaining({ code: 'SIM_ERR_STORE_OPEN', message: expect.stringContaining(`${file}/us/events.sqlite`) }));
  });
});
