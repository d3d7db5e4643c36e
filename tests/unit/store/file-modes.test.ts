import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../src/store/sqlite.ts';
import type { StoreRecord } from '../../../src/store/types.ts';
import { batchOf } from '../../../src/store/verdicts.ts';

const put = (s: { append: (b: ReturnType<typeof batchOf>) => Promise<unknown> }, records: Parameters<typeof batchOf>[0]) => s.append(batchOf(records));

const dir = mkdtempSync(join(tmpdir(), 'sim-modes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rec: StoreRecord = {
  receivedAt: 1, tenant: 't', module: null, time: null, host: 'h', source: 's', sourcetype: 'st', index: 'main', endpoint: 'event',
  event: { user: 'alice@example.com' }, fields: null, verdicts: [], dropped: 0, flagged: 0,
};
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
/** Every file and folder under `root` with its mode. */
const modes = (root: string) => Object.fromEntries(readdirSync(root, { recursive: true }).map((f) => [String(f), mode(join(root, String(f)))]));

describe('the data folder is its owner\'s alone: folders 700, files 600', () => {
  it('a new store: region folder, log, index (and its WAL), lock', async () => {
    const old = process.umask(0o022); // the usual umask, which gave 755 and 644
    try {
      const data = join(dir, 'new');
      const s = new SqliteStore('us', data, 'batch');
      await put(s, [rec]);
      expect(mode(join(data, 'us'))).toBe('700');
      expect(mode(data)).toBe('700'); // created by the store
      const open = modes(join(data, 'us'));
      expect(Object.keys(open)).toEqual(expect.arrayContaining(['events.log', 'events.sqlite', 'events.lock', 'events.sqlite-wal']));
      for (const [f, m] of Object.entries(open)) expect([f, m]).toEqual([f, '600']);
      await s.close();
      for (const [f, m] of Object.entries(modes(join(data, 'us')))) expect([f, m]).toEqual([f, '600']);
    } finally {
      process.umask(old);
    }
  });

  it('a store an older version left readable (755, 644) is tightened when it opens', async () => {
    const data = join(dir, 'old');
    const s = new SqliteStore('eu', data, 'batch');
    await put(s, [rec]);
    await s.close();
    chmodSync(join(data, 'eu'), 0o755);
    for (const f of readdirSync(join(data, 'eu'))) chmodSync(join(data, 'eu', f), 0o644);
    writeFileSync(join(data, 'eu', 'events.sqlite-wal'), '', { mode: 0o644 });
    const again = new SqliteStore('eu', data, 'batch');
    expect(mode(join(data, 'eu'))).toBe('700');
    for (const [f, m] of Object.entries(modes(join(data, 'eu')))) expect([f, m]).toEqual([f, '600']);
    expect(again.count()).toBe(1);
    await again.close();
  });
});
