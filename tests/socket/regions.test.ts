import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/config.ts';
import { startServer, type RunningServer } from '../../src/service/server.ts';
import { createLocalCa } from '../../src/tools/tls/ca.ts';
import { ADMIN, call, EU, splunk, T, testClassifier, testConfigFile, US } from '../helpers/service.ts';

const body = '{"event":{"where":"x"}}';

describe('routing by Host header, per-region ports and data residency', () => {
  let srv: RunningServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-regions-'));
    const cfg = buildConfig(testConfigFile(), { dataDir: dir, port: 0, regionPorts: { eu: 0, jp: 0 } });
    srv = await startServer(cfg, { classifier: testClassifier, logger: false, defaultMetrics: false });
  });
  afterAll(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const events = async (region: string) =>
    (await call(srv.url, 'GET', `/admin/v1/events?region=${region}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json.events as any[];

  it.each([
    [US, 'us'], [`${US}:8088`, 'us'], ['INGESTOR-US.XDR.TRENDMICRO.COM.', 'us'], ['ingestor-us.localhost', 'us'],
  ])('Host %s routes to region %s with region and data-center headers', async (host, region) => {
    const r = await call(srv.url, 'POST', '/services/collector/event', { host, headers: splunk(T.us), body });
    expect(r.json).toEqual({ text: 'Success', code: 0 });
    expect(r.headers['x-ingestor-region']).toBe(region);
    expect(r.headers['x-ingestor-host']).toBe('ingestor-us.xdr.trendmicro.com');
    expect(r.headers['x-ingestor-data-centers']).toBe('Microsoft Entra ID: East US - N. Virginia; AWS: East US - N. Virginia');
  });

  it('any other host on the shared port is routed by the token\'s region', async () => {
    for (const [host, token, region] of [['localhost', T.us, 'us'], ['127.0.0.1', T.core, 'jp'], ['[::1]:8088', T.core, 'jp'], ['build-box.lan', T.us, 'us']]) {
      const r = await call(srv.url, 'POST', '/services/collector/event', { host, headers: splunk(token), body: `{"event":{"via":"${host}"}}` });
      expect([r.status, r.headers['x-ingestor-region']]).toEqual([200, region]);
      expect((await events(region)).map((e) => e.event.via)).toContain(host);
    }
    // health on such a host answers for the whole server
    const h = await call(srv.url, 'GET', '/services/collector/health', { host: 'localhost' });
    expect(h.json).toEqual({ text: 'HEC is healthy', code: 17 });
    // an auth error has no region to name
    const bad = await call(srv.url, 'POST', '/services/collector/event', { host: 'localhost', headers: splunk('99999999-9999-4999-8999-999999999999'), body });
    expect([bad.status, bad.json.code, bad.headers['x-ingestor-region']]).toEqual([403, 4, undefined]);
  });

  it('an ingestor name of a region not served is refused with 421 and the list of known hosts', async () => {
    for (const host of ['ingestor-mea.xdr.trendmicro.com', 'ingestor-xx.localhost']) {
      const r = await call(srv.url, 'POST', '/services/collector/event', { host, headers: splunk(T.us), body });
      expect(r.status).toBe(421);
      expect(r.json).toMatchObject({ text: 'Unknown ingestor host', code: 421 });
      expect(r.json.detail).toContain('ingestor-eu.xdr.trendmicro.com');
      expect(r.headers['x-sim-error']).toBe('SIM_ERR_ROUTE_UNKNOWN_HOST');
    }
  });

  it("a token of another region is refused: 403 code 4 (HEC's body), the reason in a header", async () => {
    const r = await call(srv.url, 'POST', '/services/collector/event', { host: EU, headers: splunk(T.us), body });
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ text: 'Invalid token', code: 4 });
    expect(r.headers['x-sim-refused-reason']).toMatch(/bound to region 'us', but the request reached region 'eu'/);
    expect(r.headers['x-ingestor-region']).toBe('eu');
  });

  it('each event is stored only in its own region (data residency)', async () => {
    await call(srv.url, 'POST', '/services/collector/event', { host: EU, headers: splunk(T.eu), body: '{"event":{"only":"eu"}}' });
    expect((await events('eu')).map((e) => e.event)).toEqual([{ only: 'eu' }]);
    expect((await events('us')).some((e) => e.event.only === 'eu')).toBe(false);
    const regions = (await call(srv.url, 'GET', '/admin/v1/regions', { headers: { authorization: `Bearer ${ADMIN}` } })).json.regions;
    expect(regions.find((r: any) => r.id === 'eu').events).toBe(1);
  });

  it('a region port routes without a region Host name; a Host of another region on it is refused', async () => {
    expect(Object.keys(srv.regionUrls).sort()).toEqual(['eu', 'jp']);
    const eu = srv.regionUrls.eu;
    const ok = await call(eu, 'POST', '/services/collector/event', { headers: splunk(T.eu), body: '{"event":"by port"}' });
    expect([ok.status, ok.headers['x-ingestor-region']]).toEqual([200, 'eu']);
    const same = await call(eu, 'POST', '/services/collector/event', { host: EU, headers: splunk(T.eu), body });
    expect(same.status).toBe(200);
    const clash = await call(eu, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body });
    expect(clash.status).toBe(421);
    expect(clash.json.detail).toMatch(/port is bound to region 'eu', but the Host header 'ingestor-us.xdr.trendmicro.com' is region 'us'/);
    const wrongToken = await call(srv.regionUrls.jp, 'POST', '/services/collector/event', { headers: splunk(T.eu), body });
    expect([wrongToken.status, wrongToken.json.code]).toEqual([403, 4]);
    expect((await events('eu')).map((e) => e.event)).toContain('by port');
    const regions = (await call(eu, 'GET', '/admin/v1/regions', { headers: { authorization: `Bearer ${ADMIN}` } })).json.regions;
    expect(regions.find((r: any) => r.id === 'eu').port).toBe(Number(new URL(eu).port));
  });
});

describe('HTTPS with SNI (certificates from ca init)', () => {
  let srv: RunningServer;
  let dir: string;
  let agentFor: (servername: string) => Agent;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-tls-'));
    const { layout } = createLocalCa(join(dir, 'tls'), { keyBits: 1024 });
    const { readFileSync } = await import('node:fs');
    const ca = readFileSync(layout.ca, 'utf8');
    agentFor = (servername) => new Agent({ connect: { ca, servername } });
    const cfg = buildConfig(testConfigFile(), { dataDir: join(dir, 'data'), port: 0, tlsDir: join(dir, 'tls'), regionPorts: { jp: 0 } });
    srv = await startServer(cfg, { classifier: testClassifier, logger: false, defaultMetrics: false });
  }, 60_000);
  afterAll(async () => {
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = async (base: string, servername: string, host: string, token: string) => {
    const a = agentFor(servername);
    try {
      const r = await request(`${base}/services/collector/event`, {
        method: 'POST', dispatcher: a, headers: { host, ...splunk(token) }, body,
      });
      return { status: r.statusCode, headers: r.headers, json: await r.body.json() as any };
    } finally {
      await a.close();
    }
  };

  it('serves the region certificate for its SNI name and routes by it', async () => {
    expect(srv.url).toMatch(/^https:/);
    const r = await send(srv.url, 'ingestor-eu.xdr.trendmicro.com', EU, T.eu);
    expect([r.status, r.headers['x-ingestor-region']]).toEqual([200, 'eu']);
    const local = await send(srv.url, 'ingestor-us.localhost', 'ingestor-us.localhost', T.us);
    expect(local.headers['x-ingestor-region']).toBe('us');
  });

  it('the default (localhost) certificate without a region SNI name; the Host header routes', async () => {
    const r = await send(srv.url, 'localhost', US, T.us);
    expect([r.status, r.headers['x-ingestor-region']]).toEqual([200, 'us']);
  });

  it('a Host header contradicting the SNI region is refused clearly', async () => {
    // undici derives SNI from the Host header, so use node:https to send SNI eu with Host us
    const https = await import('node:https');
    const { readFileSync } = await import('node:fs');
    const u = new URL(srv.url);
    const r = await new Promise<{ status: number; json: any }>((resolve, reject) => {
      const req = https.request({
        host: u.hostname, port: u.port, method: 'POST', path: '/services/collector/event',
        servername: 'ingestor-eu.xdr.trendmicro.com', ca: readFileSync(join(dir, 'tls', 'ca.pem'), 'utf8'),
        headers: { host: US, ...splunk(T.us) }, agent: false,
      }, (res) => {
        let t = '';
        res.on('data', (d) => { t += d; });
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(t) }));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(r.status).toBe(421);
    expect(r.json.detail).toMatch(/TLS SNI name 'ingestor-eu.xdr.trendmicro.com' is region 'eu', but the Host header 'ingestor-us.xdr.trendmicro.com' is region 'us'/);
  });

  it('https://localhost (SNI localhost, Host localhost) is routed by the token, as Splunk clients are configured', async () => {
    const u = new URL(srv.url);
    const base = `https://localhost:${u.port}`;
    const r = await send(base, 'localhost', `localhost:${u.port}`, T.eu);
    expect([r.status, r.headers['x-ingestor-region']]).toEqual([200, 'eu']);
    const jp = await send(base, 'localhost', `localhost:${u.port}`, T.core);
    expect([jp.status, jp.headers['x-ingestor-region']]).toEqual([200, 'jp']);
  });

  it('region ports are HTTPS too', async () => {
    const r = await send(srv.regionUrls.jp, 'ingestor-jp.xdr.trendmicro.com', 'ingestor-jp.xdr.trendmicro.com', T.core);
    expect([r.status, r.headers['x-ingestor-region']]).toEqual([200, 'jp']);
  });

  it('a missing TLS folder is a clear startup error', async () => {
    const cfg = buildConfig(testConfigFile(), { dataDir: join(dir, 'data2'), port: 0, tlsDir: join(dir, 'nope') });
    await expect(startServer(cfg, { classifier: testClassifier, logger: false })).rejects.toThrow(/missing or unreadable: .*nope\/ingestor-us.pem.*ca init --dir/);
  });
});

describe('the refusal reason is logged', () => {
  it('a token of another region writes a warn line naming both regions', async () => {
    const { start } = await import('../helpers/service.ts');
    const lines: string[] = [];
    const s = await start(testConfigFile(), {}, { logger: { level: 'warn', stream: { write: (l: string) => { lines.push(l); } } } });
    try {
      const r = await call(s.url, 'POST', '/services/collector/event', { host: EU, headers: splunk(T.us), body });
      expect(r.status).toBe(403);
      const warn = lines.map((l) => JSON.parse(l)).find((l) => l.level === 40);
      expect(warn).toMatchObject({ region: 'eu', tokenRegion: 'us', tenant: 'acme' });
      expect(warn.msg).toMatch(/refused token of another region: token is bound to region 'us', but the request reached region 'eu'/);
      expect(JSON.stringify(lines)).not.toContain(T.us); // the token itself is not logged
    } finally {
      await s.close();
    }
  });
});
