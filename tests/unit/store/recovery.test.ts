// Recovery by record (event-log.ts recover): a torn tail is cut back before anything is appended; a damaged
// record in the middle is quarantined and replaced by a skip record, and every whole record after it is kept.
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/sqlite.ts';
import { chunkRecord, HEADER, KIND_CHUNK, KIND_CLASSES, KIND_SKIP, readRecord } from '../../../src/store/event-log.ts';
import { packRecords } from '../../../src/store/packed.ts';
import type { StoreRecord } from '../../../src/store/types.ts';
import { batchOf } from '../../../src/store/verdicts.ts';

const put = (s: { append: (b: ReturnType<typeof batchOf>) => Promise<unknown> }, records: Parameters<typeof batchOf>[0]) => s.append(batchOf(records));

const dir = mkdtempSync(join(tmpdir(), 'sim-recover-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (region: string, name: string) => join(dir, region, name);

/** Event n; its field's path is new every `fresh` events, so classes records appear all along the log. */
const rec = (n: number): StoreRecord => ({
  receivedAt: 1_700_000_000_000 + n, tenant: 't', module: 'fw', time: n, host: 'h', source: 's', sourcetype: 'st', index: 'main',
  endpoint: 'event', event: { n, pad: 'x'.repeat(40) }, fields: null, dropped: 0, flagged: 0,
  verdicts: [{ path: `f${Math.floor(n / 7)}`, item: null, module: null, category: 'non-personal', by: 'none', kind: null, action: 'keep' }],
});

/** Records of the log: { offset, size, kind }, walking from 0 while they are whole. */
function records(region: string): Array<{ offset: number; size: number; kind: number }> {
  const fd = openSync(file(region, 'events.log'), 'r');
  const out = [];
  try {
    for (let at = 0, r = readRecord(fd, 0); r !== null; at += r.size, r = readRecord(fd, at)) out.push({ offset: at, size: r.size, kind: r.kind });
  } finally {
    closeSync(fd);
  }
  return out;
}

/** A store of `requests` requests of 5 events each (ids 1..5×requests), closed. */
async function make(region: string, requests: number): Promise<void> {
  const s = new SqliteStore(region, dir, 'batch');
  for (let q = 0; q < requests; q++) await put(s, Array.from({ length: 5 }, (_, i) => rec(q * 5 + i + 1)));
  await s.close();
}
const ids = (s: SqliteStore) => s.list({ limit: 1_000_000 }).map((e) => e.id).sort((a, b) => a - b);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
function flip(region: string, at: number, n: number): void {
  const fd = openSync(file(region, 'events.log'), 'r+');
  const buf = Buffer.alloc(n);
  const got = readFileSync(file(region, 'events.log')).subarray(at, at + n);
  for (let i = 0; i < n; i++) buf[i] = got[i] ^ 0xa5;
  writeSync(fd, buf, 0, n, at);
  closeSync(fd);
}
const dropIndex = (region: string) => { for (const f of ['events.sqlite', 'events.sqlite-wal', 'events.sqlite-shm']) rmSync(file(region, f), { force: true }); };

describe('recovery by record', () => {
  it('a tail torn by 5 bytes after a clean close is cut back before new writes are appended; nothing after is lost', async () => {
    await make('tear5', 4);
    const log = file('tear5', 'events.log');
    const before = records('tear5');
    const lastChunk = before.at(-1)!;
    truncateSync(log, statSync(log).size - 5);
    const b = new SqliteStore('tear5', dir, 'batch');
    expect(b.recovered).toMatchObject({ truncated: lastChunk.size - 5, rebuilt: true });
    expect(b.recovered.quarantined).toEqual([{ offset: lastChunk.offset, length: lastChunk.size - 5, reason: 'torn', file: expect.any(String) }]);
    expect(statSync(log).size).toBe(lastChunk.offset);
    expect(ids(b)).toEqual(range(1, 15)); // the torn request's events are gone (their bytes are in quarantine)
    await put(b, [rec(100), rec(101)]);
    await b.close();
    const c = new SqliteStore('tear5', dir, 'batch');
    expect(c.recovered).toEqual({ replayed: 0, truncated: 0, rebuilt: false, quarantined: [] });
    expect(ids(c)).toEqual([...range(1, 15), 21, 22]); // the torn request's ids (acked once) are not given again
    expect(c.list({ limit: 1 })[0].event).toEqual(rec(101).event);
    expect(c.count()).toBe(17);
    await c.close();
    // a rebuild later reads every record, and cuts nothing
    dropIndex('tear5');
    const d = new SqliteStore('tear5', dir, 'batch');
    expect(d.recovered).toMatchObject({ truncated: 0, quarantined: [] });
    expect(ids(d)).toEqual([...range(1, 15), 21, 22]);
    await d.close();
  });

  it('8 damaged bytes in the middle + a rebuild: that record is quarantined, every record after it kept', async () => {
    await make('flip8', 10);
    const before = records('flip8');
    const chunks = before.filter((r) => r.kind === KIND_CHUNK);
    const victim = chunks[4]; // events 21..25
    const original = readFileSync(file('flip8', 'events.log')).subarray(victim.offset, victim.offset + victim.size);
    flip('flip8', victim.offset + 60, 8);
    dropIndex('flip8');
    const b = new SqliteStore('flip8', dir, 'batch');
    expect(b.recovered).toMatchObject({ replayed: 9, truncated: 0 }); // an index built from the whole log
    expect(b.recovered.quarantined).toEqual([{ offset: victim.offset, length: victim.size, reason: 'damaged', file: expect.any(String) }]);
    const q = readFileSync(b.recovered.quarantined[0].file);
    expect(q.length).toBe(victim.size);
    // the quarantine holds clients' data too: its owner's alone
    expect((statSync(join(dir, 'flip8', 'quarantine')).mode & 0o777).toString(8)).toBe('700');
    expect((statSync(b.recovered.quarantined[0].file).mode & 0o777).toString(8)).toBe('600');
    expect(q.subarray(0, 60)).toEqual(original.subarray(0, 60)); // the bytes as they were found
    expect(ids(b)).toEqual([...range(1, 20), ...range(26, 50)]);
    expect(b.count()).toBe(45);
    // in the log, a skip record of the same size: every offset after it unchanged
    expect(records('flip8').map((r) => [r.offset, r.size, r.kind])).toEqual(before.map((r) => [r.offset, r.size, r.offset === victim.offset ? KIND_SKIP : r.kind]));
    await put(b, [rec(200)]);
    await b.close();
    const c = new SqliteStore('flip8', dir, 'batch');
    expect(c.recovered).toEqual({ replayed: 0, truncated: 0, rebuilt: false, quarantined: [] });
    expect(ids(c)).toEqual([...range(1, 20), ...range(26, 51)]);
    await c.close();
  });

  it('a damaged header (magic and length) in the middle: the next whole record is found by scanning', async () => {
    await make('head', 6);
    const chunks = records('head').filter((r) => r.kind === KIND_CHUNK);
    const victim = chunks[2]; // events 11..15
    flip('head', victim.offset, 8);
    dropIndex('head');
    const b = new SqliteStore('head', dir, 'batch');
    expect(b.recovered.quarantined).toMatchObject([{ offset: victim.offset, length: victim.size, reason: 'damaged' }]);
    expect(ids(b)).toEqual([...range(1, 10), ...range(16, 30)]);
    await b.close();
  });

  it('a few stray bytes between two records (too few for a skip record): the rest moves down, the index is rebuilt', async () => {
    await make('stray', 5);
    const log = file('stray', 'events.log');
    const chunks = records('stray').filter((r) => r.kind === KIND_CHUNK);
    const at = chunks[2].offset;
    const bytes = readFileSync(log);
    writeFileSync(log, Buffer.concat([bytes.subarray(0, at), Buffer.from('junk!'), bytes.subarray(at)]));
    const b = new SqliteStore('stray', dir, 'batch');
    expect(b.recovered).toMatchObject({ rebuilt: true, truncated: 0, quarantined: [{ offset: at, length: 5, reason: 'damaged' }] });
    expect(readFileSync(b.recovered.quarantined[0].file, 'latin1')).toBe('junk!');
    expect(readFileSync(log)).toEqual(bytes);
    expect(ids(b)).toEqual(range(1, 25));
    await b.close();
  });

  it('a damaged classes record: the events that name its classifications are kept, shown as lost classifications', async () => {
    await make('cls', 6);
    const classes = records('cls').filter((r) => r.kind === KIND_CLASSES);
    expect(classes.length).toBeGreaterThan(2);
    flip('cls', classes[1].offset + HEADER + 2, 4);
    dropIndex('cls');
    const b = new SqliteStore('cls', dir, 'batch');
    expect(b.recovered.quarantined).toMatchObject([{ offset: classes[1].offset, reason: 'damaged' }]);
    const all = b.list({ limit: 100 });
    expect(all.map((e) => e.id).sort((x, y) => x - y)).toEqual(range(1, 30));
    const lost = all.filter((e) => e.verdicts[0].reason?.includes('damaged log record'));
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.length).toBeLessThan(30);
    await put(b, [rec(300)]); // new classifications get new ids, never a lost one
    const ids2 = new Set(b.list({ limit: 200 }).map((e) => e.verdicts[0].path));
    expect(ids2.has(rec(300).verdicts[0].path)).toBe(true);
    await b.close();
  });

  it('damage after the store opened: list skips the record and reports it; the next rebuild quarantines it', async () => {
    await make('late', 4);
    const victim = records('late').filter((r) => r.kind === KIND_CHUNK)[1];
    const b = new SqliteStore('late', dir, 'batch');
    flip('late', victim.offset + 40, 2);
    expect(ids(b)).toEqual([...range(1, 5), ...range(11, 20)]);
    expect(b.unreadable).toEqual([victim.offset]);
    await b.close();
    dropIndex('late');
    const c = new SqliteStore('late', dir, 'batch');
    expect(c.recovered.quarantined).toMatchObject([{ offset: victim.offset, length: victim.size, reason: 'damaged' }]);
    expect(existsSync(join(dir, 'late', 'quarantine'))).toBe(true);
    expect(readdirSync(join(dir, 'late', 'quarantine'))).toHaveLength(1);
    await c.close();
  });

  it('a chunk of events without fields written by an earlier version (its CRC started again at 0) is read', () => {
    const b = packRecords([{ ...rec(1), verdicts: [] }], () => 0);
    const r = chunkRecord(1, b);
    const all = Buffer.concat(r.buffers);
    const tableAt = HEADER + 24 + 1 * (4 * 8 + 11 * 4);
    all.writeUInt32LE(crc32(all.subarray(tableAt)), 8); // what Node 20's crc32 of the empty ids column left
    const path = join(dir, 'legacy.log');
    writeFileSync(path, all);
    const fd = openSync(path, 'r');
    try {
      expect(readRecord(fd, 0)).toMatchObject({ kind: KIND_CHUNK, size: all.length });
      all[all.length - 1] ^= 1; // and a damaged one is still refused
      writeFileSync(path, all);
      expect(readRecord(openSync(path, 'r'), 0)).toBeNull();
    } finally {
      closeSync(fd);
    }
  });
});
