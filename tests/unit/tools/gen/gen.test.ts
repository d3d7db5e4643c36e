import { describe, expect, it } from 'vitest';
import { PROFILES, buildBatch, makeGenerator, type HecEnvelope } from '../../../../src/tools/gen/index.ts';
import { Rng, seedFrom } from '../../../../src/tools/gen/prng.ts';

const RFC5737 = /^(192\.0\.2|198\.51\.100|203\.0\.113)\.(\d{1,3})$/;
/** an IPv4 address as a whole JSON string (a browser version like Chrome/120.0.0.0 is not an address) */
const IPV4 = /(?<=")\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?=")/g;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const MAC = /\b[0-9a-f]{2}(:[0-9a-f]{2}){5}\b/gi;

function events(profile: (typeof PROFILES)[number], n: number, seed = 3): HecEnvelope[] {
  const g = makeGenerator(profile, seed);
  return Array.from({ length: n }, () => g.next());
}

describe('Rng (mulberry32)', () => {
  it('is deterministic and stays in range', () => {
    const a = new Rng(123);
    const b = new Rng(123);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b.next()));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const r = new Rng(9);
    for (let i = 0; i < 1000; i++) {
      const v = r.range(3, 5);
      expect(v === 3 || v === 4 || v === 5).toBe(true);
    }
  });

  it('spreads values evenly enough (each decile gets 8-12 % of 10,000 draws)', () => {
    const r = new Rng(42);
    const bins = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) bins[r.int(10)]++;
    for (const b of bins) {
      expect(b).toBeGreaterThan(800);
      expect(b).toBeLessThan(1200);
    }
  });

  it('makes v4-shaped GUIDs', () => {
    expect(new Rng(1).guid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('rejects bad seeds and hashes text seeds', () => {
    expect(() => new Rng(-1)).toThrow(/seed must be an integer/);
    expect(() => new Rng(1.5)).toThrow(/seed must be an integer/);
    expect(seedFrom('17')).toBe(17);
    expect(seedFrom('run-a')).toBe(seedFrom('run-a'));
    expect(seedFrom('run-a')).not.toBe(seedFrom('run-b'));
  });
});

describe('makeGenerator / buildBatch', () => {
  it('the same seed gives byte-identical batches; another seed does not', () => {
    for (const p of PROFILES) {
      const a = buildBatch(makeGenerator(p, 99), 50);
      const b = buildBatch(makeGenerator(p, 99), 50);
      const c = buildBatch(makeGenerator(p, 100), 50);
      expect(a.equals(b)).toBe(true);
      expect(a.equals(c)).toBe(false);
    }
  });

  it('a batch is n newline-separated HEC envelopes in time order', () => {
    const text = buildBatch(makeGenerator('mixed', 5), 200).toString('utf8');
    const lines = text.split('\n');
    expect(lines).toHaveLength(200);
    const envs = lines.map((l) => JSON.parse(l) as HecEnvelope);
    for (const e of envs) {
      expect(Object.keys(e)).toEqual(['time', 'host', 'source', 'sourcetype', 'event']);
      expect(typeof e.time).toBe('number');
      expect(e.host).toMatch(/\.example\.(com|org|net)$/);
      expect(e.event).toBeTypeOf('object');
    }
    for (let i = 1; i < envs.length; i++) expect(envs[i].time).toBeGreaterThan(envs[i - 1].time);
    expect(envs[0].time).toBeGreaterThanOrEqual(Date.UTC(2026, 0, 1) / 1000);
  });

  it('start time and simulated rate are options', () => {
    const g = makeGenerator('firewall', 1, { startTimeMs: Date.UTC(2030, 5, 1), simulatedEventsPerSec: 10 });
    const first = g.next().time;
    expect(first).toBeGreaterThan(Date.UTC(2030, 5, 1) / 1000);
    for (let i = 0; i < 998; i++) g.next();
    // 1000 events at ~10/s span ~100 s of simulated time
    expect(g.next().time - first).toBeGreaterThan(60);
  });

  it('uses only documentation addresses, MACs and domains', () => {
    for (const p of PROFILES) {
      const text = buildBatch(makeGenerator(p, 11), 300).toString('utf8');
      const ips = text.match(IPV4) ?? [];
      if (p !== 'email-sensor') expect(ips.length, p).toBeGreaterThan(50);
      for (const ip of ips) expect(ip).toMatch(RFC5737);
      for (const mail of text.match(EMAIL) ?? []) expect(mail).toMatch(/@(.+\.)?example\.(com|org|net)$/);
      for (const mac of text.match(MAC) ?? []) expect(mac.toLowerCase()).toMatch(/^00:00:5e:00:53:[0-9a-f]{2}$/);
      for (const url of text.match(/https?:\/\/[^/"\s]+/g) ?? []) expect(url).toMatch(/^https?:\/\/([a-z0-9-]+\.)*example\.(com|org|net)$/);
    }
  });

  it('firewall events carry the CIM Network Traffic fields', () => {
    const evs = events('firewall', 300);
    const sourcetypes = new Set(evs.map((e) => e.sourcetype));
    expect(sourcetypes).toEqual(new Set(['pan:traffic', 'fortigate_traffic', 'cisco:asa']));
    for (const e of evs) {
      for (const f of ['action', 'app', 'dest', 'dvc', 'src', 'transport', 'vendor_product', 'src_ip', 'src_port', 'dest_ip', 'dest_port', 'bytes_in', 'bytes_out']) {
        expect(e.event, f).toHaveProperty(f);
      }
      expect(['allowed', 'blocked']).toContain(e.event.action);
      expect(e.event.bytes).toBe((e.event.bytes_in as number) + (e.event.bytes_out as number));
    }
    expect(evs.some((e) => typeof e.event.user === 'string')).toBe(true);
  });

  it('web gateway events carry the CIM Web fields', () => {
    for (const e of events('web-gateway', 200)) {
      for (const f of ['action', 'bytes', 'bytes_in', 'bytes_out', 'category', 'dest', 'dest_port', 'http_method', 'http_user_agent', 'http_user_agent_length', 'src', 'status', 'url', 'url_domain', 'vendor_product', 'user']) {
        expect(e.event, f).toHaveProperty(f);
      }
      expect(e.event.url_length).toBe((e.event.url as string).length);
      expect(e.sourcetype).toMatch(/^(bluecoat:proxysg:access:syslog|zscalernss-web)$/);
    }
  });

  it('sensor events carry the items the notice lists for each sensor', () => {
    const keys = (p: (typeof PROFILES)[number]) => new Set(events(p, 400).flatMap((e) => Object.keys(e.event)));
    const endpoint = keys('endpoint-sensor');
    for (const f of ['endpointHostName', 'logonUser', 'userPrincipalName', 'logonUserDomain', 'endpointIp', 'endpointMacAddress',
      'objectFilePath', 'objectFileName', 'objectFileHashSha256', 'url', 'osName', 'osVer', 'osBuildNumber', 'osPatchLevel', 'osSku',
      'agentGuid', 'installedSoftwareName', 'installedSoftwareVersion', 'softwareInstallPath', 'softwarePatchInfo']) expect(endpoint, f).toContain(f);
    const email = keys('email-sensor');
    for (const f of ['eventTime', 'userPrincipalName', 'domainName', 'samAccountName', 'mailUrlsRealLink', 'attachments', 'mailMsgSubject', 'mailFromAddress', 'mailToAddress']) {
      expect(email, f).toContain(f);
    }
    const network = keys('network-sensor');
    for (const f of ['deviceGuid', 'hostName', 'src', 'spt', 'dst', 'dpt', 'endpointIp', 'peerIp', 'filePath', 'fileName', 'userName', 'senderEmail']) {
      expect(network, f).toContain(f);
    }
  });

  it('mixed draws from every source', () => {
    const sourcetypes = new Set(events('mixed', 500).map((e) => e.sourcetype));
    for (const st of ['endpoint-sensor', 'email-sensor', 'network-sensor']) expect(sourcetypes).toContain(st);
    expect([...sourcetypes].some((s) => s.startsWith('bluecoat') || s === 'zscalernss-web')).toBe(true);
    expect([...sourcetypes].some((s) => s === 'pan:traffic' || s === 'cisco:asa' || s === 'fortigate_traffic')).toBe(true);
  });

  it('rejects an unknown profile and a bad batch size', () => {
    expect(() => makeGenerator('syslog' as never, 1)).toThrow(/unknown profile 'syslog'/);
    expect(() => buildBatch(makeGenerator('firewall', 1), 0)).toThrow(/positive integer/);
  });
});
