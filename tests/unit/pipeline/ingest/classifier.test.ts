import { describe, expect, it } from 'vitest';
import { defaultClassifier } from '../../../../src/pipeline/ingest/classifier.ts';
import { verdictNumber } from '../../../../src/pipeline/filter/index.ts';

// The service's classifier hands the filter the array a counter reads verdict numbers from (countRecord gives one
// per event, src/store/stats.ts FieldTally): dropped on the way, every field's number would be read off its verdict.
describe('defaultClassifier', () => {
  it("passes applyPolicy's numbers array through to the filter, which fills it", () => {
    const c = defaultClassifier();
    const policy = c.compilePolicy(c.matcher, { undeclared: 'flag' });
    const event = { src: '198.51.100.23', user: 'jdoe', extra_thing: 'x' };
    const fields = c.matcher.classifyEvent(event, 'splunk-network-firewall-web-gateway-logs');
    const numbers = new Int32Array(fields.length).fill(-7);
    const r = c.applyPolicy(policy, event, fields, { module: 'splunk-network-firewall-web-gateway-logs', sourcetype: 'pan:traffic' }, numbers);
    expect(r.numbers).toBe(numbers);
    expect([...numbers]).toEqual(r.fields.map(verdictNumber));
    expect(c.applyPolicy(policy, event, fields).numbers).toBe(null);
  });
});
