/**
 * The filter's permission model (src/pipeline/filter, src/pipeline/policy): a permission for the whole source, the data-source
 * page's relations, tenant settings, locks, ambiguous names and the secrets policy — pure, over the catalog.
 */
import { describe, expect, it } from 'vitest';
import { getDefaultMatcher } from '../../../../src/pipeline/classify/index.ts';
import { SimError } from '../../../../src/errors/sim-error.ts';
import { applyPolicy, compilePolicy, REDACTED } from '../../../../src/pipeline/filter/index.ts';
import { lookupModule } from '../../../../src/pipeline/policy/names.ts';
import { compileRelations } from '../../../../src/pipeline/policy/relations.ts';

const m = getDefaultMatcher();
const O365 = 'office-365-usage';
const ENTRA = 'microsoft-entra-id';
const SPLUNK = 'splunk-network-firewall-web-gateway-logs';
const o365 = { 'User Principal Name': 'alice@contoso.com', extra: 7 };
const run = (policy: ReturnType<typeof compilePolicy>, event: unknown, module: string | null, sourcetype?: string) =>
  applyPolicy(policy, event, m.classifyEvent(event, module), { module, sourcetype });

describe('a permission is for the whole source', () => {
  it('drops every field of an event of a module that is off, undeclared ones included, and keeps nothing', () => {
    const p = compilePolicy(m, { uploadPermission: { [SPLUNK]: false } });
    const r = run(p, { src_ip: '10.0.0.1', bytes: 5 }, SPLUNK);
    expect(r.event).toBeNull();
    expect(r.dropped).toBe(2);
    expect(r.fields.map((f) => f.action)).toEqual(['drop', 'drop']);
    expect(r.fields[1]).toMatchObject({ item: null, reason: expect.stringMatching(/upload permission of module 'splunk-network-firewall-web-gateway-logs'/) });
  });
  it('without the event context only the fields of the module are dropped (the shared verdict differs per context)', () => {
    const p = compilePolicy(m, { uploadPermission: { [SPLUNK]: false } });
    const ev = { src_ip: '10.0.0.1', bytes: 5 };
    const fields = m.classifyEvent(ev, SPLUNK);
    expect(applyPolicy(p, ev, fields).fields.map((f) => f.action)).toEqual(['drop', 'flag']);
    expect(applyPolicy(p, ev, fields, { module: SPLUNK }).fields.map((f) => f.action)).toEqual(['drop', 'drop']);
    expect(applyPolicy(p, ev, fields).fields.map((f) => f.action)).toEqual(['drop', 'flag']);
  });
  it('a raw string event of a module that is off is not kept', () => {
    const p = compilePolicy(m, { uploadPermission: { [SPLUNK]: false } });
    const line = 'src=10.0.0.1 dst=192.0.2.1 bytes=5';
    expect(applyPolicy(p, line, m.classifyEvent(line, SPLUNK), { module: SPLUNK }).event).toBeNull();
  });
});

describe('relations', () => {
  it('every relation names modules, items and sourcetypes the catalog has', () => {
    const r = compileRelations(m.modules);
    expect([...r.of.keys()].sort()).toEqual(['endpoint-sensor', 'microsoft-entra-id', O365, 'okta', 'qualys', 'trend-micro-web-security']);
    for (const rels of r.of.values()) for (const x of rels) expect(x.quote.length).toBeGreaterThan(20);
  });
  it('requires a module: Office 365 follows Azure AD, with the reason in the page\'s words', () => {
    const p = compilePolicy(m, { uploadPermission: { 'Azure AD': false } });
    expect(p.effective(O365)).toMatchObject({ uploadPermission: true, effective: false, reason: expect.stringMatching(/^Office 365 requires the Azure AD upload permission, which is off/) });
    const r = run(p, o365, O365);
    expect(r.event).toBeNull();
    expect(r.fields[0].reason).toMatch(/^Office 365 requires the Azure AD upload permission, which is off/);
    expect(run(compilePolicy(m), o365, O365).event).toBe(o365);
  });
  it('a field of Office 365 in another module\'s event is dropped with the requirement as its reason', () => {
    const p = compilePolicy(m, { uploadPermission: { 'Azure AD': false } });
    const f = m.classifyEvent(o365, O365)[0];
    expect(p.decide(f)).toMatchObject({ action: 'drop', reason: expect.stringMatching(/requires the Azure AD upload permission.*\(item 'User principal name'\)$/) });
  });
  it('requires a setting: Web Sensor follows internetAccessService', () => {
    const ev = { username: 'alice' };
    expect(run(compilePolicy(m), ev, 'trend-micro-web-security').event).toBe(ev);
    const p = compilePolicy(m, { settings: { internetAccessService: false } });
    expect(run(p, ev, 'trend-micro-web-security').fields[0].reason).toMatch(/^Web Sensor requires the Internet Access Service/);
  });
  it('separatePermission: only the threat-detection sourcetype needs office365ThreatDetection', () => {
    const off = compilePolicy(m);
    expect(run(off, o365, O365, 'o365:threat:detection').event).toBeNull();
    expect(run(off, o365, O365, 'o365:reporting:usage').event).toBe(o365);
    expect(run(off.withSetting('office365ThreatDetection', true), o365, O365, 'O365:Threat:Detection').event).toBe(o365);
  });
  it('separatePermission by field value: o365:management:activity records of a threat RecordType need office365ThreatDetection', () => {
    const off = compilePolicy(m);
    const MA = 'o365:management:activity';
    const usage = { RecordType: 6, Workload: 'SharePoint', UserId: 'alice@contoso.com' };
    const threat = { RecordType: 28, Workload: 'ThreatIntelligence', UserId: 'ThreatIntel' };
    // the gate of the sourcetype is cached: a usage record first, then a threat one, then usage again
    expect(run(off, usage, O365, MA).event).toBe(usage);
    expect(run(off, threat, O365, MA).event).toBeNull();
    expect(run(off, usage, O365, MA).event).toBe(usage);
    for (const t of [41, 47, 64, '47', 'ThreatIntelligenceAtpContent', 'AirInvestigation']) expect(run(off, { ...threat, RecordType: t }, O365, MA).event, String(t)).toBeNull();
    for (const t of [8, 40, 78, 'ThreatIntel', null]) expect(run(off, { ...threat, RecordType: t }, O365, MA).event, String(t)).not.toBeNull();
    // JSON text (/raw): the first "RecordType" key; the sourcetype's case does not matter
    expect(run(off, JSON.stringify(threat), O365, 'O365:Management:Activity').event).toBeNull();
    expect(run(off, JSON.stringify(usage), O365, MA).event).toBe(JSON.stringify(usage));
    // another module's events of that sourcetype, and the record with the permission on, are kept
    expect(run(off, threat, ENTRA, MA).event).toBe(threat);
    expect(run(off.withSetting('office365ThreatDetection', true), threat, O365, MA).event).toBe(threat);
    // the event's context decides for what is filtered with it (its indexed fields)
    const fields = { o365_tenant: 'contoso' };
    expect(applyPolicy(off, fields, m.classifyEvent(fields, O365), { module: O365, sourcetype: MA, event: threat }).event).toBeNull();
    expect(applyPolicy(off, fields, m.classifyEvent(fields, O365), { module: O365, sourcetype: MA, event: usage }).event).toBe(fields);
  });
  it('a match must name one of the module\'s sourcetypes, and only a separatePermission takes one', () => {
    const o = m.modules.find((x) => x.id === O365)!;
    const rel = o.relations!.find((r) => r.type === 'separatePermission')!;
    const withMatch = (r: object) => m.modules.map((x) => (x.id === O365 ? { ...x, relations: [r as typeof rel] } : x));
    expect(() => compileRelations(withMatch({ ...rel, match: [{ ...rel.match![0], sourcetype: 'ms365:defender:incident:alerts' }] })))
      .toThrow(/match sourcetype 'ms365:defender:incident:alerts' is not one of office-365-usage's/);
    expect(() => compileRelations(withMatch({ type: 'requires', module: ENTRA, quote: rel.quote, match: rel.match })))
      .toThrow(/only a separatePermission takes match/);
  });
  it('standsInFor: Endpoint Sensor\'s vulnerability items carry the note while Qualys is not configured or off', () => {
    const ev = { osName: 'Windows 11', endpointName: 'LT-1' };
    const notes = (p: ReturnType<typeof compilePolicy>) => run(p, ev, 'endpoint-sensor').fields.map((f) => f.note ?? null);
    expect(notes(compilePolicy(m))).toEqual([null, null]);
    expect(notes(compilePolicy(m, { settings: { qualysConfigured: false } }))[0]).toMatch(/acts as the data source for vulnerability detection/);
    expect(notes(compilePolicy(m, { uploadPermission: { qualys: false } }))[0]).toMatch(/acts as the data source/);
    expect(notes(compilePolicy(m, { uploadPermission: { qualys: false } }))[1]).toBeNull();
  });
  it('affects: ZTSA events carry the page\'s warning while Azure AD or Okta is off; the affecting module\'s reason quotes it', () => {
    const ev = { userPrincipalName: 'a@b.example' };
    const p = compilePolicy(m, { uploadPermission: { [ENTRA]: false, okta: false } });
    const r = run(p, ev, 'zero-trust-secure-access-private-access');
    expect(r.event).toBe(ev);
    expect(r.fields[0].note).toMatch(/^the Azure AD and Okta upload permission is off: the data-source page warns "Operations Dashboard/);
    expect(p.effective('okta').reason).toMatch(/the data-source page warns: "Operations Dashboard and Zero Trust Secure Access both require/);
  });
});

describe('names and locks', () => {
  it('accepts the data-source page\'s names wherever a module is named', () => {
    const page: Record<string, string> = {
      'Endpoint Sensor': 'endpoint-sensor', 'Trend Micro Vision One Endpoint Sensor': 'endpoint-sensor', 'Connected Endpoint Product Agent': 'security-agents',
      'Email Sensor': 'email-sensor', 'Network Sensor': 'network-sensor', 'Web Sensor': 'trend-micro-web-security', 'Mobile Sensor': 'trend-micro-mobile-security',
      'Azure AD': ENTRA, Okta: 'okta', 'Office 365': O365, Qualys: 'qualys', Splunk: SPLUNK, 'Splunk - Network Firewall / Web Gateway Logs': SPLUNK,
    };
    for (const [name, id] of Object.entries(page)) {
      const r = lookupModule(m.modules, name);
      expect(r.kind === 'one' && r.module.id, name).toBe(id);
      expect(compilePolicy(m, { uploadPermission: { [name]: false } }).isUploadAllowed(id)).toBe(false);
    }
  });
  it('refuses a name several modules share, listing ids and sections', () => {
    try {
      compilePolicy(m, { uploadPermission: { 'service gateway management': false } });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SimError);
      expect(err).toMatchObject({ code: 'SIM_ERR_POLICY_AMBIGUOUS_MODULE' });
      expect((err as Error).message).toMatch(/names 4 modules: service-gateway-service-gateway-management \(Service Gateway\), local-active-update-service-service-gateway-management \(Local Active Update Service\)/);
    }
    // an id is never ambiguous
    expect(compilePolicy(m, { uploadPermission: { 'forward-proxy-service-service-gateway-management': false } }).disabled.size).toBe(1);
  });
  it('canBeTurnedOff: no refused with the notice\'s words; partly accepted with a warning; not-stated accepted', () => {
    expect(() => compilePolicy(m, { uploadPermission: { 'email-inventory': false } })).toThrow(/cannot be turned off: the notice says "The data collection can't be disabled/);
    const p = compilePolicy(m, { uploadPermission: { 'trend-vision-one-virtual-network-sensor': false, 'response-app': false } });
    expect(p.warnings).toHaveLength(1);
    expect(p.warnings[0]).toMatch(/some modules of Trend Vision One Virtual Network Sensor cannot be disabled/);
    const byValue = (v: string) => m.modules.filter((x) => x.canBeTurnedOff === v).map((x) => x.id);
    expect(byValue('partly').sort()).toEqual(['trend-vision-one-security-assessment-service', 'trend-vision-one-virtual-network-sensor']);
    expect(byValue('not-stated')).toHaveLength(8);
  });
  it('options() rebuilds the same policy (ingest threads, the data folder)', () => {
    const p = compilePolicy(m, { uploadPermission: { okta: false }, settings: { qualysConfigured: false }, secrets: 'redact', undeclared: 'drop' });
    const q = compilePolicy(m, p.options());
    expect(q.options()).toEqual(p.options());
    expect(p.options()).toMatchObject({ uploadPermission: { okta: false }, settings: { qualysConfigured: false, internetAccessService: true }, secrets: 'redact' });
  });
});

describe('secrets: keep | redact | drop', () => {
  const ev = { user: 'alice', password: 'hunter2', nested: { token: ['a', 'b'] } };
  it('keep stores the value (the default)', () => {
    expect(run(compilePolicy(m), ev, SPLUNK).event).toBe(ev);
  });
  it('redact replaces the value and keeps the field, its classification and action', () => {
    const r = run(compilePolicy(m, { secrets: 'redact' }), ev, SPLUNK);
    const pw = r.fields.find((f) => f.path === 'password')!;
    expect(pw).toMatchObject({ category: 'secret', masked: 'redacted' });
    expect(pw.action).not.toBe('drop');
    expect((r.event as { password: string }).password).toBe(REDACTED);
    expect((r.event as { user: string }).user).toBe('alice');
    expect(ev.password).toBe('hunter2');
  });
  it('drop leaves the value out; the field and its classification stay in the record', () => {
    const r = run(compilePolicy(m, { secrets: 'drop' }), ev, SPLUNK);
    expect(r.fields.find((f) => f.path === 'password')).toMatchObject({ category: 'secret', action: 'drop', reason: expect.stringMatching(/policy secrets: drop/) });
    expect(r.event).not.toHaveProperty('password');
  });
  it('redacts a key=value raw line in place', () => {
    const line = 'user=alice password=hunter2 action=allow';
    const r = applyPolicy(compilePolicy(m, { secrets: 'redact' }), line, m.classifyEvent(line, SPLUNK), { module: SPLUNK });
    expect(r.event).toBe(`user=alice password=${REDACTED} action=allow`);
  });
});
