import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, start, splunk, T, testConfigFile, US, type Started } from '../helpers/service.ts';

let s: Started;
beforeAll(async () => { s = await start(testConfigFile({ undeclared: 'flag' })); });
afterAll(async () => { await s.close(); });

const auth = { authorization: `Bearer ${ADMIN}` };
const get = (p: string, headers: Record<string, string> = auth) => call(s.url, 'GET', `/admin/v1${p}`, { headers });
const put = (p: string, body: string) => call(s.url, 'PUT', `/admin/v1${p}`, { headers: { ...auth, 'content-type': 'application/json' }, body });
const ingest = (body: string, token = T.us, host = US) => call(s.url, 'POST', '/services/collector/event', { host, headers: splunk(token), body });

describe('admin authentication', () => {
  it.each([{}, { authorization: 'Bearer wrong-token-xx' }, { authorization: `Splunk ${ADMIN}` }, { authorization: `Bearer ${ADMIN}x` }])('refuses %j with 401', async (h) => {
    const r = await get('/regions', h as Record<string, string>);
    expect(r.status).toBe(401);
    expect(r.json).toMatchObject({ text: 'Admin token required', code: 401 });
    expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
  });
});

describe('regions, events, stats', () => {
  it('lists the six served regions with hosts, data centers and counts', async () => {
    const r = await get('/regions');
    expect(r.status).toBe(200);
    expect(r.json.regions.map((x: any) => x.id)).toEqual(['us', 'eu', 'jp', 'sg', 'anz', 'in']);
    expect(r.json.regions[0]).toMatchObject({
      ingestorHost: 'ingestor-us.xdr.trendmicro.com', localHost: 'ingestor-us.localhost', store: 'sqlite', events: 0, queueDepth: 0,
    });
    expect(r.json.regions[0].dataCenters.length).toBeGreaterThan(0);
  });

  it('events: newest first, each field\'s verdict (classification and action), module and limit filters', async () => {
    await ingest('{"event":{"src_ip":"10.0.0.1","n":1},"sourcetype":"fw:traffic"}');
    await ingest('{"event":{"host_id":"h-1","n":2}}');
    await ingest('{"event":{"user":"alice","n":3},"sourcetype":"fw:traffic"}');
    const all = (await get('/events')).json.events;
    expect(all.map((e: any) => e.event.n)).toEqual([3, 2, 1]);
    expect(all[0]).toMatchObject({ region: 'us', module: 'fw', tenant: 'acme', sourcetype: 'fw:traffic', flagged: 1, dropped: 0 });
    expect(all[0].fields).toEqual([
      { path: 'user', item: 'User name', module: 'fw', category: 'direct-identifier', action: 'keep', by: 'name', kind: 'user' },
      { path: 'n', item: null, module: null, category: 'non-personal', action: 'flag', reason: 'undeclared', by: 'none', kind: null },
    ]);
    expect(typeof all[0].receivedAt).toBe('string');
    const fw = (await get('/events?module=Firewall%20Logs')).json.events;
    expect(fw.map((e: any) => e.event.n)).toEqual([3, 1]);
    expect((await get('/events?module=none')).json.events.map((e: any) => e.event.n)).toEqual([2]);
    expect((await get('/events?limit=1')).json.events).toHaveLength(1);
    expect((await get('/events?region=eu')).json.events).toEqual([]);
  });

  it('events: bad parameters get clear errors', async () => {
    expect((await get('/events?limit=0')).status).toBe(400);
    expect((await get('/events?limit=abc')).json.detail).toMatch(/limit= must be an integer from 1 to 1000/);
    const r = await get('/events?region=mars');
    expect([r.status, r.json.text]).toEqual([404, 'Unknown region']);
    const m = await get('/events?module=nope');
    expect([m.status, m.json.text]).toEqual([404, 'Unknown module']);
  });

  it('stats: accepted events, dropped and flagged fields per region, module and item', async () => {
    const r = (await get('/stats')).json;
    expect(r.totals.events).toBeGreaterThanOrEqual(3);
    const us = r.regions.us;
    expect(us.modules.fw.events).toBeGreaterThanOrEqual(2);
    expect(us.items).toContainEqual({ module: 'fw', item: 'Source IP address', kept: 1, dropped: 0, flagged: 0 });
    expect(us.items.find((i: any) => i.item === null).flagged).toBeGreaterThanOrEqual(3);
    expect(r.regions.eu.events).toBe(0);
  });
});

describe('upload permission', () => {
  it('GET reports the effective permission; unknown tenant/module are 404', async () => {
    const r = await get('/tenants/acme/modules/fw');
    expect(r.json).toEqual({ tenant: 'acme', module: 'fw', name: 'Firewall Logs', canBeTurnedOff: 'yes', turnOffNote: 'can be turned off', uploadPermission: true, effectivePermission: true });
    expect((await get('/tenants/beta/modules/Firewall%20Logs')).json.uploadPermission).toBe(false);
    expect((await get('/tenants/nobody/modules/fw')).status).toBe(404);
    const m = await get('/tenants/acme/modules/nope');
    expect([m.status, m.json.text]).toEqual([404, 'Unknown module']);
    const list = (await get('/tenants/acme/modules')).json.modules;
    expect(list.map((x: any) => x.module)).toEqual(['fw', 'core']);
  });

  it('PUT false takes effect at once: the next event has the module fields dropped', async () => {
    const r = await put('/tenants/acme/modules/fw', '{"uploadPermission": false}');
    expect(r.status).toBe(200);
    expect(r.json.uploadPermission).toBe(false);
    await ingest('{"event":{"src_ip":"10.9.9.9","user":"bob","n":9},"sourcetype":"fw:traffic"}');
    const e = (await get('/events?limit=1')).json.events[0];
    expect(e.event).toEqual({ n: 9 });
    expect(e.dropped).toBe(2);
    expect(e.fields.filter((f: any) => f.action === 'drop').map((f: any) => f.path)).toEqual(['src_ip', 'user']);
    // the dropped values reach no file of the region's store (an event stored whole keeps its envelope's text:
    // this one, with drops, must not)
    const { readdirSync, readFileSync } = await import('node:fs');
    const files = readdirSync(join(s.dataDir, 'us')).map((f) => readFileSync(join(s.dataDir, 'us', f)).toString('latin1'));
    expect(files.join('').length).toBeGreaterThan(0);
    expect(files.join('')).toContain('"n":9');
    expect(files.join('')).not.toContain('10.9.9.9');
    const m = await call(s.url, 'GET', '/metrics');
    expect(m.text).toMatch(/ingestor_sim_fields_dropped_total\{region="us",module="fw"\} 2/);
    expect((await put('/tenants/acme/modules/fw', '{"uploadPermission": true}')).json.uploadPermission).toBe(true);
  });

  it('a PUT of the value the tenant already has answers changed: false and writes no audit entry and no state file', async () => {
    const { readFileSync, statSync } = await import('node:fs');
    const state = join(s.dataDir, 'policy', 'tenants.json');
    const before = { text: readFileSync(state, 'utf8'), mtime: statSync(state).mtimeMs, audit: (await get('/audit')).json.entries.length };
    const m = await put('/tenants/acme/modules/fw', '{"uploadPermission": true}');
    expect(m.status).toBe(200);
    expect(m.json).toMatchObject({ module: 'fw', uploadPermission: true, changed: false, consequences: [] });
    expect((await get('/audit')).json.entries.length).toBe(before.audit);
    expect(readFileSync(state, 'utf8')).toBe(before.text);
    expect(statSync(state).mtimeMs).toBe(before.mtime);
    // a real change still writes both, and says so (settings, secrets, undeclared: tests/socket/permissions.test.ts)
    const off = await put('/tenants/acme/modules/fw', '{"uploadPermission": false}');
    expect(off.json.changed).toBe(true);
    expect((await get('/audit')).json.entries.length).toBe(before.audit + 1);
    expect(readFileSync(state, 'utf8')).not.toBe(before.text);
    expect((await put('/tenants/acme/modules/fw', '{"uploadPermission": true}')).json.changed).toBe(true);
  });

  it('PUT false on a module that cannot be turned off is 409 with a clear body', async () => {
    const r = await put('/tenants/acme/modules/core', '{"uploadPermission": false}');
    expect(r.status).toBe(409);
    expect(r.json).toMatchObject({ text: 'Module cannot be turned off', code: 409 });
    expect(r.json.detail).toMatch(/module 'core' \(Core Telemetry\) cannot be turned off/);
    expect((await get('/tenants/acme/modules/core')).json.uploadPermission).toBe(true);
  });

  it('PUT with an unparseable Content-Type is 415 with a clear body', async () => {
    const r = await call(s.url, 'PUT', '/admin/v1/tenants/acme/modules/fw', { headers: { ...auth, 'content-type': 'json' }, body: '{"uploadPermission":true}' });
    expect(r.status).toBe(415);
    expect(r.json.detail).toBe('the Content-Type header cannot be parsed; send application/json');
  });

  it('PUT with a bad body is 400', async () => {
    for (const b of ['', 'nope', '{"uploadPermission":"no"}', '{}']) {
      const r = await put('/tenants/acme/modules/fw', b);
      expect(r.status).toBe(400);
      expect(r.json.detail).toMatch(/uploadPermission/);
    }
  });
});

describe('/metrics', () => {
  it('serves Prometheus text with events, request latency and queue depth', async () => {
    await ingest('{"event":"m"}');
    const r = await call(s.url, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.text).toMatch(/ingestor_sim_events_total\{region="us",module=""\} \d+/);
    expect(r.text).toMatch(/ingestor_sim_http_request_duration_seconds_bucket\{le="[^"]+",route="\/services\/collector\/event",method="POST",status="200"\}/);
    expect(r.text).toMatch(/ingestor_sim_store_queue_depth\{region="eu"\} 0/);
    expect(r.text).toMatch(/ingestor_sim_hec_requests_total\{region="us",endpoint="event",status="200",hec_code="0"\}/);
  });
});

describe('bad input is refused by the route schemas (400, SIM_ERR_ADMIN_BAD_REQUEST, the detail names the field)', () => {
  const bad = (r: Awaited<ReturnType<typeof get>>) => {
    expect(r.status).toBe(400);
    expect(r.headers['x-sim-error']).toBe('SIM_ERR_ADMIN_BAD_REQUEST');
    expect(r.json).toMatchObject({ text: 'Bad admin request', code: 400 });
    return r.json.detail as string;
  };

  it('a body field of the wrong type', async () => {
    expect(bad(await put('/tenants/acme/settings/qualysConfigured', '{"value":"yes"}'))).toBe('"value" must be true or false, got "yes"');
    // a body's boolean is a JSON boolean: "true" and 1 are not coerced
    expect(bad(await put('/tenants/acme/modules/fw', '{"uploadPermission":"true"}'))).toBe('"uploadPermission" must be true or false, got "true"');
    expect(bad(await put('/tenants/acme/modules/fw', '{"uploadPermission":1}'))).toBe('"uploadPermission" must be true or false, got 1');
    expect(bad(await put('/tenants/acme/modules/fw', '[true]'))).toBe('the body must be {"uploadPermission": true|false}, got [true]');
  });

  it('a secrets or undeclared policy that is not one of its words', async () => {
    expect(bad(await put('/tenants/acme/secrets', '{"value":"mask"}'))).toBe('"value" must be "keep", "redact" or "drop", got "mask"');
    expect(bad(await put('/tenants/acme/undeclared', '{"value":true}'))).toBe('"value" must be "keep", "flag" or "drop", got true');
    expect(bad(await put('/tenants/acme/undeclared', '{}'))).toBe('"value" is missing; the body must be {"value": "keep"|"flag"|"drop"}');
    expect(bad(await put('/tenants/acme/secrets', '{"value":"drop","secrets":"drop"}'))).toMatch(/^"secrets" is not a key this body takes/);
  });

  it('a missing body field', async () => {
    expect(bad(await put('/tenants/acme/settings/qualysConfigured', '{"Value":false}'))).toBe('"value" is missing; the body must be {"value": true|false}');
    expect(bad(await call(s.url, 'PUT', '/admin/v1/tenants/acme/modules/fw', { headers: auth }))).toBe('the body must be {"uploadPermission": true|false}, got null');
  });

  it('a body that is not JSON, or empty', async () => {
    expect(bad(await put('/tenants/acme/settings/qualysConfigured', '{value: false}'))).toMatch(/^the body is not JSON \(.+\); the body must be \{"value": true\|false\}$/);
    expect(bad(await put('/tenants/acme/settings/qualysConfigured', ''))).toBe('the body is empty; the body must be {"value": true|false}');
  });

  it('an unknown or out-of-range query value, an unknown query parameter, a repeated one', async () => {
    expect(bad(await get('/events?limit=5000'))).toBe("?limit= must be an integer from 1 to 1000, got '5000'");
    expect(bad(await get('/events?limit=2.5'))).toBe("?limit= must be an integer from 1 to 1000, got '2.5'");
    expect(bad(await get('/audit?limit=0'))).toBe("?limit= must be an integer from 1 to 10000, got '0'");
    expect(bad(await get('/events?regoin=us'))).toBe('?regoin= is not a parameter of this route (it takes ?region=, ?module=, ?limit=)');
    expect(bad(await get('/stats?verbose=1'))).toBe('?verbose= is not a parameter of this route');
    expect(bad(await get('/events?region=us&region=eu'))).toBe('?region= is given more than once');
    expect(bad(await get('/events?limit=1&limit=2'))).toBe('?limit= is given more than once');
  });

  it('an unknown path value where the schema lists the allowed ones', async () => {
    const d = bad(await put('/tenants/acme/settings/nope', '{"value":true}'));
    expect(d).toBe(":setting must be a tenant setting (qualysConfigured, internetAccessService, office365ThreatDetection), got 'nope'");
  });

  it('the admin token is checked before the input: a bad body without it is 401', async () => {
    const r = await call(s.url, 'PUT', '/admin/v1/tenants/acme/modules/fw', { headers: { 'content-type': 'application/json' }, body: 'nope' });
    expect(r.status).toBe(401);
  });

  it('a route that takes no body takes an empty one whatever its Content-Type (DELETE with Content-Length: 0)', async () => {
    const r = await call(s.url, 'DELETE', '/admin/v1/regions/us/faults', { headers: { ...auth, 'content-type': 'application/json', 'content-length': '0' }, body: '' });
    expect([r.status, r.json.region]).toEqual([200, 'us']);
    const bad = await call(s.url, 'PUT', '/admin/v1/regions/us/faults', { headers: { ...auth, 'content-type': 'application/json' }, body: '[1]' });
    expect([bad.status, bad.json.detail]).toEqual([400, 'the body must be a fault document (docs/faults.md), got [1]']);
  });

  it('good input still passes: an empty query value is no filter, JSON labelled form-urlencoded (curl -d) is read as JSON', async () => {
    expect((await get('/events?region=&limit=')).status).toBe(200);
    const r = await call(s.url, 'PUT', '/admin/v1/tenants/acme/modules/fw', {
      headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: '{"uploadPermission":true}',
    });
    expect([r.status, r.json.uploadPermission]).toEqual([200, true]);
  });
});
