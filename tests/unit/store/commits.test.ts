import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NoneStore } from '../../../src/store/none.ts';
import { KIND_CHUNK, parseChunk, readRecord } from '../../../src/store/event-log.ts';
import { SqliteStore } from '../../../src/store/sqlite.ts';
import type { StoreRecord } from '../../../src/store/types.ts';
import { batchOf } from '../../../src/store/verdicts.ts';

const put = (s: { append: (b: ReturnType<typeof batchOf>) => Promise<unknown> }, records: Parameters<typeof batchOf>[0]) => s.append(batchOf(records));

const rec = (n: number, over: Partial<StoreRecord> = {}): StoreRecord => ({
  receivedAt: 1_700_000_000_000 + n, tenant: 't', module: n % 2 ? 'fw' : null, time: n, host: 'h', source: 's', sourcetype: 'st',
  index: 'main', endpoint: 'event', event: { n }, fields: null,
  verdicts: [
    { path: 'n', item: null, module: null, category: 'non-personal', by: 'none', kind: null, action: 'flag', reason: 'undeclared' },
    { path: 'ip', item: 'IP', module: 'fw', category: 'online-identifier', by: 'name', kind: 'ip', action: n % 3 ? 'keep' : 'drop' },
  ],
  dropped: n % 3 ? 0 : 1, flagged: 1, ...over,
});

// The bound and the commits of a request (commits.ts), on the stores themselves: group commit is the writer's
// (src/workers/store-writer.ts), and the none store takes each batch at once.
describe('commits and the bounded queue', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-commits-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fsync always: one commit per append, resolved after it', async () => {
    const s = new SqliteStore('q-always', dir, { fsync: 'always', batchMs: 1000, batchEvents: 100, maxQueuedEvents: 100 });
    await Promise.all([put(s, [rec(1), rec(2)]), put(s, [rec(3)]), put(s, [rec(4)])]);
    expect(s.commits).toBe(3);
    expect(s.count()).toBe(4);
    expect(s.queueDepth()).toBe(0);
    await s.close();
  });

  it('fsync batch: group commit of every waiting append after batchMs, or at batchEvents', async () => {
    const s = new SqliteStore('q-batch', dir, { fsync: 'batch', batchMs: 20, batchEvents: 5, maxQueuedEvents: 100 });
    const p = [put(s, [rec(1)]), put(s, [rec(2)]), put(s, [rec(3)])];
    expect(s.queueDepth()).toBe(3);
    expect(s.commits).toBe(0);
    await Promise.all(p);
    expect(s.commits).toBe(1);
    const big = [put(s, [rec(4), rec(5), rec(6)]), put(s, [rec(7), rec(8)])]; // reaches 5: commits without waiting 20 ms
    const t0 = Date.now();
    await Promise.all(big);
    expect(s.commits).toBe(2);
    expect(Date.now() - t0).toBeLessThan(1000); // generous: only that it did not wait for a long timer
    await s.close();
  });

  it('refuses appends beyond the bound with SIM_ERR_HEC_BUSY, but takes an oversized one into an empty queue', async () => {
    const s = new SqliteStore('q-bound', dir, { fsync: 'batch', batchMs: 20, batchEvents: 100, maxQueuedEvents: 3 });
    const a = put(s, [rec(1), rec(2)]);
    await expect(put(s, [rec(3), rec(4)])).rejects.toMatchObject({ code: 'SIM_ERR_HEC_BUSY', statusCode: 503, hecCode: 9 });
    const c = put(s, [rec(5)]);
    expect(s.isFull()).toBe(true);
    expect(() => s.admit()).toThrow(expect.objectContaining({ code: 'SIM_ERR_HEC_BUSY' })); // a producer thread's request too
    await Promise.all([a, c]);
    expect(s.isFull()).toBe(false);
    await put(s, [rec(6), rec(7), rec(8), rec(9)]); // bigger than the bound, queue empty: taken
    expect(s.count()).toBe(7);
    await s.close();
  });

  it('a failing commit rejects its appends with an internal error and the store goes on', async () => {
    const s = new SqliteStore('q-fail', dir, { fsync: 'always', maxQueuedEvents: 10 });
    await put(s, [rec(0)]);
    const Database = (await import('better-sqlite3')).default;
    const other = new Database(join(dir, 'q-fail', 'events.sqlite'));
    other.exec("CREATE TRIGGER refuse BEFORE INSERT ON chunks BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    await expect(put(s, [rec(1)])).rejects.toMatchObject({ code: 'SIM_ERR_HEC_INTERNAL', message: expect.stringMatching(/disk full/) });
    other.exec('DROP TRIGGER refuse');
    other.close();
    await put(s, [rec(2)]);
    expect(s.count()).toBe(2);
    expect(s.queueDepth()).toBe(0);
    await s.close();
  });

  it('the none store takes each append at once, with no group-commit timer', async () => {
    const q = new NoneStore('us', 10);
    const w = put(q, [rec(1), rec(2)]);
    expect(q.count()).toBe(2); // counted before the promise settles: no turn of the event loop, no timer
    expect(q.queueDepth()).toBe(0);
    await w;
    await put(q, Array.from({ length: 20 }, (_, i) => rec(i))); // the bound is for commits that wait: none wait here
    expect(q.count()).toBe(22);
    await q.close();
    await expect(put(q, [rec(3)])).rejects.toMatchObject({ hecCode: 23 });
  });

  it('close() commits what waits, then refuses new appends with code 23', async () => {
    const s = new SqliteStore('q-close', dir, { fsync: 'batch', batchMs: 10_000, batchEvents: 100, maxQueuedEvents: 100 });
    const w = put(s, [rec(1), rec(2)]);
    await s.close();
    await w;
    expect(s.commits).toBe(1);
    await expect(put(s, [rec(3)])).rejects.toMatchObject({ hecCode: 23 });
  });
});

describe('SqliteStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-sqlite-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips records, lists newest first with module filters, aggregates stats', async () => {
    const s = new SqliteStore('us', dir, 'always');
    await put(s, [rec(1), rec(2), rec(3)]);
    await put(s, [rec(4, { fields: { user: 'x' } })]);
    const all = s.list({ limit: 10 });
    expect(all.map((e) => e.id)).toEqual([4, 3, 2, 1]);
    expect(all[0]).toMatchObject({ region: 'us', event: { n: 4 }, fields: { user: 'x' }, module: null, time: 4 });
    expect(all[0].verdicts[1]).toMatchObject({ path: 'ip', action: 'keep' });
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
    const again = new SqliteStore('us', dir, 'never');
    expect(again.count()).toBe(4);
    expect(again.stats()).toEqual(st);
    await put(again, [rec(5)]); // ids of classifications made before the restart are reused, not duplicated
    expect(again.list({ limit: 1 })[0].verdicts).toEqual(rec(5).verdicts);
    await again.close();
  });

  it('the none backend gives the same stats from memory', async () => {
    const n = new NoneStore();
    put(n, [rec(1), rec(2), rec(3)]);
    put(n, [rec(4, { fields: { user: 'x' } })]);
    const s = new SqliteStore('eu', dir, 'batch');
    await put(s, [rec(1), rec(2), rec(3)]);
    await put(s, [rec(4, { fields: { user: 'x' } })]);
    expect(n.stats()).toEqual(s.stats());
    expect(n.list({ limit: 5 })).toEqual([]);
    await s.close();
  });

  it('stats read between commits and after them count every field once, as the none store and a reopened store do', async () => {
    // the writer's replies count fields per class id (its class told once); stats() adds them per item when read
    const n = new NoneStore();
    const s = new SqliteStore('between', dir, 'batch');
    for (let i = 1; i <= 12; i += 3) {
      const records = [rec(i), rec(i + 1, { verdicts: [...rec(i + 1).verdicts, { path: `x${i}`, item: 'E', module: 'fw', category: 'direct-identifier', by: 'name', kind: 'email', action: 'flag' }] }), rec(i + 2)];
      put(n, records);
      await put(s, records);
      expect(s.stats()).toEqual(n.stats());
    }
    const st = s.stats();
    expect(st.items.reduce((a, r) => a + r.kept + r.dropped + r.flagged, 0)).toBe(12 * 2 + 4);
    await s.close();
    const again = new SqliteStore('between', dir, 'batch');
    expect(again.stats()).toEqual(st);
    await again.close();
  });

  it('keeps an event stored whole as its envelope text as received, and reads it back as the event', async () => {
    const s = new SqliteStore('jp', dir, 'always');
    const envelope = '{"time": 1.0, "event": {"n": 1.50, "user": "x"}, "fields": {"dc": "tokyo"}}';
    await put(s, [rec(1, { event: { n: 1.5, user: 'x' }, fields: { dc: 'tokyo' }, envelope }), rec(2, { event: 'raw line' })]);
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
      const s = new SqliteStore(region, dir, 'always');
      expect(s.count()).toBe(v === '3' ? 2 : 1);
      await put(s, [rec(1, { envelope: '{"event":{"n":1}}', event: { n: 1 } })]);
      const all = s.list({ limit: 5 });
      expect(all.map((e) => e.id)).toEqual(v === '3' ? [10, 9, 7] : [8, 7]);
      expect(all.at(-1)).toMatchObject({ id: 7, module: 'fw', event: { old: true }, fields: { f: 1 }, verdicts: [{ path: 'old' }] });
      if (v === '3') expect(all[1]).toMatchObject({ id: 9, module: null, time: null, event: { env: 1 }, fields: { g: 2 } });
      expect(all[0]).toMatchObject({ event: { n: 1 }, verdicts: rec(1).verdicts });
      expect(s.list({ module: 'fw', limit: 5 }).map((e) => e.id)).toEqual(v === '3' ? [10, 7] : [8, 7]); // rec(1) is fw too
      expect(s.list({ module: null, limit: 5 }).map((e) => e.id)).toEqual(v === '3' ? [9] : []);
      expect(s.stats().modules.fw).toEqual({ events: 2, droppedFields: 0, flaggedFields: 1 });
      await s.close();
    });
  }

  it('group commit: writes that arrive while a commit runs share the next one (batch), never under always', async () => {
    for (const [fsync, grouped] of [['batch', true], ['always', false]] as const) {
      const s = new SqliteStore(`grp-${fsync}`, dir, { fsync, batchMs: 0, batchEvents: 5_000 });
      const q = s;
      const writes = Array.from({ length: 40 }, (_, i) => put(q, [rec(3 * i), rec(3 * i + 1), rec(3 * i + 2)]));
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
    const s = new SqliteStore('grp-wait', dir, { fsync: 'batch', batchMs: 60_000, batchEvents: 4 });
    const first = put(s, [rec(1), rec(2)]);
    let done = false;
    void first.then(() => { done = true; });
    await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false); // waiting for companions (up to a minute)
    await Promise.all([first, put(s, [rec(3), rec(4)])]); // 4 events wait: committed without the minute
    expect(s.commits).toBe(1);
    expect(s.count()).toBe(4);
    const last = put(s, [rec(5)]); // waits for companions ...
    await s.close(); // ... but closing commits it at once
    await last;
    const again = new SqliteStore('grp-wait', dir, 'never');
    expect(again.count()).toBe(5);
    await again.close();
  });

  it('writes each event once, to the log: the index beside it stays small', async () => {
    const { statSync, existsSync } = await import('node:fs');
    const s = new SqliteStore('wal', dir, { fsync: 'batch', batchEvents: 500 });
    const payload = 'x'.repeat(700);
    // all sent at once: each commit runs while the previous one's fdatasync is in flight
    await Promise.all(Array.from({ length: 200 }, (_, w) =>
      put(s, Array.from({ length: 50 }, (_, i) => rec(w * 50 + i, { event: { payload, w, i } })))));
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
    const s = new SqliteStore('idle', dir, 'batch');
    const writer = () => (s as unknown as { writer: unknown }).writer;
    expect(s.list({ limit: 5 })).toEqual([]);
    expect(s.stats().events).toBe(0);
    expect(writer()).toBeNull();
    await put(s, [rec(1)]);
    expect(writer()).not.toBeNull();
    await s.close();
    const t = new SqliteStore('idle2', dir, 'batch');
    await t.close(); // never started: closes at once
    expect((t as unknown as { writer: unknown }).writer).toBeNull();
  });

  it('when the writer thread dies, waiting and later inserts fail with a clear error', async () => {
    const s = new SqliteStore('in', dir, 'always');
    await put(s, [rec(1)]);
    await (s as unknown as { writer: { terminate(): Promise<number> } }).writer.terminate();
    await expect(put(s, [rec(2)])).rejects.toThrow(/writer thread of .*events\.sqlite exited/);
    expect(s.count()).toBe(1); // reads still work
    await s.close();
  });

  it('an unwritable data dir is SIM_ERR_STORE_OPEN naming the file', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');
    expect(() => new SqliteStore('us', file, 'always')).toThrow(expect.objectContaining({ code: 'SIM_ERR_STORE_OPEN', message: expect.stringContaining(`${file}/us/events.sqlite`) }));
  });

  // Node's mkdirSync(…, { recursive: true }) spun forever on such a folder (src/fs/make-dir.ts): a hang is this test's timeout
  it.runIf(process.platform === 'linux')('a data dir under /proc, which cannot be made, is SIM_ERR_STORE_OPEN at once', () => {
    expect(() => new SqliteStore('us', '/proc/ingestor-sim-test', 'always')).toThrow(expect.objectContaining({ code: 'SIM_ERR_STORE_OPEN', message: expect.stringContaining("ENOENT: no such file or directory, mkdir '/proc/ingestor-sim-test'") }));
  });
});
