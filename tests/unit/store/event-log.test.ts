import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, closeSync, copyFileSync, existsSync, writeFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { NoneStore } from '../../../src/store/none.ts';
import { SqliteStore } from '../../../src/store/sqlite.ts';
import { KIND_CHUNK, readRecord } from '../../../src/store/event-log.ts';
import type { StoreRecord } from '../../../src/store/types.ts';
import { batchOf } from '../../../src/store/verdicts.ts';

const put = (s: { append: (b: ReturnType<typeof batchOf>) => Promise<unknown> }, records: Parameters<typeof batchOf>[0]) => s.append(batchOf(records));

const rec = (n: number, over: Partial<StoreRecord> = {}): StoreRecord => ({
  receivedAt: 1_700_000_000_000 + n, tenant: 't', module: n % 2 ? 'fw' : null, time: n, host: 'h', source: 's', sourcetype: 'st',
  index: 'main', endpoint: 'event', event: { n, note: 'ü€' }, fields: n % 4 ? null : { dc: `d${n}` },
  verdicts: [
    { path: 'n', item: null, module: null, category: 'non-personal', by: 'none', kind: null, action: 'flag', reason: 'undeclared' },
    { path: 'ip', item: 'IP', module: 'fw', category: 'online-identifier', by: 'name', kind: 'ip', action: n % 3 ? 'keep' : 'drop' },
  ],
  dropped: n % 3 ? 0 : 1, flagged: 1, ...over,
});
const batch = (from: number, n: number) => Array.from({ length: n }, (_, i) => rec(from + i));

const dir = mkdtempSync(join(tmpdir(), 'sim-log-'));
const LOCK_CHILD = fileURLToPath(new URL('../../helpers/lock-child.ts', import.meta.url));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (region: string, name: string) => join(dir, region, name);

/** Offsets of the chunk records of a region's log, in order. */
function chunkOffsets(region: string): number[] {
  const fd = openSync(file(region, 'events.log'), 'r');
  const out: number[] = [];
  try {
    for (let at = 0, r = readRecord(fd, 0); r !== null; at += r.size, r = readRecord(fd, at)) if (r.kind === KIND_CHUNK) out.push(at);
  } finally {
    closeSync(fd);
  }
  return out;
}

describe('event log: the index is brought in step with the log when the store opens', () => {
  it('an index that lost its newest commits reads them again from the log', async () => {
    const a = new SqliteStore('lost', dir, 'always');
    await put(a, batch(1, 3));
    await a.close();
    copyFileSync(file('lost', 'events.sqlite'), join(dir, 'lost-index-then'));
    const b = new SqliteStore('lost', dir, 'always');
    await put(b, batch(4, 1));
    await put(b, batch(5, 2));
    const stats = b.stats();
    const events = b.list({ limit: 10 });
    await b.close();
    // the index as it was after the first commit: as if the power went before it reached the disk
    copyFileSync(join(dir, 'lost-index-then'), file('lost', 'events.sqlite'));
    rmSync(file('lost', 'events.sqlite-wal'), { force: true });
    rmSync(file('lost', 'events.sqlite-shm'), { force: true });
    const c = new SqliteStore('lost', dir, 'always');
    expect(c.recovered).toEqual({ replayed: 2, truncated: 0, rebuilt: false, quarantined: [] });
    expect(c.count()).toBe(6);
    expect(c.stats()).toEqual(stats);
    expect(c.list({ limit: 10 })).toEqual(events);
    await put(c, batch(7, 1)); // ids go on after the replayed ones
    expect(c.list({ limit: 1 })[0].id).toBe(7);
    await c.close();
  });

  it('totals are stored once a second: a writer stopped before that (killed) loses no count, the log has them', async () => {
    const a = new SqliteStore('totals', dir, 'always');
    await put(a, batch(1, 3));
    await put(a, batch(4, 2));
    const stats = a.stats(); // live: from the commits' replies
    expect(stats.events).toBe(5);
    await (a as unknown as { writer: { terminate(): Promise<number> } }).writer.terminate();
    await a.close();
    const db = new Database(file('totals', 'events.sqlite'), { readonly: true });
    const stored = db.prepare('SELECT COUNT(*) AS n FROM module_stats').get() as { n: number };
    db.close();
    expect(stored.n).toBe(0); // not yet written when the writer stopped
    const b = new SqliteStore('totals', dir, 'always');
    expect(b.recovered).toEqual({ replayed: 0, truncated: 0, rebuilt: false, quarantined: [] });
    expect(b.stats()).toEqual(stats);
    await b.close();
    const c = new SqliteStore('totals', dir, 'never'); // counted once: the recount was stored
    expect(c.stats()).toEqual(stats);
    await c.close();
  });

  it('the writer stores the totals every totalsMs while it runs', async () => {
    const a = new SqliteStore('tick', dir, { fsync: 'batch', totalsMs: 50 });
    await put(a, batch(1, 3));
    const db = new Database(file('tick', 'events.sqlite'), { readonly: true });
    const stored = () => db.prepare('SELECT module, events FROM module_stats ORDER BY module').all();
    for (let i = 0; i < 100 && stored().length === 0; i++) await new Promise((r) => setTimeout(r, 20)); // bounded: 2 s
    expect(stored()).toEqual([{ module: '', events: 1 }, { module: 'fw', events: 2 }]);
    db.close();
    await a.close();
  });

  it('a record cut short at the end (a write that never completed, never answered) is cut off; writing goes on', async () => {
    const a = new SqliteStore('torn', dir, 'batch');
    await put(a, batch(1, 2));
    await put(a, batch(3, 2));
    await a.close();
    const log = file('torn', 'events.log');
    const whole = statSync(log).size;
    const last = chunkOffsets('torn').at(-1)!;
    appendFileSync(log, readFileSync(log).subarray(last, last + 60)); // the start of a record, no more
    const b = new SqliteStore('torn', dir, 'batch');
    expect(b.recovered).toEqual({ replayed: 0, truncated: 60, rebuilt: false, quarantined: [{ offset: whole, length: 60, reason: 'torn', file: expect.any(String) }] });
    expect(readFileSync(b.recovered.quarantined[0].file)).toEqual(readFileSync(log).subarray(last, last + 60)); // kept aside, not lost
    expect(statSync(log).size).toBe(whole);
    await put(b, batch(5, 1));
    await b.close();
    const c = new SqliteStore('torn', dir, 'never');
    expect(c.recovered).toEqual({ replayed: 0, truncated: 0, rebuilt: false, quarantined: [] });
    expect(c.list({ limit: 10 }).map((e) => e.id)).toEqual([5, 4, 3, 2, 1]);
    expect(c.list({ limit: 1 })[0].event).toEqual(rec(5).event);
    await c.close();
  });

  it('an index row whose record is not whole on disk (the power went): the index is built again from the log', async () => {
    const a = new SqliteStore('power', dir, 'batch');
    await put(a, batch(1, 3));
    await put(a, batch(4, 2));
    await a.close();
    // the second record half on disk, and an index that says nothing was known to be synced
    truncateSync(file('power', 'events.log'), chunkOffsets('power')[1] + 100);
    const db = new Database(file('power', 'events.sqlite'));
    db.prepare("UPDATE meta SET value = '0' WHERE key = 'log_synced'").run();
    db.close();
    const b = new SqliteStore('power', dir, 'batch');
    expect(b.recovered).toMatchObject({ replayed: 1, rebuilt: true });
    expect(b.recovered.truncated).toBeGreaterThan(0);
    const only = new NoneStore();
    put(only, batch(1, 3));
    expect(b.stats()).toEqual(only.stats()); // the totals are those of what the log holds
    expect(b.list({ limit: 10 }).map((e) => e.id)).toEqual([3, 2, 1]);
    await put(b, batch(4, 1));
    expect(b.list({ limit: 1 })[0]).toMatchObject({ id: 4, event: rec(4).event, fields: rec(4).fields });
    await b.close();
  });

  it('a commit that fails leaves nothing in the log: its request is not read again at the next open', async () => {
    const a = new SqliteStore('fail', dir, 'always');
    await put(a, batch(1, 2));
    const size = statSync(file('fail', 'events.log')).size;
    const other = new Database(file('fail', 'events.sqlite'));
    other.exec("CREATE TRIGGER refuse BEFORE INSERT ON chunks BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    await expect(put(a, batch(3, 2))).rejects.toThrow(/injected failure/);
    expect(statSync(file('fail', 'events.log')).size).toBe(size);
    other.exec('DROP TRIGGER refuse');
    other.close();
    await put(a, batch(5, 1));
    await a.close();
    const b = new SqliteStore('fail', dir, 'always');
    expect(b.recovered).toEqual({ replayed: 0, truncated: 0, rebuilt: false, quarantined: [] });
    expect(b.list({ limit: 10 }).map((e) => (e.event as { n: number }).n)).toEqual([5, 2, 1]);
    expect(b.list({ limit: 10 }).map((e) => e.id)).toEqual([3, 2, 1]); // the failed commit's ids were given again
    await b.close();
  });

  it('a schema 4 file (texts in SQLite) moves its chunks to the log and goes on', async () => {
    mkdirSync(join(dir, 'old4'));
    const db = new Database(file('old4', 'events.sqlite'));
    const envelope = '{"event":{"a":1},"fields":{"f":"x"}}';
    db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta VALUES ('region', 'old4'), ('schema', '4');
      CREATE TABLE chunks (id INTEGER PRIMARY KEY, first_event INTEGER NOT NULL UNIQUE, events INTEGER NOT NULL, body TEXT NOT NULL, meta TEXT NOT NULL);
      CREATE TABLE chunk_modules (module TEXT NOT NULL, chunk INTEGER NOT NULL, PRIMARY KEY (module, chunk)) WITHOUT ROWID;
      CREATE TABLE module_stats (module TEXT PRIMARY KEY, events INTEGER NOT NULL DEFAULT 0, dropped INTEGER NOT NULL DEFAULT 0, flagged INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
      CREATE TABLE field_classes (id INTEGER PRIMARY KEY, json TEXT NOT NULL UNIQUE);
      CREATE TABLE item_stats (module TEXT NOT NULL, item TEXT NOT NULL, kept INTEGER NOT NULL DEFAULT 0, dropped INTEGER NOT NULL DEFAULT 0,
        flagged INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (module, item)) WITHOUT ROWID;
      INSERT INTO field_classes VALUES (1, '{"path":"a","item":null,"module":null,"category":"non-personal","by":"none","kind":null,"action":"keep"}');
      INSERT INTO module_stats VALUES ('fw', 1, 0, 0), ('', 1, 1, 0);
      INSERT INTO item_stats VALUES ('', '', 2, 0, 0);
      INSERT INTO chunk_modules VALUES ('fw', 1), ('', 1);`);
    const meta = [
      [envelope.length, 1, 'fw', 5.5, 'h1', 's1', 'st1', 'main', 0, 0, null, '1', 1000, 't', 'event'],
      ['{"b":2}'.length, 0, null, null, 'h2', 's2', 'st2', 'other', 1, 0, '{"g":3}', '1', 1001, 't', 'raw'],
    ];
    db.prepare('INSERT INTO chunks VALUES (1, 11, 2, ?, ?)').run(`${envelope}{"b":2}`, JSON.stringify(meta));
    db.close();
    const s = new SqliteStore('old4', dir, 'always');
    expect(s.list({ limit: 5 })).toMatchObject([
      { id: 12, module: null, time: null, host: 'h2', index: 'other', endpoint: 'raw', event: { b: 2 }, fields: { g: 3 }, dropped: 1, verdicts: [{ path: 'a' }] },
      { id: 11, module: 'fw', time: 5.5, host: 'h1', event: { a: 1 }, fields: { f: 'x' }, receivedAt: 1000, verdicts: [{ path: 'a' }] },
    ]);
    expect(s.stats().modules).toEqual({ fw: { events: 1, droppedFields: 0, flaggedFields: 0 }, '': { events: 1, droppedFields: 1, flaggedFields: 0 } });
    await put(s, batch(1, 1));
    expect(s.list({ limit: 1 })[0].id).toBe(13);
    await s.close();
    const check = new Database(file('old4', 'events.sqlite'), { readonly: true });
    const columns = (check.prepare('PRAGMA table_info(chunks)').all() as Array<{ name: string }>).map((c) => c.name);
    check.close();
    expect(columns).toEqual(['id', 'first_event', 'events', 'log_offset', 'log_length', 'modules']);
    expect(chunkOffsets('old4')).toHaveLength(2);
  });

  it('a schema 6 file (chunk_modules rows) moves each chunk\'s modules into its row; a module\'s chunks are found as before', async () => {
    const a = new SqliteStore('old6', dir, 'always');
    await put(a, [rec(1), rec(2)]); // fw and none
    await put(a, [rec(4)]); // none only
    await put(a, [rec(5), rec(7)]); // fw only
    const before = { all: a.list({ limit: 10 }), fw: a.list({ module: 'fw', limit: 10 }), none: a.list({ module: null, limit: 10 }), stats: a.stats() };
    await a.close();
    // the same index as schema 6 wrote it: a row per (module, chunk), no modules column
    const db = new Database(file('old6', 'events.sqlite'));
    db.exec(`CREATE TABLE chunk_modules (module TEXT NOT NULL, chunk INTEGER NOT NULL, PRIMARY KEY (module, chunk)) WITHOUT ROWID;
      INSERT INTO chunk_modules (module, chunk) SELECT 'fw', id FROM chunks WHERE instr(char(10) || modules, char(10) || 'fw' || char(10)) > 0;
      INSERT INTO chunk_modules (module, chunk) SELECT '', id FROM chunks WHERE instr(char(10) || modules, char(10) || char(10)) > 0;
      ALTER TABLE chunks DROP COLUMN modules;
      UPDATE meta SET value = '6' WHERE key = 'schema';`);
    expect(db.prepare('SELECT COUNT(*) FROM chunk_modules').pluck().get()).toBe(4);
    db.close();
    const b = new SqliteStore('old6', dir, 'always');
    expect(b.recovered).toEqual({ replayed: 0, truncated: 0, rebuilt: false, quarantined: [] });
    expect(b.list({ module: 'fw', limit: 10 }).map((e) => e.id)).toEqual([5, 4, 1]);
    expect(b.list({ module: null, limit: 10 }).map((e) => e.id)).toEqual([3, 2]);
    expect(b.list({ module: 'other', limit: 10 })).toEqual([]);
    expect({ all: b.list({ limit: 10 }), fw: b.list({ module: 'fw', limit: 10 }), none: b.list({ module: null, limit: 10 }), stats: b.stats() }).toEqual(before);
    await put(b, [rec(9)]);
    expect(b.list({ module: 'fw', limit: 2 }).map((e) => e.id)).toEqual([6, 5]);
    await b.close();
    const check = new Database(file('old6', 'events.sqlite'), { readonly: true });
    const tables = check.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'chunk_modules'").all();
    const rows = check.prepare('SELECT modules FROM chunks ORDER BY id').pluck().all();
    const schema = check.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get();
    check.close();
    expect(tables).toEqual([]);
    expect(rows.map((m) => (m as string).split('\n').sort())).toEqual([['', '', 'fw'], ['', ''], ['', 'fw'], ['', 'fw']]);
    expect(schema).toBe('7');
  });
});

describe('one process at a time writes a region folder (events.lock)', () => {
  it('refuses a second open in this process or while another live process holds it; takes over a dead holder\'s lock', async () => {
    const lock = file('lock', 'events.lock');
    const a = new SqliteStore('lock', dir, 'batch');
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid}\n`);
    expect(() => new SqliteStore('lock', dir, 'batch')).toThrow(expect.objectContaining({ code: 'SIM_ERR_STORE_OPEN', message: expect.stringContaining('open in this process already') }));
    await put(a, batch(1, 2)); // the refused open changed nothing
    await a.close();
    expect(existsSync(lock)).toBe(false);
    // another process (alive) holds it (the OS lock, flock): two writers would cut off each other's records
    const other = spawn(process.execPath, ['--import', 'tsx', LOCK_CHILD, 'hold', join(dir, 'lock')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = await once(other.stdout!, 'data');
      expect(String(line)).toBe(`locked ${other.pid}\n`);
      expect(readFileSync(lock, 'utf8')).toBe(`${other.pid}\n`);
      expect(() => new SqliteStore('lock', dir, 'batch')).toThrow(expect.objectContaining({ message: expect.stringContaining(`in use by process ${other.pid}`) }));
    } finally {
      other.kill('SIGKILL');
    }
    await once(other, 'exit');
    // its holder is gone (killed): the kernel released its lock, taken over at once
    const b = new SqliteStore('lock', dir, 'batch');
    expect(readFileSync(lock, 'utf8')).toBe(`${process.pid}\n`);
    expect(b.count()).toBe(2);
    await b.close();
  });
});
