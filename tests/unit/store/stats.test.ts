import { describe, expect, it } from 'vitest';
import { getDefaultMatcher } from '../../../src/pipeline/classify/index.ts';
import type { Verdict } from '../../../src/pipeline/classify/types.ts';
import { applyPolicy, compilePolicy } from '../../../src/pipeline/filter/index.ts';
import { countingTable, sortItems, StatsCounter } from '../../../src/store/stats.ts';
import { packRecords } from '../../../src/store/packed.ts';
import { VerdictList } from '../../../src/store/verdicts.ts';
import type { StoreRecord } from '../../../src/store/types.ts';

const matcher = getDefaultMatcher();
const policy = compilePolicy(matcher, { uploadPermission: { 'Microsoft Entra ID': false }, undeclared: 'flag' });

function record(event: Record<string, unknown>, module: string | null): StoreRecord {
  const r = applyPolicy(policy, event, matcher.classifyEvent(event, module));
  return {
    receivedAt: 0, tenant: 't', module, time: null, host: 'h', source: 's', sourcetype: 'st', index: 'main', endpoint: 'event',
    event: r.event, fields: null, verdicts: r.fields, dropped: r.dropped, flagged: r.flagged,
  };
}

/** The same tally with nothing clever: one string key per field. */
function naive(records: StoreRecord[]) {
  const out = new Map<string, { module: string | null; item: string | null; group?: string; kept: number; dropped: number; flagged: number }>();
  for (const r of records) {
    for (const f of r.verdicts as Verdict[]) {
      const k = `${f.module ?? ''}\u0000${f.item ?? ''}\u0000${f.group ?? ''}`;
      const s = out.get(k) ?? { module: f.module, item: f.item, ...(f.group ? { group: f.group } : {}), kept: 0, dropped: 0, flagged: 0 };
      if (f.action === 'drop') s.dropped++; else if (f.action === 'flag') s.flagged++; else s.kept++;
      out.set(k, s);
    }
  }
  return out;
}

/** What the store's running counter (StatsCounter, as the stores use it) counts per item for these records alone. */
function counted(records: StoreRecord[]) {
  const c = new StatsCounter();
  const list = new VerdictList();
  list.begin();
  c.addBatch({ ...packRecords(records, list.number), ...list.end(), seq: 0 }, countingTable());
  return c.snapshot().items;
}
const naiveItems = (records: StoreRecord[]) => sortItems([...naive(records).values()]);

describe('per-item counts (StatsCounter)', () => {
  const fw = (i: number) => record({ src_ip: `192.0.2.${i}`, dest_port: 443, user: `CORP\\u${i}`, mystery: 'x' }, 'splunk-network-firewall-web-gateway-logs');
  const entra = (i: number) => record({ userPrincipalName: `u${i}@example.com`, ipAddress: '198.51.100.7' }, 'microsoft-entra-id');

  it('counts the shared verdicts of the filter as a per-field count would, call after call', () => {
    const a = [fw(1), fw(2), entra(1), fw(3)];
    const b = [entra(2), fw(4)];
    expect(a[2].dropped).toBeGreaterThan(0); // Entra ID's upload permission is off: its fields are dropped
    expect(counted(a)).toEqual(naiveItems(a));
    expect(counted(b)).toEqual(naiveItems(b));
    expect(counted([...a, ...b])).toEqual(naiveItems([...a, ...b]));
  });

  it('counts verdicts made elsewhere (plain objects) too, and a running counter adds tallies up', () => {
    const plain: Verdict = { path: 'n', item: null, module: null, category: 'non-personal', by: 'none', kind: null, action: 'flag' };
    const r = { ...fw(5), verdicts: [...fw(5).verdicts, plain, plain] };
    expect(counted([r])).toEqual(naiveItems([r]));
    const c = new StatsCounter();
    const table = countingTable(); // one producer's verdicts, numbered on across its batches
    const list = new VerdictList();
    const add = (records: StoreRecord[]) => { list.begin(); c.addBatch({ ...packRecords(records, list.number), ...list.end(), seq: 0 }, table); };
    add([fw(1), entra(1)]);
    add([fw(2)]);
    const expected = [...naive([fw(1), entra(1), fw(2)]).values()];
    expect(c.snapshot().items).toEqual(expect.arrayContaining(expected));
    expect(c.snapshot().items).toHaveLength(expected.length);
    expect(c.snapshot()).toMatchObject({ events: 3, modules: { 'microsoft-entra-id': { events: 1 } } });
  });
});
