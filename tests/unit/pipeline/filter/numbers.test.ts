import { describe, expect, it } from 'vitest';
import { compileMatcher, loadCatalog } from '../../../../src/pipeline/classify/index.ts';
import type { Classification, Verdict } from '../../../../src/pipeline/classify/types.ts';
import { applyPolicy, compilePolicy, verdictNumber } from '../../../../src/pipeline/filter/index.ts';
import { RECENT_SIZE } from '../../../../src/pipeline/classify/recent.ts';

// Issue 12: classification results and verdicts are numbered when made (by the matcher and its policies, no
// module-level counter); the filter caches verdicts by the result's number, nothing mutable rides on them.
const catalog = loadCatalog();
const SPLUNK = 'splunk-network-firewall-web-gateway-logs';
const event = { src: '198.51.100.23', user: 'jdoe', src_port: 51514, nested: { homeDirectory: '\\\\fs01\\home$\\jdoe' }, list: [{ ip: '192.0.2.1' }] };

describe('result numbers (the matcher)', () => {
  it('numbers each result it makes densely from 0, stably, and knows no number for a result it did not make', () => {
    const m = compileMatcher(catalog);
    expect(m.resultCount).toBe(0);
    const a = m.classifyEvent(event, SPLUNK);
    const nums = a.map((f) => m.resultNumber(f));
    expect([...nums].sort((x, y) => x - y)).toEqual(nums.map((_, i) => i)); // 0..n-1, each once
    expect(m.resultCount).toBe(nums.length);
    const b = m.classifyEvent(event, SPLUNK); // the same shared results, the same numbers
    expect(b.map((f) => m.resultNumber(f))).toEqual(nums);
    const other = compileMatcher(catalog);
    expect(other.resultNumber(a[0])).toBe(-1); // another matcher's result
    expect(m.resultNumber({ ...a[0] })).toBe(-1); // a copy
    expect(JSON.stringify(a[0])).not.toMatch(/\d{3,}|number/i);
    expect(Object.keys(a[0])).toEqual(['path', 'item', 'module', 'category', 'by', 'kind', 'group', 'declaredBy']);
  });

  it('is re-entrant: two matchers interleaved, and a classification nested in another, give the answers of a fresh matcher', () => {
    const fresh = (ev: unknown, mod: string | null) => JSON.stringify(compileMatcher(catalog).classifyEvent(ev, mod));
    const m1 = compileMatcher(catalog);
    const m2 = compileMatcher(catalog);
    const evA = { email: 'a.user@example.com', cmd: 'curl -u admin:hunter2 https://x', count: 3 };
    const evB = { dest: '203.0.113.9', msg: 'logon by CORP\\jdoe from 10.1.2.3', k07: 'S-1-5-21-1004336348-1177238915-682003330-512' };
    const r1 = m1.classifyEvent(evA, SPLUNK);
    const r2 = m2.classifyEvent(evB, null);
    const r1b = m1.classifyEvent(evB, null);
    expect(JSON.stringify(r1)).toBe(fresh(evA, SPLUNK));
    expect(JSON.stringify(r2)).toBe(fresh(evB, null));
    expect(JSON.stringify(r1b)).toBe(fresh(evB, null));

    // a value read during the walk (a getter) classifies something else with the same matcher, mid-event
    const m3 = compileMatcher(catalog);
    let inner: Classification[] = [];
    const plain = { src: '198.51.100.7', note: 'run as user=jdoe@example.com with token=abc123def456', dest_port: 443 };
    const sneaky = {
      src: '198.51.100.7',
      get note() { inner = m3.classifyEvent(evA, null); return 'run as user=jdoe@example.com with token=abc123def456'; },
      dest_port: 443,
    };
    const outer = m3.classifyEvent(sneaky, SPLUNK);
    expect(inner.length).toBe(3);
    expect(JSON.stringify(inner)).toBe(fresh(evA, null));
    expect(JSON.stringify(outer)).toBe(fresh(plain, SPLUNK));
  });
});

describe('verdict numbers (the filter)', () => {
  it('numbers each verdict once: dense, stable, shared by the policies of one matcher, never given twice', () => {
    const m = compileMatcher(catalog);
    const p1 = compilePolicy(m);
    const p2 = p1.withPermission(SPLUNK, false);
    const seen = new Map<number, Verdict>();
    for (const p of [p1, p2, p1, p2]) {
      for (const v of applyPolicy(p, event, m.classifyEvent(event, SPLUNK)).fields) {
        const n = verdictNumber(v);
        expect(n).toBeGreaterThanOrEqual(0);
        if (seen.has(n)) expect(seen.get(n)).toBe(v); // a number always means the same object
        seen.set(n, v);
      }
    }
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual([...seen.keys()].map((_, i) => i));
    // the second pass of each policy reused its verdicts (cached by result number): no new numbers
    expect(seen.size).toBe(2 * m.classifyEvent(event, SPLUNK).length);
    expect(verdictNumber({ ...[...seen.values()][0] })).toBe(-1); // a copy is not the filter's verdict
  });

  it("leaves a verdict's JSON as it was: no number, no hidden state, frozen", () => {
    const m = compileMatcher(catalog);
    const r = applyPolicy(compilePolicy(m, { uploadPermission: { [SPLUNK]: false } }), event, m.classifyEvent(event, SPLUNK));
    const src = r.fields.find((f) => f.path === 'src')!;
    expect(JSON.stringify(src)).toBe(JSON.stringify({
      path: 'src', item: 'Source IP address', module: SPLUNK, category: 'online-identifier', by: 'name', kind: 'src-ip', group: null,
      action: 'drop', reason: "upload permission of module 'splunk-network-firewall-web-gateway-logs' is off (item 'Source IP address')",
    }));
    expect(Object.isFrozen(src)).toBe(true);
    expect(Object.getOwnPropertySymbols(src).map((s) => Object.getOwnPropertyDescriptor(src, s)!.writable)).toEqual([false]);
    // a result: its number and its matcher, readonly
    const res = m.classifyEvent(event, SPLUNK)[0];
    expect(Object.isFrozen(res)).toBe(true);
    expect(Object.getOwnPropertySymbols(res).map((s) => Object.getOwnPropertyDescriptor(res, s)!.writable)).toEqual([false, false]);
  });

  it("hands each field's verdict and its number to the sink it is given (from its cache, or as it decides), in order", () => {
    const m = compileMatcher(catalog);
    const p = compilePolicy(m, { undeclared: 'drop' });
    applyPolicy(p.withUndeclared('keep'), event, m.classifyEvent(event, SPLUNK)); // another policy's verdicts first: numbers ≠ result numbers
    const ev2 = { ...event, extra_thing: 'x', email: 'a.user@example.com' };
    const ctx = { module: SPLUNK, sourcetype: 'pan:traffic' };
    for (const ev of [event, ev2, event, ev2]) { // first pass: decided in the loop; second: read from the gate's cache
      const fields = m.classifyEvent(ev, SPLUNK);
      const got: Array<[Verdict, number]> = [];
      const r = applyPolicy(p, ev, fields, ctx, { addVerdict: (v, n) => void got.push([v, n]) });
      const full = applyPolicy(p, ev, fields, ctx);
      expect([r.fields, r.dropped, r.flagged]).toEqual([[], full.dropped, full.flagged]);
      expect(got.map(([v]) => v)).toEqual(full.fields);
      expect(got.every(([v], i) => v === full.fields[i])).toBe(true); // the shared verdicts themselves
      expect(got.map(([, n]) => n)).toEqual(full.fields.map(verdictNumber));
      expect(got.every(([, n]) => n >= 0)).toBe(true);
      expect(fields.some((f, i) => m.resultNumber(f) !== got[i][1])).toBe(true);
    }
    // a result another matcher made: decided by identity, its verdict's number handed over all the same
    const theirs = compileMatcher(catalog).classifyEvent(event, SPLUNK);
    const got: number[] = [];
    const r = applyPolicy(p, event, theirs, undefined, { addVerdict: (_v, n) => void got.push(n) });
    expect(got).toEqual(applyPolicy(p, event, theirs).fields.map(verdictNumber));
    expect(r.fields).toEqual([]);
  });

  it("counts dropped, flagged and masked fields as their verdicts say, whether decided in the loop or read from the gate's cache", () => {
    const m = compileMatcher(catalog);
    const ev = { ...event, password: 'hunter2hunter2', url: 'https://example.org/a?token=abcdef123456', extra_thing: 'x', email: 'a.user@example.com' };
    for (const p of [compilePolicy(m, { undeclared: 'flag', secrets: 'redact' }), compilePolicy(m, { undeclared: 'drop', secrets: 'drop' }), compilePolicy(m, { uploadPermission: { [SPLUNK]: false } })]) {
      for (let pass = 0; pass < 3; pass++) { // first pass: decided in the loop; then from the gate's cache
        const r = applyPolicy(p, ev, m.classifyEvent(ev, SPLUNK), { module: SPLUNK, sourcetype: 'pan:traffic' });
        expect(r.dropped).toBe(r.fields.filter((v) => v.action === 'drop').length);
        expect(r.flagged).toBe(r.fields.filter((v) => v.action === 'flag').length);
        const masked = r.fields.filter((v) => v.masked !== undefined).map((v) => v.path.split('.')[0]);
        // a masked value is stored redacted: the event was copied exactly when something was dropped or masked
        expect(r.event === ev).toBe(r.dropped === 0 && masked.length === 0);
        for (const k of masked) expect((r.event as Record<string, unknown>)[k]).toBe('[redacted]');
      }
    }
  });

  it('counting into a sink: the same verdicts, counts and numbers as the full call, and no event made', () => {
    const m = compileMatcher(catalog);
    const ev = { ...event, password: 'hunter2hunter2', extra_thing: 'x', email: 'a.user@example.com' };
    for (const p of [compilePolicy(m, { undeclared: 'drop', secrets: 'redact' }), compilePolicy(m, { uploadPermission: { [SPLUNK]: false } }), compilePolicy(m)]) {
      const ctx = { module: SPLUNK, sourcetype: 'pan:traffic' };
      const full = applyPolicy(p, ev, m.classifyEvent(ev, SPLUNK), ctx);
      const got: Verdict[] = [];
      const counted = applyPolicy(p, ev, m.classifyEvent(ev, SPLUNK), ctx, { addVerdict: (v) => void got.push(v) });
      expect(counted.event).toBeUndefined();
      expect(counted.fields).toEqual([]);
      expect(Object.isFrozen(counted.fields)).toBe(true);
      expect(got.every((v, i) => v === full.fields[i])).toBe(true);
      expect(got.length).toBe(full.fields.length);
      expect([counted.dropped, counted.flagged]).toEqual([full.dropped, full.flagged]);
    }
    // the policies above drop or mask something of this event: the full call did copy it
    expect(applyPolicy(compilePolicy(m, { undeclared: 'drop' }), ev, m.classifyEvent(ev, SPLUNK)).event).not.toBe(ev);
  });

  it(`gives one gate per module and sourcetype, for sourcetype strings built anew and more than the ${RECENT_SIZE} last ones interleaved`, () => {
    const m = compileMatcher(catalog);
    const p = compilePolicy(m, { uploadPermission: { 'network-sensor': false } });
    const sts = Array.from({ length: RECENT_SIZE + 5 }, (_, i) => `st:${'x'.repeat(i % 3)}${i}`);
    const first = new Map<string, object>();
    for (let i = 0; i < 300; i++) {
      const mod = i % 3 === 0 ? 'network-sensor' : SPLUNK;
      const st = JSON.parse(JSON.stringify(sts[(i * 5) % sts.length])) as string; // a new string, as JSON.parse gives
      const g = p.gate({ module: mod, sourcetype: st });
      const key = `${mod}|${st}`;
      if (!first.has(key)) first.set(key, g);
      expect(g).toBe(first.get(key));
      expect(p.blocked({ module: mod, sourcetype: st }) !== null).toBe(mod === 'network-sensor');
    }
    expect(new Set(first.values()).size).toBeGreaterThan(RECENT_SIZE);
  });

  it('decides a result another matcher made (no number of this one) by identity, alike', () => {
    const m = compileMatcher(catalog);
    const other = compileMatcher(catalog);
    const p = compilePolicy(m, { undeclared: 'drop' });
    const mine = applyPolicy(p, event, m.classifyEvent(event, SPLUNK)).fields;
    const theirs = applyPolicy(p, event, other.classifyEvent(event, SPLUNK)).fields;
    expect(JSON.stringify(theirs)).toBe(JSON.stringify(mine));
    expect(applyPolicy(p, event, other.classifyEvent(event, SPLUNK)).fields).toEqual(theirs);
    expect(applyPolicy(p, event, other.classifyEvent(event, SPLUNK)).fields[0]).toBe(theirs[0]);
  });
});
