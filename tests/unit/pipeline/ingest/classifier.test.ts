import { describe, expect, it } from 'vitest';
import { defaultClassifier } from '../../../../src/pipeline/ingest/classifier.ts';
import { verdictNumber } from '../../../../src/pipeline/filter/index.ts';
import type { Verdict } from '../../../../src/pipeline/classify/types.ts';

// The service's classifier hands the filter the sink a counter takes verdicts in (countRecord gives the tally,
// src/store/stats.ts FieldTally): dropped on the way, the filter would list the verdicts and count nothing.
describe('defaultClassifier', () => {
  it("passes applyPolicy's sink through to the filter, which hands it each field's verdict and number", () => {
    const c = defaultClassifier();
    const policy = c.compilePolicy(c.matcher, { undeclared: 'flag' });
    const event = { src: '198.51.100.23', user: 'jdoe', extra_thing: 'x' };
    const fields = c.matcher.classifyEvent(event, 'splunk-network-firewall-web-gateway-logs');
    const ctx = { module: 'splunk-network-firewall-web-gateway-logs', sourcetype: 'pan:traffic' };
    const got: Array<[Verdict, number]> = [];
    const r = c.applyPolicy(policy, event, fields, ctx, { addVerdict: (v, n) => void got.push([v, n]) });
    const full = c.applyPolicy(policy, event, fields, ctx);
    expect(r.fields).toEqual([]);
    expect(r.event).toBeUndefined();
    expect(got.map(([v]) => v)).toEqual(full.fields);
    expect(got.map(([, n]) => n)).toEqual(full.fields.map(verdictNumber));
    expect([r.dropped, r.flagged]).toEqual([full.dropped, full.flagged]);
    expect(full.flagged).toBe(1);
  });
});
