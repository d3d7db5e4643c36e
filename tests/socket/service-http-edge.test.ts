import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/service/app.ts';
import { buildConfig, expandEnv, loadConfig, type ConfigFile } from '../../src/config/config.ts';
import { defaultClassifier } from '../../src/pipeline/ingest/classifier.ts';
import { isLoopbackHost, startServer } from '../../src/service/server.ts';
import { ADMIN, call, splunk, start, T, US, type Started } from '../helpers/service.ts';
import { runCli } from '../helpers/cli.ts';

/** Sends raw bytes on a new connection and reads until the server closes it (or `waitMs`). */
function rawExchange(url: string, chunks: Array<string | Buffer>, waitMs = 5000): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port) });
    let got = '';
    s.on('data', (c) => { got += c; });
    s.on('error', () => resolve(got));
    s.on('close', () => resolve(got));
    s.on('connect', () => { for (const c of chunks) s.write(c); });
    setTimeout(() => { s.destroy(); resolve(got); }, waitMs).unref();
    void reject;
  });
}
const bodyOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));

describe("Node's own refusals are HEC JSON (issue 13 item 11)", () => {
  let s: Started;
  beforeAll(async () => { s = await start(undefined, {}, {}); });
  afterAll(async () => { await s.close(); });

  it('a bad request line: 400 with a HEC body', async () => {
    const r = await rawExchange(s.url, ['GARBAGE\r\n\r\n']);
    expect(r).toMatch(/^HTTP\/1\.1 400 /);
    expect(r).toMatch(/content-type: application\/json; charset=UTF-8/i);
    expect(bodyOf(r)).toMatchObject({ text: 'Bad request', code: 400 });
  });
  it('headers past the size limit: 431 with a HEC body', async () => {
    const r = await rawExchange(s.url, [`POST /services/collector/event HTTP/1.1\r\nHost: ${US}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]);
    expect(r).toMatch(/^HTTP\/1\.1 431 /);
    expect(bodyOf(r)).toMatchObject({ text: 'Request header fields too large', code: 431 });
  });
});

describe('timeouts and refusals of the servers startServer makes', () => {
  it('headers not complete in limits.headersTimeoutMs: 408 with a HEC body, on the shared port and a region port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-edge-'));
    const cfg = buildConfig({ adminToken: ADMIN, tenants: [{ id: 'acme' }], tokens: [{ token: T.us, tenant: 'acme', region: 'us' }], limits: { headersTimeoutMs: 400 } } as ConfigFile,
      { dataDir: dir, host: '127.0.0.1', port: 0, regionPorts: { eu: 0 }, store: 'none' });
    const srv = await startServer(cfg, { logger: false, defaultMetrics: false });
    try {
      for (const url of [srv.url, srv.regionUrls.eu]) {
        const t0 = Date.now();
        const r = await rawExchange(url, [`POST /services/collector/event HTTP/1.1\r\nHost: ${US}\r\n`], 8000);
        expect(r, url).toMatch(/^HTTP\/1\.1 408 /);
        expect(bodyOf(r)).toMatchObject({ text: 'Request timeout', code: 408 });
        expect(Date.now() - t0).toBeLessThan(6000);
      }
      // a region port's own parse errors are HEC JSON too
      expect(bodyOf(await rawExchange(srv.regionUrls.eu, ['GARBAGE\r\n\r\n']))).toMatchObject({ code: 400 });
    } finally {
      await srv.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('auth edges (issue 13 item 11)', () => {
  let s: Started;
  beforeAll(async () => { s = await start(); });
  afterAll(async () => { await s.close(); });

  it('`?token=&token=<valid>` is refused (401 code 3), whatever the header says', async () => {
    const r = await call(s.url, 'POST', `/services/collector/event?token=&token=${T.query}`, { host: US, headers: splunk(T.us), body: '{"event":"x"}' });
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ text: 'Invalid authorization', code: 3 });
    // a token without allowQueryStringAuth, hidden behind an empty first value, does not pass either
    expect((await call(s.url, 'POST', `/services/collector/event?token=&token=${T.us}`, { host: US, body: '{"event":"x"}' })).status).toBe(401);
    // health: the same query is not taken for its first value
    expect((await call(s.url, 'GET', `/services/collector/health?token=&token=${T.us}`, { host: US })).json).toMatchObject({ code: 21 });
  });
  it('admin: the scheme is case-insensitive (RFC 7235 §2.1), the token is not', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect((await call(s.url, 'GET', '/admin/v1/regions', { headers: { authorization: `${scheme} ${ADMIN}` } })).status).toBe(200);
    }
    expect((await call(s.url, 'GET', '/admin/v1/regions', { headers: { authorization: `bearer ${ADMIN.toUpperCase()}` } })).status).toBe(401);
    expect((await call(s.url, 'GET', '/admin/v1/regions', { headers: { authorization: `Splunk ${ADMIN}` } })).status).toBe(401);
  });
  it('"time":"1e400" is 400 code 15 over the socket, and nothing is stored', async () => {
    const before = (await call(s.url, 'GET', '/admin/v1/stats', { headers: { authorization: `Bearer ${ADMIN}` } })).json.totals.events;
    const r = await call(s.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body: '{"event":"x","time":"1e400"}' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 15, 'invalid-event-number': 0 });
    expect((await call(s.url, 'GET', '/admin/v1/stats', { headers: { authorization: `Bearer ${ADMIN}` } })).json.totals.events).toBe(before);
  });
});

describe.each([0, 1])('the policy applied is the one at arrival (issue 13 item 11), ingest workers %i', (workers) => {
  let app: FastifyInstance;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sim-arrival-'));
    const cfg = buildConfig({ adminToken: ADMIN, tenants: [{ id: 'acme' }], tokens: [{ token: T.core, tenant: 'acme', region: 'us', module: 'network-sensor' }], undeclared: 'keep' }, { dataDir: dir, ingestWorkers: workers });
    app = buildApp(cfg, { logger: false, defaultMetrics: false, classifier: defaultClassifier() });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a permission turned off while a request is on its way does not change what that request stores', async () => {
    const put = (allowed: boolean) => call(url, 'PUT', '/admin/v1/tenants/acme/modules/network-sensor', {
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ uploadPermission: allowed }),
    });
    expect((await put(true)).status).toBe(200);
    const body = '{"event":{"src_ip":"192.0.2.44","action":"allowed"}}';
    const half = Math.floor(body.length / 2);
    const u = new URL(url);
    const answer = new Promise<string>((resolve) => {
      const sock = connect({ host: u.hostname, port: Number(u.port) });
      let got = '';
      sock.on('data', (c) => { got += c; if (got.includes('\r\n\r\n') && got.includes('}')) { sock.destroy(); resolve(got); } });
      sock.on('connect', async () => {
        sock.write(`POST /services/collector/event HTTP/1.1\r\nHost: ${US}\r\nAuthorization: Splunk ${T.core}\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, half)}`);
        await new Promise((r) => setTimeout(r, 300));
        expect((await put(false)).status).toBe(200); // changed while the body is on its way
        sock.write(body.slice(half));
      });
    });
    expect(await answer).toMatch(/^HTTP\/1\.1 200 /);
    const ev = (await call(url, 'GET', '/admin/v1/events?limit=1', { headers: { authorization: `Bearer ${ADMIN}` } })).json.events[0];
    expect(ev.dropped).toBe(0);
    expect(ev.event).toEqual({ src_ip: '192.0.2.44', action: 'allowed' });
    // a request that arrives after the change gets the new policy
    const r = await call(url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.core), body });
    expect(r.status).toBe(200);
    const ev2 = (await call(url, 'GET', '/admin/v1/events?limit=1', { headers: { authorization: `Bearer ${ADMIN}` } })).json.events[0];
    expect(ev2.dropped).toBeGreaterThan(0);
    expect(JSON.stringify(ev2.event)).not.toContain('192.0.2.44');
  });
});

describe('the development default on a public address (issue 13 item 10)', () => {
  it('isLoopbackHost', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'example.com']) expect(isLoopbackHost(h), h).toBe(false);
  });
  it('serve --host 0.0.0.0 without --config is refused (exit 2, why and what to do); --allow-public-dev lets it through', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-dev-'));
    try {
      for (const host of ['0.0.0.0', '192.0.2.1']) {
        const r = await runCli(['serve', '--host', host, '--port', '0', '--data-dir', dir, '--store', 'none']);
        expect(r.code, host).toBe(2);
        expect(r.stderr).toMatch(/development default/);
        expect(r.stderr).toMatch(/--allow-public-dev/);
      }
      // with the flag the refusal is gone and serve goes on to listen; 192.0.2.1 (TEST-NET-1) is no address of
      // this machine, so the listen fails — the test never opens a port beyond loopback
      const ok = await runCli(['serve', '--host', '192.0.2.1', '--port', '0', '--data-dir', dir, '--store', 'none', '--allow-public-dev', '--ingest-workers', '0']);
      expect(ok.stderr).not.toMatch(/development default/);
      expect(ok.code).toBe(1);
      expect(ok.stderr).toMatch(/cannot listen/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
  it('the container config takes its tokens from the environment, and names what is missing', () => {
    const path = new URL('../../docker/config.json', import.meta.url).pathname;
    const problems: string[] = [];
    expandEnv({ a: '${SIM_NOPE_X}', b: ['${SIM_NOPE_Y}'], c: 'plain ${x}' }, {}, '', problems);
    expect(problems).toEqual(['/a: environment variable SIM_NOPE_X is not set', '/b/0: environment variable SIM_NOPE_Y is not set']);
    const saved = { ...process.env };
    try {
      delete process.env.SIM_ADMIN_TOKEN;
      delete process.env.SIM_HEC_TOKEN;
      expect(() => loadConfig(path)).toThrow(/SIM_ADMIN_TOKEN is not set/);
      process.env.SIM_ADMIN_TOKEN = 'a-secret-admin-token';
      process.env.SIM_HEC_TOKEN = '9a1b2c3d-0000-4000-8000-00000000abcd';
      const cfg = loadConfig(path, { dataDir: mkdtempSync(join(tmpdir(), 'sim-docker-')) });
      expect(cfg.adminToken).toBe('a-secret-admin-token');
      expect(cfg.tokens.map((t) => t.token)).toEqual(['9a1b2c3d-0000-4000-8000-00000000abcd']);
      expect(cfg.dev).toBe(false);
      rmSync(cfg.dataDir, { recursive: true, force: true });
    } finally {
      process.env = saved;
    }
  });
});
