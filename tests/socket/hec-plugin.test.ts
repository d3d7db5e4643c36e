/**
 * The HEC surface is an encapsulated Fastify plugin (src/service/hec/plugin.ts): its body parser, hooks and
 * not-found handler hold for its routes only; the admin plugin keeps its own JSON parser; the root adds only
 * what every answer shares (CORS headers, the duration metric).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, splunk, start, T, testConfigFile, US, type Started } from '../helpers/service.ts';

let s: Started;
const admin = { authorization: `Bearer ${ADMIN}` };

beforeAll(async () => {
  s = await start(testConfigFile({ crossOriginSharingPolicy: 'https://page.example' }));
});
afterAll(async () => {
  await s?.close();
});

/** The hooks Fastify lists for one route of printRoutes({ includeHooks: true }), by hook name. */
function hooksOf(tree: string, route: string): Record<string, string[]> {
  const lines = tree.split('\n');
  const at = lines.findIndex((l) => l.replace(/^[│├└─\s]+/u, '') === route);
  expect(at, `route '${route}' in printRoutes`).toBeGreaterThanOrEqual(0);
  const out: Record<string, string[]> = {};
  for (const l of lines.slice(at + 1)) {
    const m = /• \((\w+)\) (.*)$/u.exec(l);
    if (!m) break;
    out[m[1]] = JSON.parse(m[2]) as string[];
  }
  return out;
}

describe('the hec plugin in its own scope', () => {
  it('HEC routes run the shared CORS hook, then routing + auth, then faults; admission before the body', () => {
    const tree = s.app.printRoutes({ includeHooks: true, commonPrefix: false });
    const hec = hooksOf(tree, '/event (POST)');
    expect(hec.onRequest).toEqual(['cors()', 'hecOnRequest()', 'faultOnRequest()']);
    expect(hec.preParsing).toEqual(['admission()']);
    expect(hec.onError).toEqual(['faultOnError()']);
    expect(hec.onResponse).toEqual(['requestDuration()']);
  });

  it('no HEC hook is on /metrics or on an admin route', () => {
    const tree = s.app.printRoutes({ includeHooks: true, commonPrefix: false });
    const metrics = hooksOf(tree, '/metrics (GET)');
    expect(metrics).toEqual({ onRequest: ['cors()'], onResponse: ['requestDuration()'] });
    const adminRoute = hooksOf(tree, '/admin/v1/events (GET)');
    const all = Object.values(adminRoute).flat();
    expect(all).toContain('cors()');
    for (const h of ['hecOnRequest()', 'faultOnRequest()', 'faultOnError()', 'admission()']) expect(all).not.toContain(h);
  });

  it('an unreachable region is unreachable for HEC, not for the admin API or /metrics on its host name', async () => {
    const put = await call(s.url, 'PUT', '/admin/v1/regions/us/faults', { host: US, headers: { ...admin, 'content-type': 'application/json' }, body: '{"unreachable":"refused"}' });
    expect(put.status).toBe(200);
    try {
      await expect(call(s.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body: '{"event":1}' })).rejects.toThrow();
      expect((await call(s.url, 'GET', '/metrics', { host: US })).status).toBe(200);
      expect((await call(s.url, 'GET', '/admin/v1/regions/us/faults', { host: US, headers: admin })).json.faults).toEqual({ unreachable: 'refused' });
    } finally {
      const del = await call(s.url, 'DELETE', '/admin/v1/regions/us/faults', { host: US, headers: admin });
      expect(del.status).toBe(200);
    }
    expect((await call(s.url, 'POST', '/services/collector/event', { host: US, headers: splunk(T.us), body: '{"event":1}' })).status).toBe(200);
  });
});

describe('body parsers by scope', () => {
  it('the root keeps Fastify\'s defaults and has no catch-all: each plugin reads bodies its own way', () => {
    expect(s.app.hasContentTypeParser('application/json')).toBe(true);
    expect(s.app.hasContentTypeParser('text/plain')).toBe(true);
    expect(s.app.hasContentTypeParser('*')).toBe(false);
  });

  it('HEC reads a body labelled application/json as bytes: two envelopes back to back are no JSON document, and are stored', async () => {
    const r = await call(s.url, 'POST', '/services/collector/event', {
      host: US, headers: { ...splunk(T.us), 'content-type': 'application/json' }, body: '{"event":"one"}{"event":"two"}',
    });
    expect([r.status, r.json]).toEqual([200, { text: 'Success', code: 0 }]);
  });

  it('the admin API parses JSON whatever the label: its parser, not HEC\'s bytes (a Buffer would fail the body schema)', async () => {
    const body = '{"error":{"rate":0,"answer":"busy"}}';
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'application/octet-stream']) {
      const r = await call(s.url, 'PUT', '/admin/v1/regions/eu/faults', { headers: { ...admin, 'content-type': type }, body });
      expect([type, r.status, r.json?.faults]).toEqual([type, 200, { error: { rate: 0, answer: 'busy' } }]);
    }
    const notJson = await call(s.url, 'PUT', '/admin/v1/regions/eu/faults', { headers: { ...admin, 'content-type': 'application/octet-stream' }, body: '{"event":"one"}{"event":"two"}' });
    expect([notJson.status, notJson.headers['x-sim-error']]).toEqual([400, 'SIM_ERR_ADMIN_BAD_REQUEST']);
    await call(s.url, 'DELETE', '/admin/v1/regions/eu/faults', { headers: admin });
  });

  it('an unknown path is read and answered by the HEC scope: 404 HEC JSON for a body no JSON parser accepts, with CORS', async () => {
    for (const body of ['', '{bad']) {
      const r = await call(s.url, 'POST', '/services/collector/nope', { host: US, headers: { 'content-type': 'application/json', origin: 'https://page.example' }, body });
      expect([r.status, r.json?.code, r.headers['x-sim-error'], r.headers['access-control-allow-origin']]).toEqual([404, 404, 'SIM_ERR_HTTP_NOT_FOUND', 'https://page.example']);
    }
  });

  it('the CORS preflight is HEC\'s route: a body on OPTIONS is read as bytes, not parsed', async () => {
    const r = await call(s.url, 'OPTIONS', '/services/collector/event', { host: US, headers: { 'content-type': 'application/json', origin: 'https://page.example' }, body: '{bad' });
    expect([r.status, r.headers['access-control-allow-origin'], r.headers.allow]).toEqual([204, 'https://page.example', 'GET, POST, OPTIONS']);
  });
});
