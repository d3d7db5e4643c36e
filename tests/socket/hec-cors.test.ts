/** CORS as Splunk's crossOriginSharingPolicy, over real sockets; and the unit rules of the origin list. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCorsPolicy } from '../../src/service/region/cors.ts';
import { call, start, splunk, T, testConfigFile, US, type Started } from '../helpers/service.ts';

describe('compileCorsPolicy (the origin list of Splunk\'s spec)', () => {
  it('empty is off; * is all; wildcards in any part; *. also matches the bare domain; ! negates, first match wins', () => {
    expect(compileCorsPolicy('')).toBeNull();
    expect(compileCorsPolicy('*')!.allows('https://anything.example:9')).toBe(true);
    const p = compileCorsPolicy('!*://evil.example.com:* *://*.example.com:*, http://localhost:3000')!;
    expect(p.allows('https://app.example.com:8000')).toBe(true);
    expect(p.allows('http://example.com:80')).toBe(true);
    expect(p.allows('https://evil.example.com:443')).toBe(false);
    expect(p.allows('http://localhost:3000')).toBe(true);
    expect(p.allows('http://localhost:3001')).toBe(false);
    expect(p.allows('https://example.com.attacker.net:1')).toBe(false);
    expect(compileCorsPolicy('https://*.example.com')!.allows('https://example.com')).toBe(true);
  });
  it('allowed headers: the list, or what the browser asks for with *', () => {
    expect(compileCorsPolicy('*', 'Authorization, Content-Type')!.allowHeaders('x-a')).toBe('Authorization, Content-Type');
    expect(compileCorsPolicy('*', '*')!.allowHeaders('authorization,content-type')).toBe('authorization,content-type');
    expect(compileCorsPolicy('*')!.allowHeaders('authorization')).toBeNull();
  });
});

describe('CORS on the service', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start(testConfigFile({ crossOriginSharingPolicy: 'http://localhost:3000 https://*.example.com', crossOriginSharingHeaders: 'Authorization, Content-Type, X-Splunk-Request-Channel' }));
  });
  afterAll(async () => { await s.close(); });

  it('answers the preflight of a listed origin with the methods and headers', async () => {
    const r = await call(s.url, 'OPTIONS', '/services/collector/event', {
      host: US, headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(r.headers['access-control-allow-methods']).toBe('GET, POST, OPTIONS');
    expect(r.headers['access-control-allow-headers']).toBe('Authorization, Content-Type, X-Splunk-Request-Channel');
  });

  it('a preflight from an origin not listed gets no CORS headers (the browser refuses)', async () => {
    const r = await call(s.url, 'OPTIONS', '/services/collector/event', { host: US, headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' } });
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    expect(r.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('the actual request of a listed origin, success or error, carries Access-Control-Allow-Origin; others do not', async () => {
    const ok = await call(s.url, 'POST', '/services/collector/event', { host: US, headers: { ...splunk(T.us), origin: 'https://app.example.com' }, body: '{"event":"from a page"}' });
    expect([ok.status, ok.headers['access-control-allow-origin'], ok.headers.vary]).toEqual([200, 'https://app.example.com', 'Origin']);
    const bad = await call(s.url, 'POST', '/services/collector/event', { host: US, headers: { authorization: 'Splunk nope', origin: 'http://localhost:3000' }, body: '{"event":1}' });
    expect([bad.status, bad.headers['access-control-allow-origin']]).toEqual([403, 'http://localhost:3000']);
    const other = await call(s.url, 'POST', '/services/collector/event', { host: US, headers: { ...splunk(T.us), origin: 'http://localhost:4000' }, body: '{"event":1}' });
    expect([other.status, other.headers['access-control-allow-origin']]).toEqual([200, undefined]);
  });
});

describe('without a policy (the default, as Splunk)', () => {
  it('OPTIONS is 204 with Allow and no CORS headers; requests carry none', async () => {
    const s = await start();
    try {
      const r = await call(s.url, 'OPTIONS', '/services/collector/event', { host: US, headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' } });
      expect([r.status, r.headers.allow, r.headers['access-control-allow-origin']]).toEqual([204, 'GET, POST, OPTIONS', undefined]);
      const p = await call(s.url, 'POST', '/services/collector/event', { host: US, headers: { ...splunk(T.us), origin: 'http://localhost:3000' }, body: '{"event":1}' });
      expect(p.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});
