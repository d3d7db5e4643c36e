/**
 * The data-source page's dependencies at work, over real sockets with the catalog's own classifier: each relation
 * with the related permissions and settings in each state, and what the store keeps. Then a restart keeps what
 * the admin API changed, with an audit trail.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigFile } from '../../src/config/config.ts';
import { defaultClassifier } from '../../src/pipeline/ingest/classifier.ts';
import { call, splunk, start, US, type Started } from '../helpers/service.ts';

const ADMIN = 'permissions-admin-token';
const tok = (n: number) => `aaaaaaaa-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const T = {
  o365: tok(1), entra: tok(2), web: tok(3), es: tok(4), qualys: tok(5), okta: tok(6), ztsa: tok(7), sas: tok(8), any: tok(9),
};
function config(extra: Partial<ConfigFile> = {}): ConfigFile {
  return {
    adminToken: ADMIN,
    tenants: [{ id: 'acme', uploadPermission: {} }],
    tokens: [
      { token: T.o365, tenant: 'acme', region: 'us', module: 'Office 365' },
      { token: T.entra, tenant: 'acme', region: 'us', module: 'Azure AD' },
      { token: T.web, tenant: 'acme', region: 'us', module: 'Web Sensor' },
      { token: T.es, tenant: 'acme', region: 'us', module: 'Trend Micro Vision One Endpoint Sensor' },
      { token: T.qualys, tenant: 'acme', region: 'us', module: 'Qualys' },
      { token: T.okta, tenant: 'acme', region: 'us', module: 'Okta' },
      { token: T.ztsa, tenant: 'acme', region: 'us', module: 'zero-trust-secure-access-internet-access' },
      { token: T.sas, tenant: 'acme', region: 'us', module: 'trend-vision-one-security-assessment-service' },
      { token: T.any, tenant: 'acme', region: 'us' },
    ],
    undeclared: 'flag',
    ...extra,
  };
}

const auth = { authorization: `Bearer ${ADMIN}` };
function api(s: Started) {
  return {
    get: (p: string) => call(s.url, 'GET', `/admin/v1${p}`, { headers: auth }),
    put: (p: string, body: unknown) => call(s.url, 'PUT', `/admin/v1${p}`, { headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    /** Sends one event with the token and returns it as stored (the newest event). */
    async send(token: string, event: unknown, sourcetype?: string) {
      const r = await call(s.url, 'POST', '/services/collector/event', { host: US, headers: splunk(token), body: JSON.stringify({ event, ...(sourcetype ? { sourcetype } : {}) }) });
      expect(r.status, r.text).toBe(200);
      const got = await call(s.url, 'GET', '/admin/v1/events?limit=1', { headers: auth });
      return got.json.events[0];
    },
  };
}

const O365 = { 'User Principal Name': 'alice@contoso.com', 'Display Name': 'Alice Smith', 'Report Refresh Date': '2024-05-01', extra: 7 };

let s: Started;
let a: ReturnType<typeof api>;
beforeAll(async () => {
  s = await start(config(), {}, { classifier: defaultClassifier() });
  a = api(s);
});
afterAll(async () => { await s.close(); });

describe('a permission is for the whole source', () => {
  it('with a module off nothing of its events is kept, undeclared fields included, and every field says why', async () => {
    expect((await a.put('/tenants/acme/modules/Splunk', { uploadPermission: false })).status).toBe(200);
    const e = await a.send(T.any, { src_ip: '10.1.2.3', bytes_out: 77, note: 'x' }, 'pan:traffic');
    expect(e.module).toBe('splunk-network-firewall-web-gateway-logs');
    expect(e.event).toBeNull();
    expect(e.dropped).toBe(3);
    for (const f of e.fields) expect(f).toMatchObject({ action: 'drop', reason: expect.stringMatching(/upload permission of module 'splunk-network-firewall-web-gateway-logs' \(Splunk - Network Firewall \/ Web Gateway Logs\) is off/) });
    expect((await a.put('/tenants/acme/modules/Splunk', { uploadPermission: true })).status).toBe(200);
    const kept = await a.send(T.any, { src_ip: '10.1.2.3', bytes_out: 77 }, 'pan:traffic');
    expect(kept.event).toEqual({ src_ip: '10.1.2.3', bytes_out: 77 });
  });
});

describe('requires: Office 365 → Azure AD upload permission', () => {
  it('Azure AD on: the Office 365 event is stored; off: nothing of it, and the reason names the requirement', async () => {
    const on = await a.send(T.o365, O365);
    expect(on.event).toEqual(O365);
    expect(on.fields.find((f: any) => f.path === 'User Principal Name')).toMatchObject({ item: 'User principal name', group: 'OneDrive activity report', action: 'keep' });

    const r = await a.put('/tenants/acme/modules/Azure%20AD', { uploadPermission: false });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ module: 'microsoft-entra-id', uploadPermission: false, effectivePermission: false });
    expect(r.json.consequences.join('\n')).toMatch(/office-365-usage \(Office 365\): its events are no longer kept: Office 365 requires the Azure AD upload permission, which is off/);
    expect(r.json.consequences.join('\n')).toMatch(/Operations Dashboard, Zero Trust Secure Access/);
    const o = (await a.get('/tenants/acme/modules/office-365-usage')).json;
    expect(o).toMatchObject({ uploadPermission: true, effectivePermission: false, reason: expect.stringMatching(/^Office 365 requires the Azure AD upload permission, which is off/) });

    const off = await a.send(T.o365, O365);
    expect(off.event).toBeNull();
    expect(off.fields.map((f: any) => f.action)).toEqual(['drop', 'drop', 'drop', 'drop']);
    expect(off.fields[0].reason).toMatch(/^Office 365 requires the Azure AD upload permission, which is off; the data-source page: "Office 365 integration also requires that you permit data upload from Azure AD\."/);

    await a.put('/tenants/acme/modules/microsoft-entra-id', { uploadPermission: true });
    expect((await a.send(T.o365, O365)).event).toEqual(O365);
  });
});

describe('requires: Web Sensor → the Internet Access Service (tenant setting)', () => {
  it('enabled: stored; not enabled: nothing of it, with the reason', async () => {
    const ev = { username: 'alice', url: 'https://example.org/x', browsingTime: '2024-05-01T10:00:00Z' };
    expect((await a.send(T.web, ev)).event).toEqual(ev);
    const r = await a.put('/tenants/acme/settings/internetAccessService', { value: false });
    expect(r.status).toBe(200);
    expect(r.json.consequences.join('\n')).toMatch(/trend-micro-web-security \(Web Sensor\): its events are no longer kept: Web Sensor requires the Internet Access Service/);
    const off = await a.send(T.web, ev);
    expect(off.event).toBeNull();
    expect(off.fields[0].reason).toMatch(/^Web Sensor requires the Internet Access Service configured and enabled in the Zero Trust Secure Access app, which is not enabled \(tenant setting internetAccessService\)/);
    await a.put('/tenants/acme/settings/internetAccessService', { value: true });
    expect((await a.send(T.web, ev)).event).toEqual(ev);
  });
});

describe('standsInFor: Endpoint Sensor for vulnerability data when Qualys is not configured', () => {
  const es = { endpointName: 'LT-1', osName: 'Windows 11', installedSoftwareName: 'Chrome' };
  const q = { hostname: 'srv1', ip: '10.0.0.1', vulnerabilityList: 'CVE-2024-1' };
  it('Qualys configured and on: both stored, no stand-in', async () => {
    expect((await a.send(T.qualys, q)).event).toEqual(q);
    const e = await a.send(T.es, es);
    expect(e.event).toEqual(es);
    expect(e.fields.every((f: any) => f.note === undefined)).toBe(true);
  });
  it('Qualys not configured: Qualys events are not kept, Endpoint Sensor vulnerability items say it stands in', async () => {
    const r = await a.put('/tenants/acme/settings/qualysConfigured', { value: false });
    expect(r.json.consequences.join('\n')).toMatch(/endpoint-sensor \(Trend Micro Vision One Endpoint Sensor\) now acts as the data source for vulnerability detection/);
    const qe = await a.send(T.qualys, q);
    expect(qe.event).toBeNull();
    expect(qe.fields[0].reason).toMatch(/^Qualys requires a Qualys account configured for the Qualys data source, which is not configured/);
    const e = await a.send(T.es, es);
    expect(e.event).toEqual(es);
    const byPath = Object.fromEntries(e.fields.map((f: any) => [f.path, f]));
    expect(byPath.osName.note).toMatch(/acts as the data source for vulnerability detection/);
    expect(byPath.installedSoftwareName.note).toMatch(/acts as the data source for vulnerability detection/);
    expect(byPath.endpointName.note).toBeUndefined(); // not a vulnerability item
  });
  it('Qualys configured but its upload off: the stand-in holds; Endpoint Sensor off too: no vulnerability source is said', async () => {
    await a.put('/tenants/acme/settings/qualysConfigured', { value: true });
    await a.put('/tenants/acme/modules/qualys', { uploadPermission: false });
    expect((await a.send(T.es, es)).fields.find((f: any) => f.path === 'osName').note).toMatch(/Qualys is not configured or its upload is off/);
    const r = await a.put('/tenants/acme/modules/endpoint-sensor', { uploadPermission: false });
    expect(r.json.consequences.join('\n')).toMatch(/no vulnerability data source/);
    expect((await a.send(T.es, es)).event).toBeNull();
    await a.put('/tenants/acme/modules/endpoint-sensor', { uploadPermission: true });
    const back = await a.put('/tenants/acme/modules/qualys', { uploadPermission: true });
    expect(back.json.consequences.join('\n')).toMatch(/the data-source page advises: "Qualys integration only provides CVE detection data/);
  });
});

describe('separatePermission: Office 365 threat detection upload', () => {
  const threat = { 'User Principal Name': 'alice@contoso.com', threatName: 'phish', detectedAt: '2024-05-01' };
  it('off (the default): threat events are not kept while usage events are; on: kept; Azure AD off: not kept', async () => {
    const off = await a.send(T.o365, threat, 'o365:threat:detection');
    expect(off.event).toBeNull();
    expect(off.fields[0].reason).toMatch(/Office 365 events of sourcetype 'o365:threat:detection' need the Office 365 Threat detection upload permission, which is off/);
    expect((await a.send(T.o365, O365, 'o365:reporting:usage')).event).toEqual(O365);
    const r = await a.put('/tenants/acme/settings/office365ThreatDetection', { value: true });
    expect(r.json.consequences.join('\n')).toMatch(/events of sourcetype o365:threat:detection are now kept/);
    expect((await a.send(T.o365, threat, 'o365:threat:detection')).event).toEqual(threat);
    await a.put('/tenants/acme/modules/microsoft-entra-id', { uploadPermission: false });
    expect((await a.send(T.o365, threat, 'o365:threat:detection')).fields[0].reason).toMatch(/^Office 365 requires the Azure AD upload permission/);
    await a.put('/tenants/acme/modules/microsoft-entra-id', { uploadPermission: true });
    await a.put('/tenants/acme/settings/office365ThreatDetection', { value: false });
  });
});

describe('separatePermission by field value: Office 365 Management Activity threat records (o365:management:activity)', () => {
  // shaped as the Office 365 Management Activity API returns them (learn.microsoft.com office-365-management-
  // activity-api-schema: common schema + "Email message events"), as the Splunk Add-on for Microsoft Office 365
  // indexes them under sourcetype o365:management:activity
  const phish = {
    CreationTime: '2024-05-01T10:15:22', Id: '3f0b9c4e-6a1d-4f7e-9d2b-1c5e8a7f6b21', Operation: 'TIMailData',
    OrganizationId: 'b1a2c3d4-0000-4000-8000-00000000abcd', RecordType: 28, UserKey: 'ThreatIntel', UserType: 4, Version: 1,
    Workload: 'ThreatIntelligence', UserId: 'ThreatIntel', DetectionMethod: 'URL malicious reputation', DetectionType: 'Inline',
    InternetMessageId: '<a1b2c3@mail.evil.example>', NetworkMessageId: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
    P1Sender: 'billing@evil.example', P2Sender: 'billing@evil.example', Recipients: ['alice@contoso.com'],
    SenderIp: '203.0.113.7', Subject: 'Invoice overdue', Verdict: 'Phish', MessageTime: '2024-05-01T10:15:10',
  };
  const fileAccessed = {
    CreationTime: '2024-05-01T10:16:02', Id: '7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f', Operation: 'FileAccessed',
    OrganizationId: 'b1a2c3d4-0000-4000-8000-00000000abcd', RecordType: 6, UserKey: 'i:0h.f|membership|10032000a1b2c3d4@live.com',
    UserType: 0, Version: 1, Workload: 'SharePoint', ClientIP: '198.51.100.23', UserId: 'alice@contoso.com',
    ObjectId: 'https://contoso.sharepoint.com/sites/finance/Shared Documents/q1.xlsx', SourceFileName: 'q1.xlsx',
  };
  const sendAny = async (body: unknown, path = '/services/collector/event', query = '') => {
    const r = await call(s.url, 'POST', `${path}${query}`, { host: US, headers: splunk(T.any), body: typeof body === 'string' ? body : JSON.stringify(body) });
    expect(r.status, r.text).toBe(200);
    return (await a.get('/events?limit=1')).json.events[0];
  };

  it('off (the default): a RecordType 28 record is not kept, indexed fields included, while a SharePoint record is; on: kept', async () => {
    const off = await sendAny({ event: phish, sourcetype: 'o365:management:activity', fields: { o365_tenant: 'contoso' } });
    expect(off.module).toBe('office-365-usage'); // by its sourcetype
    expect(off.event).toBeNull();
    expect(off.indexedFields).toBeNull();
    expect(off.fields.find((f: any) => f.path === 'fields.o365_tenant')).toMatchObject({ action: 'drop' });
    expect(off.fields.every((f: any) => f.action === 'drop')).toBe(true);
    expect(off.fields[0].reason).toMatch(/^Office 365 events of sourcetype 'o365:management:activity' with RecordType 28, 41, 47, 64, .* need the Office 365 Threat detection upload permission, which is off/);
    const usage = await sendAny({ event: fileAccessed, sourcetype: 'o365:management:activity', fields: { o365_tenant: 'contoso' } });
    expect(usage.event).toEqual(fileAccessed);
    expect(usage.indexedFields).toEqual({ o365_tenant: 'contoso' });
    // the same record as JSON text through /raw, and its RecordType by name (Search-UnifiedAuditLog's form)
    expect((await sendAny(JSON.stringify(phish), '/services/collector/raw', '?sourcetype=o365:management:activity')).event).toBeNull();
    expect((await sendAny({ event: { ...phish, RecordType: 'ThreatIntelligence' }, sourcetype: 'o365:management:activity' })).event).toBeNull();

    const on = await a.put('/tenants/acme/settings/office365ThreatDetection', { value: true });
    expect(on.json.changed).toBe(true);
    expect(on.json.consequences.join('\n')).toMatch(/with RecordType 28, 41, 47, 64, .*\) are now kept/);
    expect((await sendAny({ event: phish, sourcetype: 'o365:management:activity' })).event).toEqual(phish);
    await a.put('/tenants/acme/settings/office365ThreatDetection', { value: false });
  });
});

describe('affects: Azure AD and Okta → Operations Dashboard and Zero Trust Secure Access', () => {
  const okta = { actor: { alternateId: 'alice@contoso.com' }, client: { ipAddress: '198.51.100.1' } };
  const ztsa = { userPrincipalName: 'alice@contoso.com', url: 'https://x.example' };
  it('Okta on: no warning; off: its events are not kept, the reason quotes the page, and ZTSA events carry the warning', async () => {
    expect((await a.send(T.ztsa, ztsa)).fields.every((f: any) => f.note === undefined)).toBe(true);
    const r = await a.put('/tenants/acme/modules/Okta', { uploadPermission: false });
    expect(r.json.consequences.join('\n')).toMatch(/features the data-source page says are affected: Operations Dashboard, Zero Trust Secure Access: "Operations Dashboard and Zero Trust Secure Access both require/);
    const o = await a.send(T.okta, okta);
    expect(o.event).toBeNull();
    expect(o.fields[0].reason).toMatch(/the data-source page warns: "Operations Dashboard and Zero Trust Secure Access both require the data upload permission/);
    const z = await a.send(T.ztsa, ztsa);
    expect(z.event).toEqual(ztsa); // "may prevent": a warning, not a drop
    expect(z.fields[0].note).toMatch(/the Okta upload permission is off: the data-source page warns "Operations Dashboard and Zero Trust Secure Access/);
    await a.put('/tenants/acme/modules/okta', { uploadPermission: true });
    expect((await a.send(T.okta, okta)).event).toEqual(okta);
  });
  it('Azure AD off: ZTSA events carry the same warning, naming Azure AD; on again: none', async () => {
    await a.put('/tenants/acme/modules/microsoft-entra-id', { uploadPermission: false });
    const z = await a.send(T.ztsa, ztsa);
    expect(z.event).toEqual(ztsa);
    expect(z.fields.map((f: any) => f.note)).toEqual([expect.stringMatching(/^the Azure AD upload permission is off/), expect.stringMatching(/^the Azure AD upload permission is off/)]);
    await a.put('/tenants/acme/modules/microsoft-entra-id', { uploadPermission: true });
    expect((await a.send(T.ztsa, ztsa)).fields.every((f: any) => f.note === undefined)).toBe(true);
  });
});

describe('locks that say what the notice says', () => {
  it('partly: accepted with the warning in the answer and in the stored reason', async () => {
    const r = await a.put('/tenants/acme/modules/trend-vision-one-security-assessment-service', { uploadPermission: false });
    expect(r.status).toBe(200);
    expect(r.json.canBeTurnedOff).toBe('partly');
    expect(r.json.warnings[0]).toMatch(/the notice says some modules of Trend Vision One Security Assessment Service cannot be disabled/);
    const e = await a.send(T.sas, { hostname: 'h1', n: 1 });
    expect(e.event).toBeNull();
    expect(e.fields[0].reason).toMatch(/cannot be disabled and names another article for which/);
    await a.put('/tenants/acme/modules/trend-vision-one-security-assessment-service', { uploadPermission: true });
  });
  it('not-stated: accepted, with a warning that the notice does not say how', async () => {
    const r = await a.put('/tenants/acme/modules/response-app', { uploadPermission: false });
    expect([r.status, r.json.canBeTurnedOff]).toEqual([200, 'not-stated']);
    expect(r.json.warnings).toEqual([expect.stringMatching(/the notice does not say how Response App is turned off/)]);
    await a.put('/tenants/acme/modules/response-app', { uploadPermission: true });
  });
  it('no: 409 with the notice\'s words', async () => {
    const r = await a.put('/tenants/acme/modules/xdr-portal-first-time', { uploadPermission: false });
    expect(r.status).toBe(409);
    expect(r.json.detail).toMatch(/cannot be turned off: the notice says "XDR Portal automatically collects/);
  });
  it('a name several modules share is refused with the candidates (ids and sections)', async () => {
    const r = await a.put('/tenants/acme/modules/Service%20Gateway%20Management', { uploadPermission: false });
    expect(r.status).toBe(409);
    expect(r.json.text).toBe('Module name is ambiguous');
    for (const c of ['service-gateway-service-gateway-management (Service Gateway)', 'local-active-update-service-service-gateway-management (Local Active Update Service)',
      'forward-proxy-service-service-gateway-management (Forward Proxy Service)', 'smart-protection-service-service-gateway-management (Smart Protection Service)']) {
      expect(r.json.detail).toContain(c);
    }
  });
});

describe('ambiguous names elsewhere', () => {
  it('?module= of the events view and a token\'s module are refused with the candidates', async () => {
    const r = await a.get('/events?module=Service%20Gateway%20Management');
    expect([r.status, r.json.text]).toEqual([409, 'Module name is ambiguous']);
    const bad = config();
    bad.tokens = [{ token: tok(20), tenant: 'acme', region: 'us', module: 'Service Gateway Management' }];
    const dir = mkdtempSync(join(tmpdir(), 'sim-perm-'));
    await expect(start(bad, { dataDir: dir }, { classifier: defaultClassifier() }).finally(() => rmSync(dir, { recursive: true, force: true }))).rejects.toThrow(/\/tokens\/0\/module: 'Service Gateway Management' names 4 modules: service-gateway-service-gateway-management \(Service Gateway\)/);
  });
});

describe('persisted: a restart keeps what the admin API changed', () => {
  it('permissions and settings survive a restart, with an audit trail that never holds the token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-perm-'));
    try {
      const one = await start(config(), { dataDir: dir }, { classifier: defaultClassifier() });
      const x = api(one);
      expect((await x.put('/tenants/acme/modules/Azure%20AD', { uploadPermission: false })).status).toBe(200);
      expect((await x.put('/tenants/acme/settings/qualysConfigured', { value: false })).status).toBe(200);
      await one.close();
      expect(existsSync(join(dir, 'policy', 'tenants.json'))).toBe(true);

      const two = await start(config(), { dataDir: dir }, { classifier: defaultClassifier() });
      const y = api(two);
      expect((await y.get('/tenants/acme/modules/microsoft-entra-id')).json.uploadPermission).toBe(false);
      expect((await y.get('/tenants/acme/settings')).json.settings.qualysConfigured.value).toBe(false);
      expect((await y.send(T.o365, O365)).event).toBeNull(); // the ingest threads have the restored policy too
      const audit = (await y.get('/audit')).json;
      expect(audit.entries.map((e: any) => [e.change, e.target, e.old, e.new])).toEqual([
        ['setting', 'qualysConfigured', true, false],
        ['uploadPermission', 'microsoft-entra-id', true, false],
      ]);
      expect(audit.entries[0].credential).toMatch(/^admin token sha256:[0-9a-f]{12}$/);
      expect(Date.parse(audit.entries[0].at)).not.toBeNaN();
      expect(readFileSync(join(dir, 'policy', 'audit.jsonl'), 'utf8')).not.toContain(ADMIN);
      await two.close();

      // --permissions-from config: the file wins, and the audit says so
      const three = await start(config(), { dataDir: dir, permissionsFrom: 'config' }, { classifier: defaultClassifier() });
      const z = api(three);
      expect((await z.get('/tenants/acme/modules/microsoft-entra-id')).json.uploadPermission).toBe(true);
      const fromConfig = (await z.get('/audit')).json.entries.filter((e: any) => e.credential === 'config file');
      expect(fromConfig.map((e: any) => [e.target, e.old, e.new])).toEqual([['qualysConfigured', false, true], ['microsoft-entra-id', false, true]]);
      await three.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a data folder whose policy state is not readable', () => {
  it('refuses to start, naming the file (serve exits 2 on it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-perm-'));
    try {
      const one = await start(config(), { dataDir: dir }, { classifier: defaultClassifier() });
      await one.close();
      writeFileSync(join(dir, 'policy', 'tenants.json'), '{"version":1,"tenants":');
      await expect(start(config(), { dataDir: dir }, { classifier: defaultClassifier() })).rejects.toMatchObject({
        name: 'SchemaError', code: 'SIM_ERR_CONFIG_INVALID', message: expect.stringMatching(/policy state .*tenants\.json is invalid:\n {2}- .*not JSON/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('secrets: keep | redact | drop', () => {
  it('redact: the value is replaced in what is stored; the field and its classification are kept', async () => {
    const r = await start(config({ secrets: 'redact' }), {}, { classifier: defaultClassifier() });
    try {
      const e = await api(r).send(T.any, { src_ip: '10.0.0.1', password: 'hunter2', n: 1 }, 'pan:traffic');
      expect(e.event).toEqual({ src_ip: '10.0.0.1', password: '[redacted]', n: 1 });
      expect(e.fields.find((f: any) => f.path === 'password')).toMatchObject({ category: 'secret', masked: 'redacted' });
      const files = ['us'].map((d) => JSON.stringify(readFileSync(join(r.dataDir, d, 'events.log')).toString('latin1')));
      expect(files.join('')).not.toContain('hunter2');
    } finally {
      await r.close();
    }
  });
});

describe('per-tenant secrets and undeclared policies', () => {
  const event = { src_ip: '10.0.0.1', password: 'hunter2', n: 1 };
  it('a tenant whose config entry says secrets: redact stores password redacted while another tenant keeps it', async () => {
    const file = config({
      secrets: 'keep',
      tenants: [{ id: 'acme', uploadPermission: {} }, { id: 'beta', secrets: 'redact', undeclared: 'keep' }],
      tokens: [{ token: T.any, tenant: 'acme', region: 'us' }, { token: T.o365, tenant: 'beta', region: 'us' }],
    });
    const r = await start(file, {}, { classifier: defaultClassifier() });
    try {
      const x = api(r);
      const acme = await x.send(T.any, event, 'pan:traffic');
      expect(acme.event).toEqual(event);
      expect(acme.fields.find((f: any) => f.path === 'n')).toMatchObject({ action: 'flag' });
      const beta = await x.send(T.o365, event, 'pan:traffic');
      // beta: password redacted, and the undeclared field n kept unflagged by its own undeclared policy
      expect(beta.event).toEqual({ src_ip: '10.0.0.1', password: '[redacted]', n: 1 });
      expect(beta.fields.find((f: any) => f.path === 'password')).toMatchObject({ category: 'secret', masked: 'redacted' });
      expect(beta.fields.find((f: any) => f.path === 'n')).toMatchObject({ action: 'keep' });
      expect((await x.get('/tenants/beta/secrets')).json).toEqual({ tenant: 'beta', secrets: 'redact', undeclared: 'keep' });
      expect((await x.get('/tenants/acme/settings')).json).toMatchObject({ secrets: 'keep', undeclared: 'flag' });
    } finally {
      await r.close();
    }
  });

  it('a tenant entry with a secrets or undeclared word the schema does not have is refused at start, naming it', async () => {
    const bad = config({ tenants: [{ id: 'acme', secrets: 'mask' as never }, { id: 'beta', undeclared: 'hide' as never }] });
    await expect(start(bad, {}, { classifier: defaultClassifier() })).rejects.toMatchObject({
      code: 'SIM_ERR_CONFIG_INVALID',
      message: expect.stringMatching(/\/tenants\/0\/secrets: must be equal to one of the allowed values \("keep", "redact", "drop"\)\n.*\/tenants\/1\/undeclared: must be equal to one of the allowed values \("keep", "flag", "drop"\)/),
    });
  });

  it('a PUT of the undeclared or secrets policy takes effect for the next request and survives a restart, audited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-perm-'));
    try {
      const one = await start(config(), { dataDir: dir }, { classifier: defaultClassifier() });
      const x = api(one);
      expect((await x.send(T.any, event, 'pan:traffic')).event).toEqual(event);
      expect((await x.put('/tenants/acme/secrets', { value: 'redact' })).json.changed).toBe(true);
      expect((await x.send(T.any, event, 'pan:traffic')).event).toEqual({ src_ip: '10.0.0.1', password: '[redacted]', n: 1 });
      const u = await x.put('/tenants/acme/undeclared', { value: 'drop' });
      expect(u.status, u.text).toBe(200);
      expect(u.json).toMatchObject({ tenant: 'acme', undeclared: 'drop', secrets: 'redact', changed: true });
      expect(u.json.consequences).toEqual(['fields no item of the notice covers: not stored (policy undeclared: drop)']);
      // the next request: password and n are undeclared here, so both go
      expect((await x.send(T.any, event, 'pan:traffic')).event).toEqual({ src_ip: '10.0.0.1' });
      await one.close();
      expect(JSON.parse(readFileSync(join(dir, 'policy', 'tenants.json'), 'utf8')).tenants.acme).toMatchObject({ secrets: 'redact', undeclared: 'drop' });

      const two = await start(config(), { dataDir: dir }, { classifier: defaultClassifier() });
      const y = api(two);
      expect((await y.get('/tenants/acme/undeclared')).json).toEqual({ tenant: 'acme', secrets: 'redact', undeclared: 'drop' });
      // the ingest threads have the restored policy too
      expect((await y.send(T.any, event, 'pan:traffic')).event).toEqual({ src_ip: '10.0.0.1' });
      expect((await y.get('/audit')).json.entries.map((e: any) => [e.change, e.target, e.old, e.new])).toEqual([
        ['undeclared', 'undeclared', 'flag', 'drop'],
        ['secrets', 'secrets', 'keep', 'redact'],
      ]);
      await two.close();

      // --permissions-from config: the file's values win, and the audit says so
      const three = await start(config(), { dataDir: dir, permissionsFrom: 'config' }, { classifier: defaultClassifier() });
      const z = api(three);
      expect((await z.get('/tenants/acme/secrets')).json).toMatchObject({ secrets: 'keep', undeclared: 'flag' });
      const fromConfig = (await z.get('/audit')).json.entries.filter((e: any) => e.credential === 'config file');
      expect(fromConfig.map((e: any) => [e.change, e.old, e.new])).toEqual([['undeclared', 'drop', 'flag'], ['secrets', 'redact', 'keep']]);
      await three.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a tenant whose policies the admin API never set follows the config file at each start; a tenant the config drops stays in the state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-perm-'));
    const two = (extra: Partial<ConfigFile>) => config({
      tenants: [{ id: 'acme', uploadPermission: {} }, { id: 'beta' }],
      tokens: [{ token: T.any, tenant: 'acme', region: 'us' }, { token: T.o365, tenant: 'beta', region: 'us' }],
      ...extra,
    });
    try {
      const one = await start(two({}), { dataDir: dir }, { classifier: defaultClassifier() });
      expect((await api(one).put('/tenants/beta/modules/okta', { uploadPermission: false })).json.changed).toBe(true);
      await one.close();
      // the config's secrets changed, acme was never set through the admin API: the file's value applies
      const onlyAcme = config({ secrets: 'redact', tenants: [{ id: 'acme' }], tokens: [{ token: T.any, tenant: 'acme', region: 'us' }] });
      const again = await start(onlyAcme, { dataDir: dir }, { classifier: defaultClassifier() });
      const x = api(again);
      expect((await x.send(T.any, event, 'pan:traffic')).event).toEqual({ ...event, password: '[redacted]' });
      expect((await x.put('/tenants/acme/modules/okta', { uploadPermission: false })).json.changed).toBe(true);
      await again.close();
      // beta, absent from that config, kept its stored permission through acme's change
      expect(JSON.parse(readFileSync(join(dir, 'policy', 'tenants.json'), 'utf8')).tenants.beta).toEqual({ uploadPermission: { okta: false }, settings: expect.any(Object) });
      const three = await start(two({}), { dataDir: dir }, { classifier: defaultClassifier() });
      expect((await api(three).get('/tenants/beta/modules/okta')).json.uploadPermission).toBe(false);
      await three.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a PUT of a setting, secrets or undeclared value the tenant already has writes no audit entry and no state file', async () => {
    const state = join(s.dataDir, 'policy', 'tenants.json');
    const text = readFileSync(state, 'utf8');
    const audit = (await a.get('/audit')).json.entries.length;
    const st = await a.put('/tenants/acme/settings/qualysConfigured', { value: true });
    expect(st.json).toMatchObject({ setting: 'qualysConfigured', value: true, changed: false, consequences: [] });
    expect((await a.put('/tenants/acme/secrets', { value: 'keep' })).json).toMatchObject({ secrets: 'keep', changed: false, consequences: [] });
    expect((await a.put('/tenants/acme/undeclared', { value: 'flag' })).json).toMatchObject({ undeclared: 'flag', changed: false, consequences: [] });
    // a partly module already off: still no change, but the answer keeps the notice's warning
    expect((await a.put('/tenants/acme/modules/trend-vision-one-security-assessment-service', { uploadPermission: false })).json.changed).toBe(true);
    const again = await a.put('/tenants/acme/modules/trend-vision-one-security-assessment-service', { uploadPermission: false });
    expect(again.json).toMatchObject({ changed: false, consequences: [] });
    expect(again.json.warnings.join('\n')).toMatch(/cannot be disabled/);
    expect((await a.get('/audit')).json.entries.length).toBe(audit + 1);
    expect((await a.put('/tenants/acme/modules/trend-vision-one-security-assessment-service', { uploadPermission: true })).json.changed).toBe(true);
    expect((await a.get('/audit')).json.entries.length).toBe(audit + 2);
    expect(readFileSync(state, 'utf8')).not.toBe(text);
  });
});

describe('per value: only what the admin API set is kept; every other setting and permission follows the config file', () => {
  const WEB = { username: 'alice', url: 'https://example.org/x', browsingTime: '2024-05-01T10:00:00Z' };
  const acme = (t: Record<string, unknown>) => config({ tenants: [{ id: 'acme', ...t }] });
  const state = (dir: string) => JSON.parse(readFileSync(join(dir, 'policy', 'tenants.json'), 'utf8'));
  async function view(s2: Started) {
    const x = api(s2);
    const settings = (await x.get('/tenants/acme/settings')).json.settings;
    return {
      qualysConfigured: settings.qualysConfigured.value as boolean,
      internetAccessService: settings.internetAccessService.value as boolean,
      entra: (await x.get('/tenants/acme/modules/microsoft-entra-id')).json.uploadPermission as boolean,
      okta: (await x.get('/tenants/acme/modules/okta')).json.uploadPermission as boolean,
    };
  }

  it('a setting and a permission changed through the API are kept; the config\'s edit of another setting and a module takes effect, over HTTP', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-perm-'));
    try {
      const one = await start(acme({ uploadPermission: {} }), { dataDir: dir }, { classifier: defaultClassifier() });
      expect((await api(one).put('/tenants/acme/settings/qualysConfigured', { value: false })).json.changed).toBe(true);
      expect((await api(one).put('/tenants/acme/modules/okta', { uploadPermission: false })).json.changed).toBe(true);
      await one.close();
      // only the two values the API set are saved (state version 2)
      expect(state(dir)).toMatchObject({ version: 2, tenants: { acme: { uploadPermission: { okta: false }, settings: { qualysConfigured: false } } } });

      // the file now turns Azure AD off, the Internet Access Service off, and says Okta on (the API's off wins)
      const edited = acme({ uploadPermission: { 'Azure AD': false, Okta: true }, settings: { internetAccessService: false } });
      const two = await start(edited, { dataDir: dir }, { classifier: defaultClassifier() });
      expect(await view(two)).toEqual({ qualysConfigured: false, internetAccessService: false, entra: false, okta: false });
      const y = api(two);
      // the ingest threads have it too: Office 365 requires Azure AD, Web Sensor the Internet Access Service
      expect((await y.send(T.o365, O365)).event).toBeNull();
      const web = await y.send(T.web, WEB);
      expect(web.event).toBeNull();
      expect(web.fields[0].reason).toMatch(/^Web Sensor requires the Internet Access Service/);
      expect((await y.send(T.okta, { 'User Name': 'alice' })).event).toBeNull();
      // the settings view says which values the API set (kept) and so which follow the file
      expect((await y.get('/tenants/acme/settings')).json.setByAdmin).toEqual({ uploadPermission: { okta: false }, settings: { qualysConfigured: false } });
      // the config's values are not written as the API's
      expect(state(dir).tenants.acme).toEqual({ uploadPermission: { okta: false }, settings: { qualysConfigured: false } });
      await two.close();

      // the file's edits undone: Azure AD and the Internet Access Service come back; the API's values stay
      const three = await start(acme({ uploadPermission: {} }), { dataDir: dir }, { classifier: defaultClassifier() });
      expect(await view(three)).toEqual({ qualysConfigured: false, internetAccessService: true, entra: true, okta: false });
      expect((await api(three).send(T.web, WEB)).event).toEqual(WEB);
      await three.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--permissions-from config: the file wins for every value, the audit records each API value it replaced, and they are no longer kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-perm-'));
    try {
      const one = await start(acme({ uploadPermission: {} }), { dataDir: dir }, { classifier: defaultClassifier() });
      await api(one).put('/tenants/acme/settings/qualysConfigured', { value: false });
      await api(one).put('/tenants/acme/modules/okta', { uploadPermission: false });
      await one.close();

      const edited = acme({ uploadPermission: { 'Azure AD': false }, settings: { internetAccessService: false } });
      const two = await start(edited, { dataDir: dir, permissionsFrom: 'config' }, { classifier: defaultClassifier() });
      expect(await view(two)).toEqual({ qualysConfigured: true, internetAccessService: false, entra: false, okta: true });
      const fromConfig = (await api(two).get('/audit')).json.entries.filter((e: any) => e.credential === 'config file');
      // newest first; only the API's values are replaced (the file's own edits were never stored)
      expect(fromConfig.map((e: any) => [e.change, e.target, e.old, e.new])).toEqual([
        ['setting', 'qualysConfigured', false, true],
        ['uploadPermission', 'okta', false, true],
      ]);
      expect((await api(two).get('/tenants/acme/settings')).json.setByAdmin).toEqual({ uploadPermission: {}, settings: {} });
      await two.close();
      expect(state(dir).tenants.acme).toEqual({ uploadPermission: {}, settings: {} });

      // back to the default (data): nothing the API set is left, so the file's values hold
      const three = await start(acme({ uploadPermission: {} }), { dataDir: dir }, { classifier: defaultClassifier() });
      expect(await view(three)).toEqual({ qualysConfigured: true, internetAccessService: true, entra: true, okta: true });
      await three.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a tenants.json of the previous format (version 1, whole state) loads: what the audit says the API set is kept, the rest follows the config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-perm-'));
    try {
      mkdirSync(join(dir, 'policy'), { recursive: true });
      // as the previous version wrote them: the admin API turned Okta off and Qualys "not configured"; Azure AD was
      // off and the threat-detection permission on in the config file of the time, so the whole state holds them too
      writeFileSync(join(dir, 'policy', 'tenants.json'), JSON.stringify({
        version: 1, savedAt: '2026-11-28T10:00:00.000Z',
        tenants: {
          acme: {
            uploadPermission: { okta: false, 'microsoft-entra-id': false },
            settings: { qualysConfigured: false, internetAccessService: true, office365ThreatDetection: true },
            secrets: 'redact', undeclared: 'flag',
          },
          gone: { uploadPermission: { okta: false }, settings: { qualysConfigured: true } },
        },
      }));
      const cred = 'admin token sha256:0123456789ab';
      const entries = [
        { at: '2026-11-28T09:00:00.000Z', tenant: 'acme', credential: cred, change: 'uploadPermission', target: 'okta', old: true, new: false },
        { at: '2026-11-28T09:01:00.000Z', tenant: 'acme', credential: cred, change: 'setting', target: 'qualysConfigured', old: true, new: false },
        { at: '2026-11-28T09:02:00.000Z', tenant: 'acme', credential: cred, change: 'secrets', target: 'secrets', old: 'keep', new: 'redact' },
        // set through the API, then replaced by the file at a start with --permissions-from config: not the API's now
        { at: '2026-11-28T09:03:00.000Z', tenant: 'acme', credential: cred, change: 'setting', target: 'office365ThreatDetection', old: false, new: true },
        { at: '2026-11-28T09:04:00.000Z', tenant: 'acme', credential: 'config file', change: 'setting', target: 'office365ThreatDetection', old: true, new: false },
        { at: '2026-11-28T09:05:00.000Z', tenant: 'gone', credential: cred, change: 'uploadPermission', target: 'okta', old: true, new: false },
      ];
      writeFileSync(join(dir, 'policy', 'audit.jsonl'), entries.map((e) => JSON.stringify(e)).join('\n') + '\n');

      // today's config: Azure AD no longer off, the Internet Access Service off, threat detection left to its default
      const two = await start(acme({ uploadPermission: {}, settings: { internetAccessService: false } }), { dataDir: dir }, { classifier: defaultClassifier() });
      expect(await view(two)).toEqual({ qualysConfigured: false, internetAccessService: false, entra: true, okta: false });
      const x = api(two);
      const settings = (await x.get('/tenants/acme/settings')).json;
      expect(settings.settings.office365ThreatDetection.value).toBe(false);
      expect(settings.secrets).toBe('redact');
      expect((await x.send(T.okta, { 'User Name': 'alice' })).event).toBeNull();
      await two.close();
      // written back once as version 2: only the API's values; the unused tenant through the audit likewise
      expect(state(dir)).toMatchObject({
        version: 2,
        tenants: {
          acme: { uploadPermission: { okta: false }, settings: { qualysConfigured: false }, secrets: 'redact' },
          gone: { uploadPermission: { okta: false }, settings: {} },
        },
      });
      expect(state(dir).tenants.acme.undeclared).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
