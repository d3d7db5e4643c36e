import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../../src/pipeline/classify/types.ts';
import { NoneStore } from '../../../src/store/none.ts';
import { SqliteStore } from '../../../src/store/sqlite.ts';
import type { StoreRecord } from '../../../src/store/types.ts';
import { batchOf } from '../../../src/store/verdicts.ts';

/**
 * Issue 14: a classification names an item *and its group*. Office 365 has eight "User principal name" items,
 * one per usage report, told apart only by `group`: the totals count per (module, item, group).
 */
const upn = (path: string, group: string, action: Verdict['action'] = 'keep'): Verdict => ({
  path, item: 'User principal name', module: 'office-365-usage', category: 'direct-identifier', by: 'name', kind: 'upn', group, action,
});
const o365 = (n: number): StoreRecord => ({
  receivedAt: 1_700_000_000_000 + n, tenant: 't', module: 'office-365-usage', time: n, host: 'h', source: 's', sourcetype: 'o365:reports',
  index: 'main', endpoint: 'event', event: { onedrive: { upn: 'a@example.com' }, sharepoint: { upn: 'a@example.com' }, n }, fields: null,
  verdicts: [
    upn('onedrive.upn', 'OneDrive activity report'),
    upn('sharepoint.upn', 'SharePoint activity report', n % 2 ? 'keep' : 'flag'),
    { path: 'n', item: null, module: null, category: 'non-personal', by: 'none', kind: null, action: 'flag', reason: 'undeclared' },
  ],
  dropped: 0, flagged: 1 + (n % 2 ? 0 : 1),
});
const expected = [
  { module: null, item: null, kept: 0, dropped: 0, flagged: 3 },
  { module: 'office-365-usage', item: 'User principal name', group: 'OneDrive activity report', kept: 3, dropped: 0, flagged: 0 },
  { module: 'office-365-usage', item: 'User principal name', group: 'SharePoint activity report', kept: 2, dropped: 0, flagged: 1 },
];

const dir = mkdtempSync(join(tmpdir(), 'sim-groups-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('per-group stats', () => {
  it('an Office 365 event with two UPN fields of different groups gives two stats entries (none and SQLite stores, and after a restart)', async () => {
    const none = new NoneStore('us');
    await none.append(batchOf([o365(1), o365(2)]));
    await none.append(batchOf([o365(3)]));
    expect(none.stats().items).toEqual(expected);

    const s = new SqliteStore('groups', dir, 'always');
    await s.append(batchOf([o365(1), o365(2)]));
    await s.append(batchOf([o365(3)]));
    expect(s.stats().items).toEqual(expected);
    await s.close();
    const again = new SqliteStore('groups', dir, 'never');
    expect(again.stats().items).toEqual(expected);
    await again.close();
    const db = new Database(join(dir, 'groups', 'events.sqlite'), { readonly: true });
    expect(db.prepare("SELECT grp, kept, flagged FROM item_stats WHERE module = 'office-365-usage' ORDER BY grp").all())
      .toEqual([{ grp: 'OneDrive activity report', kept: 3, flagged: 0 }, { grp: 'SharePoint activity report', kept: 2, flagged: 1 }]);
    db.close();
  });

  it('a schema 5 folder (totals per module and item) opens as schema 6 with the same counts, per group', async () => {
    // a folder as the previous version left it: the same log, an item_stats without groups, schema 5
    const s = new SqliteStore('five', dir, 'batch');
    await s.append(batchOf([o365(1), o365(2)]));
    await s.append(batchOf([o365(3)]));
    const before = s.stats();
    await s.close();
    const db = new Database(join(dir, 'five', 'events.sqlite'));
    db.exec(`DROP TABLE item_stats;
      CREATE TABLE item_stats (module TEXT NOT NULL, item TEXT NOT NULL, kept INTEGER NOT NULL DEFAULT 0, dropped INTEGER NOT NULL DEFAULT 0,
        flagged INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (module, item)) WITHOUT ROWID;
      INSERT INTO item_stats VALUES ('', '', 0, 0, 3), ('office-365-usage', 'User principal name', 5, 0, 1);
      UPDATE meta SET value = '5' WHERE key = 'schema';`);
    db.close();

    const six = new SqliteStore('five', dir, 'batch');
    expect(six.stats()).toEqual(before);
    expect(six.stats().items).toEqual(expected);
    expect(six.count()).toBe(3);
    await six.append(batchOf([o365(4)])); // and goes on
    expect(six.stats().items[2]).toMatchObject({ group: 'SharePoint activity report', flagged: 2 });
    await six.close();
    const check = new Database(join(dir, 'five', 'events.sqlite'), { readonly: true });
    expect(check.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get()).toBe('7'); // and on to schema 7 (chunks.modules)
    check.close();
    const reopened = new SqliteStore('five', dir, 'never'); // counted once: the recount was stored
    expect(reopened.count()).toBe(4);
    expect(reopened.stats().modules['office-365-usage'].events).toBe(4);
    await reopened.close();
  });
});
