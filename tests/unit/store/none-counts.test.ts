import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../src/config/config.ts';
import type { Verdict } from '../../../src/pipeline/classify/types.ts';
import { verdictNumber } from '../../../src/pipeline/filter/index.ts';
import { defaultClassifier } from '../../../src/pipeline/ingest/classifier.ts';
import { ingest, type IngestJob } from '../../../src/pipeline/ingest/ingest.ts';
import { RawRules } from '../../../src/pipeline/parse/linebreak.ts';
import { NoneStore } from '../../../src/store/none.ts';
import { FieldTally, ItemTotals, MAX_SLOTS, type Counts } from '../../../src/store/stats.ts';
import type { StoreRecord } from '../../../src/store/types.ts';
import { VerdictList } from '../../../src/store/verdicts.ts';
import { buildPayloads } from '../../../src/tools/loadgen/payloads.ts';

/**
 * The none store counts what its producers count for it (FieldTally → Counts → ItemTotals), without packed
 * batches: its totals must be exactly those of counting each request's packed batch on its own (a verdict list
 * made per request, as the event loop did), however many requests one tally counts.
 */
const classifier = defaultClassifier();
const policy = classifier.compilePolicy(classifier.matcher, { uploadPermission: { 'network-sensor': false }, undeclared: 'flag' });
const base: Omit<IngestJob, 'body'> = {
  kind: 'event', encoding: undefined, receivedAt: 1_700_000_000_000, tenant: 't', tokenModule: null,
  defaults: { host: 'h', source: 's', sourcetype: 'httpevent', index: 'main' }, allowedIndexes: ['main'],
};
const bodies = [
  ...buildPayloads({ profile: 'mixed', seed: 5, batch: 50, gzip: false, pool: 6 }).full.map((p) => p.body),
  Buffer.from('{"event":{"user":"a"},"fields":{"dc":"x","email":"c@example.com"}}\n{"event":"b"}\n{"event": oops}'),
  ...buildPayloads({ profile: 'network-sensor', seed: 2, batch: 20, gzip: false, pool: 2 }).full.map((p) => p.body),
];
const ctx = { limits: DEFAULT_LIMITS, rules: new RawRules(), matcher: classifier.matcher, apply: classifier.applyPolicy, policy, budgets: null };

function plain(module: string | null, item: string | null, action: 'keep' | 'drop' | 'flag', group?: string): Verdict {
  return { path: 'p', item, module, ...(group ? { group } : {}), category: 'non-personal', by: 'none', kind: null, action } as Verdict;
}
/** Counts records into a tally as one request, as countRecord does: each event, each verdict without a number (found by its key). */
function countRecords(tally: FieldTally, records: readonly StoreRecord[]): Array<string | number> {
  tally.begin();
  for (const r of records) {
    tally.addEvent(r.module ?? '', r.dropped, r.flagged);
    for (const v of r.verdicts) tally.addVerdict(v, -1);
  }
  return tally.end();
}
function rec(module: string | null, verdicts: Verdict[]): StoreRecord {
  return {
    receivedAt: 0, tenant: 't', module, time: null, host: 'h', source: 's', sourcetype: 'st', index: 'main', endpoint: 'event', event: {}, fields: null,
    verdicts, dropped: verdicts.filter((f) => f.action === 'drop').length, flagged: verdicts.filter((f) => f.action === 'flag').length,
  };
}

describe('the none store counts Counts from a tally kept across requests', () => {
  it('gives the same stats as a fresh verdict list and packed batch per request', async () => {
    const packed = new NoneStore('us');
    const counted = new NoneStore('us');
    const tally = new FieldTally(); // one for all the requests, as the event loop keeps one per store
    for (const body of [...bodies, ...bodies]) {
      const a = await ingest({ ...base, body }, { ...ctx, verdicts: new VerdictList(verdictNumber) });
      const b = await ingest({ ...base, body }, { ...ctx, tally, text: false });
      expect(b.error?.code).toBe(a.error?.code);
      if (a.batch !== null) await packed.append(a.batch);
      expect(b.counted !== null).toBe(a.batch !== null);
      if (b.counted !== null) await counted.append(tally.take(0));
    }
    const s = packed.stats();
    expect(s.events).toBeGreaterThan(600);
    expect(s.droppedFields).toBeGreaterThan(0);
    expect(s.items.length).toBeGreaterThan(10);
    expect(counted.stats()).toEqual(s);
    expect(counted.count()).toBe(packed.count());
  });

  it('a tally counts per module, and per item, group and action (plain verdicts, found by their key)', () => {
    const records = [
      rec('m1', [plain('m1', 'Item', 'keep'), plain('m1', 'Item', 'drop'), plain(null, null, 'flag')]),
      rec('m2', [plain('m2', 'Report', 'keep', 'One'), plain('m2', 'Report', 'keep', 'Two'), plain('m2', 'Report', 'flag', 'One')]),
      rec(null, [plain(null, null, 'flag')]),
    ];
    const store = new NoneStore();
    const tally = new FieldTally();
    const modules = countRecords(tally, records);
    expect(modules).toEqual(['m1', 1, 1, 1, 'm2', 1, 0, 1, '', 1, 0, 1]);
    void store.append(tally.take(0));
    const s = store.stats();
    expect(s).toMatchObject({ events: 3, droppedFields: 1, flaggedFields: 3, modules: { m1: { events: 1 }, m2: { events: 1 }, '': { events: 1 } } });
    expect(s.items).toEqual([
      { module: null, item: null, kept: 0, dropped: 0, flagged: 2 },
      { module: 'm1', item: 'Item', kept: 1, dropped: 1, flagged: 0 },
      { module: 'm2', item: 'Report', group: 'One', kept: 1, dropped: 0, flagged: 1 },
      { module: 'm2', item: 'Report', group: 'Two', kept: 1, dropped: 0, flagged: 0 },
    ]);
  });

  it("counts fields by the numbers it is handed (the filter's), not by reading them off the verdicts", () => {
    const a = plain('m', 'A', 'keep');
    const b = plain('m', 'B', 'drop');
    const tally = new FieldTally();
    tally.begin();
    tally.addEvent('m', 1, 0);
    // names the slots of numbers 0 and 1
    tally.addVerdict(a, 0);
    tally.addVerdict(b, 1);
    tally.addEvent('m', 0, 0);
    // the same verdict objects handed over as 1 and 0 (the filter's VerdictSink): counted as the numbers say (B dropped, A kept)
    tally.addVerdict(a, 1);
    tally.addVerdict(b, 0);
    tally.addVerdict(a, 1);
    // a verdict without a number (-1): found by its key
    tally.addVerdict(plain('m', 'A', 'keep'), -1);
    expect(tally.end()).toEqual(['m', 2, 1, 0]);
    const store = new NoneStore();
    void store.append(tally.take(0));
    expect(store.stats().items).toEqual([
      { module: 'm', item: 'A', kept: 3, dropped: 0, flagged: 0 },
      { module: 'm', item: 'B', kept: 0, dropped: 3, flagged: 0 },
    ]);
  });

  it('requests sharing a tally, decoded at once (gzip), each report their own per-module counts', async () => {
    const { gzipSync } = await import('node:zlib');
    const own = async (body: Buffer, tally: FieldTally) => (await ingest({ ...base, body }, { ...ctx, tally, text: false })).counted;
    const alone: Array<Array<string | number> | null> = [];
    for (const body of bodies) alone.push(await own(body, new FieldTally()));
    const shared = new FieldTally();
    const together = await Promise.all(bodies.map((body) => ingest({ ...base, body: gzipSync(body), encoding: 'gzip' }, { ...ctx, tally: shared, text: false })));
    expect(together.map((r) => r.counted)).toEqual(alone);
    expect(shared.take(0).events).toBe(alone.reduce((n, c) => n + (c ?? []).reduce<number>((k, x, i) => k + (i % 4 === 1 ? (x as number) : 0), 0), 0));
  });

  it('/raw requests: the same stats counted as packed', async () => {
    const packed = new NoneStore('us');
    const counted = new NoneStore('us');
    const tally = new FieldTally();
    const raw = [
      'Oct 11 22:14:15 fw01 sshd[4123]: Failed password for jdoe from 198.51.100.23 port 51514 ssh2\nsrc=10.0.0.1 dst=10.0.0.2 user=alice email=a@example.com\n',
      'plain text line\n<34>1 2024-10-11T22:14:15.003Z host app - - - token=abc123def456ghi\n',
    ];
    for (const text of [...raw, ...raw]) {
      const job = { ...base, kind: 'raw' as const, tokenModule: 'splunk-network-firewall-web-gateway-logs', body: Buffer.from(text) };
      const a = await ingest(job, { ...ctx, verdicts: new VerdictList(verdictNumber) });
      const b = await ingest(job, { ...ctx, tally, text: false });
      expect(b.error?.code).toBe(a.error?.code);
      if (a.batch !== null) await packed.append(a.batch);
      expect(b.counted !== null).toBe(a.batch !== null);
      if (b.counted !== null) await counted.append(tally.take(0));
    }
    expect(packed.stats().events).toBeGreaterThanOrEqual(4);
    expect(packed.stats().items.length).toBeGreaterThan(2);
    expect(counted.stats()).toEqual(packed.stats());
  });

  it('Counts handed over in the order they were taken count right; out of order, the store refuses them', () => {
    const tally = new FieldTally();
    countRecords(tally, [rec('m', [plain('m', 'A', 'keep')])]);
    const first = tally.take(1); // names slot A
    countRecords(tally, [rec('m', [plain('m', 'A', 'drop'), plain('m', 'B', 'keep')])]);
    const second = tally.take(2); // uses A without naming it
    expect(first.fresh).toContain('A');
    expect(second.fresh).not.toContain('A');

    const inOrder = new ItemTotals();
    const rows = inOrder.producer();
    inOrder.add(first, rows);
    inOrder.add(second, rows);
    expect(inOrder.items()).toEqual([
      { module: 'm', item: 'A', kept: 1, dropped: 1, flagged: 0 },
      { module: 'm', item: 'B', kept: 1, dropped: 0, flagged: 0 },
    ]);

    const reversed = new ItemTotals();
    const r2 = reversed.producer();
    expect(() => reversed.add(second, r2)).toThrow(/slot 0, which its producer never named/);
  });

  it('two requests counted before either is taken: the first take carries both, the second is empty, totals exact', () => {
    const tally = new FieldTally();
    countRecords(tally, [rec('m', [plain('m', 'A', 'keep')])]);
    countRecords(tally, [rec('m', [plain('m', 'A', 'keep'), plain('m', 'B', 'flag')])]);
    const both = tally.take(2);
    const none = tally.take(1);
    expect(both.events).toBe(2);
    expect(none).toMatchObject({ events: 0, modules: [], fresh: [], reset: false });
    expect(none.cells).toHaveLength(0);
    const store = new NoneStore();
    void store.append(both);
    void store.append(none);
    expect(store.stats()).toMatchObject({ events: 2, flaggedFields: 1, items: [
      { module: 'm', item: 'A', kept: 2, dropped: 0, flagged: 0 },
      { module: 'm', item: 'B', kept: 0, dropped: 0, flagged: 1 },
    ] });
  });

  it(`starts its slots again past ${MAX_SLOTS} and says so; the store's totals go on`, () => {
    const tally = new FieldTally();
    const store = new NoneStore();
    const many = Array.from({ length: MAX_SLOTS + 10 }, (_, i) => plain('m', `item ${i}`, 'keep'));
    countRecords(tally, [rec('m', many)]);
    const c1: Counts = tally.take(0);
    expect(c1.reset).toBe(true); // a tally's first Counts
    void store.append(c1);
    countRecords(tally, [rec('m', [plain('m', 'item 0', 'drop')])]);
    const c2 = tally.take(0);
    expect(c2.reset).toBe(true);
    expect(c2.fresh).toEqual([0, 'm', 'item 0', '']); // slot 0 named again, now for item 0 alone
    void store.append(c2);
    const s = store.stats();
    expect(s.events).toBe(2);
    expect(s.items).toHaveLength(MAX_SLOTS + 10);
    expect(s.items.find((i) => i.item === 'item 0')).toEqual({ module: 'm', item: 'item 0', kept: 1, dropped: 1, flagged: 0 });
  });
});
