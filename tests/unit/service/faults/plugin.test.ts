/** Fault injection on the real service over real sockets (buildApp + listen on 127.0.0.1:0). */
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FaultRegistry, guardListener } from '../../../../src/service/faults/index.ts';
import { generateCa, issueServerCert } from '../../../../src/tools/tls/ca.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig } from '../../../../src/config/config.ts';
import { startServer } from '../../../../src/service/server.ts';
import { ADMIN, call, EU, splunk, start, T, testClassifier, testConfigFile, US, type Started } from '../../../helpers/service.ts';

let s: Started;
const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const EVENT = JSON.stringify({ event: { msg: 'hello' }, sourcetype: 'x' });

async function putFaults(region: string, doc: unknown) {
  return call(s.url, 'PUT', `/admin/v1/regions/${region}/faults`, { headers: admin, body: JSON.stringify(doc) });
}

/** One request on a fresh connection; resolves to the status or the transport error code. */
async function once1(path: string, o: { host: string; headers?: Record<string, string>; body?: string; timeoutMs?: number }): Promise<{ status?: number; text?: string; headers?: Record<string, unknown>; error?: string; ms: number }> {
  const client = new Client(s.url, { headersTimeout: o.timeoutMs ?? 5000, bodyTimeout: o.timeoutMs ?? 5000 });
  const t0 = performance.now();
  try {
    const r = await client.request({ path, method: o.body === undefined ? 'GET' : 'POST', headers: { host: o.host, ...o.headers }, body: o.body });
    const text = await r.body.text();
    return { status: r.statusCode, text, headers: r.headers, ms: performance.now() - t0 };
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? String(err), ms: performance.now() - t0 };
  } finally {
    await client.destroy();
  }
}

beforeAll(async () => {
  s = await start();
});
afterAll(async () => {
  await s?.close();
});
afterEach(async () => {
  for (const r of ['us', 'eu']) await putFaults(r, {});
});

describe('admin API /admin/v1/regions/:region/faults', () => {
  it('needs the admin token, knows the regions, validates the document', async () => {
    expect((await call(s.url, 'GET', '/admin/v1/regions/us/faults')).status).toBe(401);
    expect((await call(s.url, 'GET', '/admin/v1/regions/us/faults', { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const unknown = await call(s.url, 'GET', '/admin/v1/regions/mars/faults', { headers: admin });
    expect(unknown.status).toBe(404);
    expect(unknown.json.detail).toContain("'mars' is not a served region");
    const bad = await putFaults('us', { error: { rate: 5, answer: 'busy' } });
    expect(bad.status).toBe(400);
    expect(bad.json.problems.join()).toContain('/error/rate');
    const notJson = await call(s.url, 'PUT', '/admin/v1/regions/us/faults', { headers: admin, body: '{nope' });
    expect(notJson.status).toBe(400);
    expect(notJson.json.detail).toContain('not JSON');
  });

  it('PUT sets, GET shows, DELETE clears', async () => {
    const put = await putFaults('us', { error: { rate: 0.5, answer: 'internal' }, seed: 77 });
    expect(put.status).toBe(200);
    expect(put.json).toMatchObject({ region: 'us', faults: { error: { rate: 0.5, answer: 'internal' } }, seed: 77 });
    const got = await call(s.url, 'GET', '/admin/v1/regions/us/faults', { headers: admin });
    expect(got.json.faults.error.answer).toBe('internal');
    expect(s.app.faults.get('us').error?.rate).toBe(0.5);
    const del = await call(s.url, 'DELETE', '/admin/v1/regions/us/faults', { headers: admin });
    expect(del.json).toEqual({ region: 'us', faults: {}, seed: null, decisions: 0, acks: { decided: 0, delayed: 0, lost: 0 } });
  });
});

describe('faults on HEC requests', () => {
  it('error answers: 503 code 9, 429 code 26 with Retry-After, 500 code 8; other regions untouched', async () => {
    await putFaults('us', { error: { rate: 1, answer: 'throttle', retryAfterSeconds: 7 } });
    const r = await once1('/services/collector/event', { host: US, headers: splunk(T.us), body: EVENT });
    expect(r.status).toBe(429);
    expect(JSON.parse(r.text!)).toEqual({ text: 'HEC queue is at capacity and cannot process any more requests', code: 26 });
    expect(r.headers!['retry-after']).toBe('7');
    expect(r.headers!['x-sim-fault']).toBe('error');
    await putFaults('us', { error: { rate: 1, answer: 'busy' } });
    expect(JSON.parse((await once1('/services/collector/event', { host: US, headers: splunk(T.us), body: EVENT })).text!)).toEqual({ text: 'Server is busy', code: 9 });
    await putFaults('us', { error: { rate: 1, answer: 'internal' } });
    const i = await once1('/services/collector/health', { host: US });
    expect([i.status, JSON.parse(i.text!).code]).toEqual([500, 8]);
    const eu = await once1('/services/collector/event', { host: EU, headers: splunk(T.eu), body: EVENT });
    expect(eu.status).toBe(200);
  });

  it('added latency delays the answer by at least the fixed time', async () => {
    await putFaults('us', { latency: { kind: 'fixed', ms: 300 } });
    const r = await once1('/services/collector/event', { host: US, headers: splunk(T.us), body: EVENT });
    expect(r.status).toBe(200);
    expect(r.headers!['x-sim-fault']).toBe('latency');
    expect(r.ms).toBeGreaterThanOrEqual(295);
  });

  it('reset: the connection is reset, nothing is answered', async () => {
    await putFaults('us', { reset: { rate: 1 } });
    const r = await once1('/services/collector/event', { host: US, headers: splunk(T.us), body: EVENT });
    expect(r.status).toBeUndefined();
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(r.error);
  });

  it('unreachable refused: reset even for a token of another region (routing refused it first)', async () => {
    await putFaults('eu', { unreachable: 'refused' });
    const wrong = await once1('/services/collector/event', { host: EU, headers: splunk(T.us), body: EVENT });
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(wrong.error);
    const health = await once1('/services/collector/health', { host: EU });
    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(health.error);
  });

  it('unreachable dropped: no answer until the client gives up; lifting it answers again', async () => {
    await putFaults('us', { unreachable: 'dropped' });
    const r = await once1('/services/collector/health', { host: US, timeoutMs: 400 });
    expect(r.error).toBe('UND_ERR_HEADERS_TIMEOUT');
    const wrongToken = await once1('/services/collector/event', { host: US, headers: splunk(T.eu), body: EVENT, timeoutMs: 400 });
    expect(wrongToken.error).toBe('UND_ERR_HEADERS_TIMEOUT');
    const pending = once1('/services/collector/health', { host: US, timeoutMs: 5000 });
    await new Promise((res) => setTimeout(res, 200));
    await putFaults('us', {});
    const released = await pending;
    expect(released.status).toBeUndefined(); // the held connection is closed when the fault is lifted
    expect((await once1('/services/collector/health', { host: US })).status).toBe(200);
  });

  it('slow: the body arrives whole, trickled', async () => {
    await putFaults('us', { slow: { bytesPerSecond: 200, chunkBytes: 10 } });
    const r = await once1('/services/collector/health', { host: US });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text!)).toEqual({ text: 'HEC is healthy', code: 17 });
    // 35 bytes at 200 B/s in 10-byte chunks: 4 chunks, 50 ms apart
    expect(r.ms).toBeGreaterThanOrEqual(190);
    expect(r.headers!['content-length']).toBe(String(r.text!.length));
  });

  it('the seed makes a run repeatable: the same requests get the same answers', async () => {
    const statuses = async () => {
      await putFaults('us', { error: { rate: 0.5, answer: 'busy' }, seed: 1234 });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await call(s.url, 'GET', '/services/collector/health', { host: US })).status);
      return out;
    };
    const a = await statuses();
    expect(a).toContain(503);
    expect(a).toContain(200);
    expect(await statuses()).toEqual(a);
  });
});

describe('guardListener (a region port at the TCP level)', () => {
  it('refused resets new connections; dropped holds them; lifting restores the normal handler', async () => {
    const registry = new FaultRegistry(['us']);
    const server = http.createServer((_req, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const undo = guardListener(server, 'us', registry);
    try {
      const get = async (timeoutMs = 2000) => {
        try {
          const r = await request(url, { headersTimeout: timeoutMs, reset: true });
          return await r.body.text();
        } catch (err) {
          return (err as NodeJS.ErrnoException).code;
        }
      };
      expect(await get()).toBe('ok');
      registry.set('us', { unreachable: 'refused' });
      expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(await get());
      registry.set('us', { unreachable: 'dropped' });
      expect(await get(300)).toBe('UND_ERR_HEADERS_TIMEOUT');
      registry.clear('us');
      expect(await get()).toBe('ok');
    } finally {
      undo();
      server.closeAllConnections();
      server.close();
    }
  });

  it('on a TLS listener, refused resets before the handshake and dropped never answers it', async () => {
    const ca = generateCa({ keyBits: 1024 });
    const cert = issueServerCert(ca, { commonName: 'localhost', dnsNames: ['localhost'], keyBits: 1024 });
    const registry = new FaultRegistry(['eu']);
    const server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => res.end('ok'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const undo = guardListener(server as unknown as http.Server, 'eu', registry);
    const handshake = (timeoutMs: number) => new Promise<string>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca.certPem });
      const t = setTimeout(() => { s.destroy(); resolve('timeout'); }, timeoutMs);
      s.once('secureConnect', () => { clearTimeout(t); s.destroy(); resolve('secure'); });
      s.once('error', (e: NodeJS.ErrnoException) => { clearTimeout(t); resolve(e.code ?? 'error'); });
    });
    try {
      expect(await handshake(2000)).toBe('secure');
      registry.set('eu', { unreachable: 'refused' });
      expect(await handshake(2000)).toBe('ECONNRESET');
      registry.set('eu', { unreachable: 'dropped' });
      expect(await handshake(300)).toBe('timeout');
      registry.clear('eu');
      expect(await handshake(2000)).toBe('secure');
    } finally {
      undo();
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('shutdown with held connections', () => {
  it('a dropped request does not keep the server from closing', async () => {
    const own = await start();
    own.app.faults.set('us', { unreachable: 'dropped' });
    const pending = request(`${own.url}/services/collector/health`, { headers: { host: US }, headersTimeout: 20_000 }).then(() => 'answered', (e: NodeJS.ErrnoException) => e.code);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = performance.now();
    own.app.sim.setShuttingDown(true);
    await own.close();
    expect(performance.now() - t0).toBeLessThan(15_000);
    expect(await pending).not.toBe('answered');
  });

  it('nor does one on a region port (startServer closes those listeners first)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sim-fault-close-'));
    const cfg = buildConfig(testConfigFile(), { dataDir, port: 0, regionPorts: { eu: 0 }, store: 'none' });
    const srv = await startServer(cfg, { logger: false, defaultMetrics: false, classifier: testClassifier });
    try {
      srv.app.faults.set('eu', { unreachable: 'dropped' });
      const pending = request(`${srv.regionUrls.eu}/services/collector/health`, { headersTimeout: 20_000 }).then(() => 'answered', (e: NodeJS.ErrnoException) => e.code);
      await new Promise((r) => setTimeout(r, 200));
      const t0 = performance.now();
      await srv.close();
      expect(performance.now() - t0).toBeLessThan(15_000);
      expect(await pending).not.toBe('answered');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('faults in the config file', () => {
  it('are in force at startup; a bad document or an unknown region is a config error naming the path', async () => {
    const own = await start(testConfigFile({ faults: { eu: { error: { rate: 1, answer: 'internal' } } } }));
    try {
      expect(own.app.faults.get('eu')).toEqual({ error: { rate: 1, answer: 'internal' } });
      const r = await call(own.url, 'GET', '/services/collector/health', { host: EU });
      expect([r.status, r.json.code]).toEqual([500, 8]);
    } finally {
      await own.close();
    }
    await expect(start(testConfigFile({ faults: { eu: { error: { rate: 3, answer: 'busy' } } } }))).rejects.toThrow(/config \/faults\/eu is invalid:\n {2}- \/error\/rate: must be <= 1/);
    await expect(start(testConfigFile({ faults: { mars: {} } }))).rejects.toThrow("/faults/mars: 'mars' is not a served region");
  });
});
