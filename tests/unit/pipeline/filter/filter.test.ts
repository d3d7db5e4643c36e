import { describe, expect, it } from 'vitest';
import { getDefaultMatcher } from '../../../../src/pipeline/classify/index.ts';
import { SimError } from '../../../../src/errors/sim-error.ts';
import { applyPolicy, compilePolicy, isPolicyError } from '../../../../src/pipeline/filter/index.ts';

const m = getDefaultMatcher();
const SPLUNK = 'splunk-network-firewall-web-gateway-logs';
const event = { src: '198.51.100.23', user: 'jdoe', src_port: 51514, nested: { homeDirectory: '\\\\fs01\\home$\\jdoe' }, list: [{ ip: '192.0.2.1' }] };

describe('filter', () => {
  it('keeps everything and flags undeclared fields by default', () => {
    const r = applyPolicy(compilePolicy(m), event, m.classifyEvent(event, SPLUNK));
    expect(r.event).toBe(event);
    expect(r.dropped).toBe(0);
    const byPath = Object.fromEntries(r.fields.map((f) => [f.path, f]));
    expect(byPath.src.action).toBe('keep');
    expect(byPath.src_port).toMatchObject({ action: 'flag', reason: expect.stringMatching(/undeclared/) });
  });

  it('drops the fields of a module whose upload permission is off, and says why', () => {
    const policy = compilePolicy(m, { uploadPermission: { 'Splunk - Network Firewall / Web Gateway Logs': false } });
    const r = applyPolicy(policy, event, m.classifyEvent(event, SPLUNK));
    expect(r.dropped).toBe(3); // src, user, list[0].ip (an IP in the Splunk context is the source IP address)
    expect(r.event).toEqual({ src_port: 51514, nested: { homeDirectory: '\\\\fs01\\home$\\jdoe' }, list: [{}] });
    const src = r.fields.find((f) => f.path === 'src')!;
    expect(src).toMatchObject({ action: 'drop', item: 'Source IP address', module: SPLUNK });
    expect(src.reason).toMatch(/upload permission of module 'splunk-network-firewall-web-gateway-logs' is off \(item 'Source IP address'\)/);
    expect(event.src).toBe('198.51.100.23'); // the input is untouched
  });

  it("never drops a field because another module that declares its kind is off (issue 11: own module or undeclared)", () => {
    const policy = compilePolicy(m, { uploadPermission: { 'open-ldap': false } });
    const r = applyPolicy(policy, event, m.classifyEvent(event, SPLUNK));
    expect(r.fields.find((f) => f.path === 'nested.homeDirectory')).toMatchObject({ action: 'flag', module: null, declaredBy: ['open-ldap'] }); // undeclared here: the undeclared policy
    expect((r.event as { nested: object }).nested).not.toEqual({});
  });

  it('applies the undeclared policy: keep, flag or drop', () => {
    for (const [undeclared, action] of [['keep', 'keep'], ['flag', 'flag'], ['drop', 'drop']] as const) {
      const r = applyPolicy(compilePolicy(m, { undeclared }), event, m.classifyEvent(event, SPLUNK));
      expect(r.fields.find((f) => f.path === 'src_port')!.action).toBe(action);
    }
  });

  it("refuses a permission with the project's one error class: SimError, a SIM_ERR_POLICY_* code and its HTTP status, the module named in the detail", () => {
    const cases: Array<[() => unknown, string, number, RegExp]> = [
      [() => compilePolicy(m, { uploadPermission: { 'no-such-module': false } }), 'SIM_ERR_POLICY_UNKNOWN_MODULE', 404, /no module 'no-such-module'/],
      [() => compilePolicy(m).withPermission('service gateway management', false), 'SIM_ERR_POLICY_AMBIGUOUS_MODULE', 409, /'service gateway management' names 4 modules/],
      [() => compilePolicy(m).withPermission('cloud-detections-for-aws-cloudtrail', false), 'SIM_ERR_POLICY_MODULE_LOCKED', 409, /\(cloud-detections-for-aws-cloudtrail\) cannot be turned off/],
    ];
    for (const [f, code, status, detail] of cases) {
      let caught: unknown;
      try { f(); } catch (err) { caught = err; }
      expect(caught).toBeInstanceOf(SimError);
      expect(isPolicyError(caught)).toBe(true);
      expect(caught).toMatchObject({ code, statusCode: status });
      expect((caught as SimError).detail).toMatch(detail);
    }
    expect(isPolicyError(new SimError('SIM_ERR_HEC_NO_DATA'))).toBe(false);
    expect(isPolicyError(Object.assign(new Error('x'), { code: 'SIM_ERR_POLICY_MODULE_LOCKED' }))).toBe(false);
  });

  it('refuses to turn off a module the notice says cannot be turned off', () => {
    expect(() => compilePolicy(m, { uploadPermission: { 'XDR Portal (First Time)': false } })).toThrow(SimError);
    try {
      compilePolicy(m).withPermission('cloud-detections-for-aws-cloudtrail', false);
      expect.unreachable();
    } catch (err) {
      // the module's id is in the SimError's detail (it had a moduleId field when it was the filter's own PolicyError)
      expect(err).toMatchObject({ code: 'SIM_ERR_POLICY_MODULE_LOCKED', detail: expect.stringContaining('(cloud-detections-for-aws-cloudtrail)') });
      expect((err as Error).message).toMatch(/cannot be turned off/);
    }
    // turning it on is always allowed
    expect(compilePolicy(m).withPermission('cloud-detections-for-aws-cloudtrail', true).isUploadAllowed('cloud-detections-for-aws-cloudtrail')).toBe(true);
  });

  it('names an unknown module', () => {
    expect(() => compilePolicy(m, { uploadPermission: { 'no such module': false } })).toThrow(/no module 'no such module'/);
  });

  it('is effective at once through withPermission, leaving the old policy as it was', () => {
    const p0 = compilePolicy(m);
    const p1 = p0.withPermission('Azure AD', false);
    expect(p1.isUploadAllowed('microsoft-entra-id')).toBe(false);
    expect(p0.isUploadAllowed('microsoft-entra-id')).toBe(true);
    expect(p1.withPermission('microsoft-entra-id', true).isUploadAllowed('microsoft-entra-id')).toBe(true);
  });

  it('cuts dropped pairs out of key=value raw events', () => {
    const raw = 'date=2024-05-17 srcip=198.51.100.63 srcport=51204 user="j doe" action=allow';
    const policy = compilePolicy(m, { uploadPermission: { [SPLUNK]: false } });
    const r = applyPolicy(policy, raw, m.classifyEvent(raw, SPLUNK));
    expect(r.event).toBe('srcport=51204 action=allow');
  });

  it('builds copies without prototypes, so no key reaches Object.prototype', () => {
    const ev = JSON.parse('{"__proto__":{"polluted":1},"src":"198.51.100.9"}');
    const policy = compilePolicy(m, { uploadPermission: { [SPLUNK]: false } });
    const r = applyPolicy(policy, ev, m.classifyEvent(ev, SPLUNK));
    expect(JSON.stringify(r.event)).toBe('{"__proto__":{"polluted":1}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
