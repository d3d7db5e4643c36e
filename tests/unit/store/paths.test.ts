import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { NoneStore } from '../../../src/store/none.ts';
import { foldPath, OVERFLOW_PATH, PathShapes } from '../../../src/store/paths.ts';
import { SqliteStore } from '../../../src/store/sqlite.ts';
import { packRecords } from '../../../src/store/packed.ts';
import { VerdictList } from '../../../src/store/verdicts.ts';
import type { Verdict } from '../../../src/pipeline/classify/types.ts';
import type { StoreRecord } from '../../../src/store/types.ts';
import { batchOf } from '../../../src/store/verdicts.ts';

const put = (s: { append: (b: ReturnType<typeof batchOf>) => Promise<unknown> }, records: Parameters<typeof batchOf>[0]) => s.append(batchOf(records));

const dir = mkdtempSync(join(tmpdir(), 'sim-paths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('path shapes', () => {
  it('fold array indexes and numeric segments, nothing else', () => {
    expect(foldPath('tags[3]')).toBe('tags[]');
    expect(foldPath('a[10].b[2][7].c')).toBe('a[].b[][].c');
    expect(foldPath('metrics.1712.value')).toBe('metrics.#.value');
    expect(foldPath('0.x')).toBe('#.x');
    expect(foldPath('x.42')).toBe('x.#');
    expect(foldPath('hosts.12[3]')).toBe('hosts.#[]');
    // digits inside a name are part of the name (cs1, ipv4, user2fa)
    expect(foldPath('cs1')).toBe('cs1');
    expect(foldPath('ipv4.addr')).toBe('ipv4.addr');
    expect(foldPath('x.1a.y')).toBe('x.1a.y');
    expect(foldPath('src_ip')).toBe('src_ip');
  });

  it('keep at most `cap` shapes; the rest share the overflow bucket', () => {
    const s = new PathShapes(3);
    expect(['a', 'b[0]', 'b[1]', 'c', 'd', 'a'].map((p) => s.of(p))).toEqual(['a', 'b[]', 'b[]', 'c', OVERFLOW_PATH, 'a']);
    expect(s.distinct).toBe(3);
    s.add('loaded'); // read back at open: known whatever the cap
    expect(s.of('loaded')).toBe('loaded');
  });
});

const field = (path: string, over: Partial<Verdict> = {}): Verdict =>
  ({ path, item: null, module: null, category: 'non-personal', by: 'none', kind: null, action: 'keep', ...over });
const rec = (n: number, paths: string[]): StoreRecord => ({
  receivedAt: 1_700_000_000_000 + n, tenant: 't', module: 'fw', time: n, host: 'h', source: 's', sourcetype: 'st', index: 'main', endpoint: 'event',
  event: Object.fromEntries(paths.map((p) => [p, n])), fields: null, dropped: 0, flagged: 0,
  verdicts: paths.map((p, i) => field(p, i === 0 ? { item: 'IP', module: 'fw', category: 'online-identifier', by: 'name', kind: 'ip', action: 'flag' } : {})),
});
const rows = (region: string) => {
  const db = new Database(join(dir, region, 'events.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT json FROM field_classes').all() as Array<{ json: string }>).map((r) => JSON.parse(r.json) as Verdict);
  } finally {
    db.close();
  }
};

describe('a store keeps a classification per path shape, not per field name', () => {
  it('1,000 distinct names, array indexes and numeric segments: classifications bounded by the cap; every field listed with its exact path', async () => {
    const s = new SqliteStore('card', dir, { fsync: 'batch', maxPaths: 20 });
    const all: StoreRecord[] = [];
    for (let q = 0; q < 10; q++) {
      const batch = Array.from({ length: 100 }, (_, i) => {
        const n = q * 100 + i;
        return rec(n, ['src_ip', `list[${n}]`, `m.${n}.v`, `name_${n}`]);
      });
      all.push(...batch);
      await put(s, batch);
    }
    const classes = rows('card');
    // src_ip, list[], m.#.v, then name_0.. up to the cap of 20, then one overflow class: never a row per name
    expect(classes.length).toBeLessThanOrEqual(21 + 1);
    expect(classes.map((f) => f.path)).toEqual(expect.arrayContaining(['src_ip', 'list[]', 'm.#.v', OVERFLOW_PATH]));
    const c = s.condition().paths!;
    expect(c).toMatchObject({ cap: 20, distinct: 20 });
    expect(c.overflowFields).toBe(1000 - 17); // name_0..name_16 took the 17 shapes left
    const check = (listed: ReturnType<SqliteStore['list']>) => {
      expect(listed).toHaveLength(1000);
      for (const e of listed) {
        const n = (e.event as { src_ip: number }).src_ip;
        expect(e.verdicts.map((f) => f.path)).toEqual(['src_ip', `list[${n}]`, `m.${n}.v`, `name_${n}`]);
        expect(e.verdicts[0]).toMatchObject({ item: 'IP', module: 'fw', action: 'flag' });
        expect(e.verdicts[3]).toMatchObject({ item: null, action: 'keep' });
      }
    };
    check(s.list({ limit: 5000 }));
    // the totals do not depend on the folding
    const none = new NoneStore();
    put(none, all);
    expect(s.stats()).toEqual(none.stats());
    await s.close();
    // reopened: the same shapes, the same exact paths, and a new name still goes to the overflow bucket
    const again = new SqliteStore('card', dir, { fsync: 'batch', maxPaths: 20 });
    check(again.list({ limit: 5000 }));
    expect(again.condition().paths).toMatchObject({ distinct: 20, overflowFields: 1000 - 17 }); // counted with the totals
    await put(again, [rec(5000, ['src_ip', 'list[9999]', 'm.77.v', 'brand_new'])]);
    expect(again.list({ limit: 1 })[0].verdicts.map((f) => f.path)).toEqual(['src_ip', 'list[9999]', 'm.77.v', 'brand_new']);
    expect(again.condition().paths!.overflowFields).toBe(1000 - 17 + 1);
    expect(rows('card').length).toBe(classes.length);
    expect(again.stats()).toEqual((() => { put(none, [rec(5000, ['src_ip', 'list[9999]', 'm.77.v', 'brand_new'])]); return none.stats(); })());
    await again.close();
  });

  it('packed batches (the ingest workers\' path) keep exact paths too', async () => {
    const s = new SqliteStore('packed', dir, { fsync: 'batch', maxPaths: 2 });
    const records = [rec(1, ['src_ip', 'a[0]', 'x']), rec(2, ['src_ip', 'a[1]', 'y'])];
    // an ingest thread's list toward this store: the second batch names the first one's verdicts by number only
    const list = new VerdictList();
    for (const r of records) {
      list.begin();
      await s.append({ ...packRecords([r], list.number), ...list.end() });
    }
    expect(s.list({ limit: 5 }).map((e) => e.verdicts.map((f) => f.path))).toEqual([['src_ip', 'a[1]', 'y'], ['src_ip', 'a[0]', 'x']]);
    expect(rows('packed').map((f) => f.path).sort()).toEqual([OVERFLOW_PATH, 'a[]', 'src_ip'].sort());
    await s.close();
  });
});

describe('100,000 distinct names (about a second)', () => {
  it('the classifications stay at the cap, the reopen reads no more', async () => {
    const s = new SqliteStore('heavy', dir, { fsync: 'never', maxPaths: 1000 });
    for (let q = 0; q < 100; q++) {
      await put(s, Array.from({ length: 1000 }, (_, i) => rec(q * 1000 + i, ['src_ip', `u${q * 1000 + i}_name`, `x.${i}.y`])));
    }
    expect(s.condition().paths).toMatchObject({ distinct: 1000, overflowFields: 100_000 - 998 });
    await s.close();
    expect(rows('heavy').length).toBeLessThanOrEqual(1002);
    const again = new SqliteStore('heavy', dir, { fsync: 'never', maxPaths: 1000 });
    expect(again.list({ limit: 1 })[0].verdicts.map((f) => f.path)).toEqual(['src_ip', 'u99999_name', 'x.999.y']);
    await again.close();
  }, 300_000);
});
