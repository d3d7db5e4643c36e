import { describe, expect, it } from 'vitest';
import { compileMatcher, loadCatalog } from '../../../../src/pipeline/classify/index.ts';
import { SOURCETYPE_MEMO_MAX } from '../../../../src/pipeline/classify/compile.ts';
import { RECENT_SIZE } from '../../../../src/pipeline/classify/recent.ts';

// Matcher.moduleForSourcetype remembers the module of each sourcetype string as sent (one Map lookup per event):
// its answers must be those of the catalog's index, whatever the case, spaces, order or number of strings.
const catalog = loadCatalog();
const byIndex = (st: string): string | undefined => {
  const key = st.trim().toLowerCase();
  return catalog.modules.find((m) => m.id === key || m.sourcetypes.some((s) => s.toLowerCase() === key))?.id;
};

describe('moduleForSourcetype (remembered per sourcetype string)', () => {
  it('gives the index\'s module for every spelling, asked again and again, and none for an unknown one', () => {
    const m = compileMatcher(catalog);
    const pan = m.moduleForSourcetype('pan:traffic');
    expect(pan).toBeDefined();
    for (let round = 0; round < 3; round++) {
      for (const st of ['pan:traffic', 'PAN:Traffic', '  pan:traffic ', 'no-such-sourcetype', 'NO-SUCH-SOURCETYPE', pan!.id, pan!.id.toUpperCase()]) {
        expect(m.moduleForSourcetype(st)?.id, st).toBe(byIndex(st));
      }
    }
    expect(m.moduleForSourcetype('PAN:Traffic')).toBe(pan);
    expect(m.moduleForSourcetype('no-such-sourcetype')).toBeUndefined();
  });

  it(`answers strings built anew each time, more than the ${RECENT_SIZE} last ones and of one length, interleaved`, () => {
    const m = compileMatcher(catalog);
    const sts = ['pan:traffic', 'pan:threats', 'PAN:TRAFFIC', 'cisco:asa', 'fortigate_traffic', 'zscalernss-web', 'network-sensor',
      'endpoint-sensor', 'email-sensor', 'bluecoat:proxysg:access:syslog', 'x'.repeat(11), 'no-such-one', 'pan:system'];
    expect(sts.length).toBeGreaterThan(RECENT_SIZE);
    for (let i = 0; i < 500; i++) {
      // a new string per call (as JSON.parse gives one per event), not the literal
      const st = JSON.parse(JSON.stringify(sts[(i * 7) % sts.length])) as string;
      const got = m.moduleForSourcetype(st);
      expect(got?.id, st).toBe(byIndex(st));
      // and the module id it gives, read back by classifyEvent, is that module's slot
      if (got !== undefined) expect(m.classifyEvent({ src: '198.51.100.7' }, got.id)).toEqual([m.classifyField('src', '198.51.100.7', got.id)]);
    }
  });

  it(`starts again past ${SOURCETYPE_MEMO_MAX} strings and still answers right`, () => {
    const m = compileMatcher(catalog);
    for (let i = 0; i < SOURCETYPE_MEMO_MAX + 100; i++) expect(m.moduleForSourcetype(`custom:${i}`)).toBeUndefined();
    expect(m.moduleForSourcetype('pan:traffic')?.id).toBe(byIndex('pan:traffic'));
    expect(m.moduleForSourcetype('custom:1')).toBeUndefined();
    expect(m.moduleForSourcetype('Pan:Traffic')?.id).toBe(byIndex('pan:traffic'));
  });
});
