import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, start, splunk, T, testConfigFile, US, type Started } from '../helpers/service.ts';

let s: Started;
// the indexes that exist (config `indexes`): these tests also send to q and net
beforeAll(async () => { s = await start(testConfigFile({ indexes: ['main', 'sec', 'q', 'net'] })); });
afterAll(async () => { await s.close(); });

const post = (path: string, body: string | Buffer | undefined, headers: Record<string, string> = splunk(T.us), host = US) =>
  call(s.url, 'POST', path, { host, headers, body });
const admin = (path: string) => call(s.url, 'GET', `/admin/v1${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
const count = async () => (await admin('/stats')).json.regions.us.events as number;
const newest = async (n: number) => (await admin(`/events?region=us&limit=${n}`)).json.events as any[];

describe('event endpoints', () => {
  for (const path of ['/services/collector', '/services/collector/event', '/services/collector/event/1.0', '/services/collector/event/']) {
    it(`POST ${path} answers HEC success with the exact content type`, async () => {
      const r = await post(path, JSON.stringify({ event: { msg: path } }));
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ text: 'Success', code: 0 });
      expect(r.headers['content-type']).toBe('application/json; charset=UTF-8');
      expect((await newest(1))[0].event).toEqual({ msg: path });
    });
  }

  it('takes envelopes back to back, newline-separated, not separated and as a top-level array', async () => {
    const before = await count();
    const e = (i: number) => JSON.stringify({ event: { i }, time: 1700000000 + i, host: 'h', source: 's', sourcetype: 'st', index: 'main' });
    expect((await post('/services/collector/event', `${e(1)}\n${e(2)}\r\n\n${e(3)}`)).status).toBe(200);
    expect((await post('/services/collector/event', `${e(4)}${e(5)}`)).status).toBe(200);
    expect((await post('/services/collector/event', `[${e(6)}, ${e(7)}]\n[${e(8)}]`)).status).toBe(200);
    expect(await count()).toBe(before + 8);
    const got = await newest(8);
    expect(got.map((x) => x.event.i)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(got[0]).toMatchObject({ time: 1700000008, host: 'h', source: 's', sourcetype: 'st', index: 'main', region: 'us', tenant: 'acme' });
  });

  it('accepts any Content-Type (splunk-logging labels JSON as form-urlencoded) and a numeric-string time', async () => {
    const r = await post('/services/collector/event/1.0', '{"time":"1433188255.500","event":{"message":"m","severity":"info"}}',
      { ...splunk(T.us), 'content-type': 'application/x-www-form-urlencoded' });
    expect(r.json).toEqual({ text: 'Success', code: 0 });
    expect((await newest(1))[0]).toMatchObject({ time: 1433188255.5, event: { message: 'm', severity: 'info' } });
  });

  it.each(['json', '', 'text/plain; charset=latin1', 'x/y; a'])('accepts a junk or empty Content-Type %j', async (ct) => {
    const r = await post('/services/collector/event', '{"event":"ct"}', { ...splunk(T.us), 'content-type': ct });
    expect(r.json).toEqual({ text: 'Success', code: 0 });
  });

  it('takes index/source/sourcetype/host defaults from the query, envelope keys win', async () => {
    await post('/services/collector/event?index=q&source=qs&sourcetype=qst&host=qh', '{"event":"a"}{"event":"b","source":"own"}');
    const [b, a] = await newest(2);
    expect(a).toMatchObject({ index: 'q', source: 'qs', sourcetype: 'qst', host: 'qh', event: 'a' });
    expect(b).toMatchObject({ source: 'own', sourcetype: 'qst' });
  });

  it('defaults: source http:<token name>, sourcetype httpevent, index main, host = client address', async () => {
    await post('/services/collector/event', '{"event":"d"}');
    expect((await newest(1))[0]).toMatchObject({ source: 'http:us-app', sourcetype: 'httpevent', index: 'main', host: '127.0.0.1' });
  });

  it('stores indexed fields and classifies them as fields.<name>', async () => {
    await post('/services/collector/event', '{"event":{"a":1},"fields":{"user":"bob","n":[1,2]}}');
    const e = (await newest(1))[0];
    expect(e.indexedFields).toEqual({ user: 'bob', n: [1, 2] });
    expect(e.fields.map((f: any) => f.path)).toEqual(['a', 'fields.user', 'fields.n[0]', 'fields.n[1]']);
    expect(e.fields[1]).toMatchObject({ item: 'User name', module: 'fw', category: 'direct-identifier', action: 'keep' });
  });
});

describe('event validation: first bad event number, the good prefix is stored', () => {
  it('invalid JSON in the 3rd event: 400 code 6 invalid-event-number 2, events 0 and 1 stored', async () => {
    const before = await count();
    const r = await post('/services/collector/event', '{"event":"ok0"}\n{"event":"ok1"}\n{"event": nope}\n{"event":"never"}');
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ text: 'Invalid data format', code: 6, 'invalid-event-number': 2 });
    expect(r.json.detail).toMatch(/event 2 is not valid JSON/);
    expect(await count()).toBe(before + 2);
    expect((await newest(2)).map((e) => e.event)).toEqual(['ok1', 'ok0']);
  });

  it.each([
    ['{"event":"a"}{"host":"x"}', 400, 12, 'Event field is required', 1],
    ['{"event":""}', 400, 13, 'Event field cannot be blank', 0],
    ['{"event":"a"}{"event":null}', 400, 13, 'Event field cannot be blank', 1],
    ['{"event":"  \\n "}', 400, 13, 'Event field cannot be blank', 0],
    ['{"event":"a","time":"yesterday"}', 400, 15, 'Error in handling indexed fields', 0],
    ['{"event":"a"}{"event":"b","fields":{"x":{"y":1}}}', 400, 15, 'Error in handling indexed fields', 1],
    ['{"event":"a","host":5}', 400, 6, 'Invalid data format', 0],
    ['"just a string"', 400, 6, 'Invalid data format', 0],
    ['{"event":"a"} 42', 400, 6, 'Invalid data format', 1],
    ['[{"event":"a"},"x"]', 400, 6, 'Invalid data format', 1],
    ['{"event":"a"}{"event":"b"', 400, 6, 'Invalid data format', 1],
  ])('%s → %i code %i', async (body, status, code, text, n) => {
    const r = await post('/services/collector/event', body);
    expect(r.status).toBe(status);
    expect(r.json).toMatchObject({ text, code, 'invalid-event-number': n });
  });

  it('code 7 for an index outside the token list, numbered index+1 as Splunk does; the prefix is stored', async () => {
    const r = await post('/services/collector/event', '{"event":"a","index":"sec"}{"event":"b","index":"other"}', splunk(T.idx));
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ text: 'Incorrect index', code: 7, 'invalid-event-number': 2 });
    expect((await newest(1))[0]).toMatchObject({ event: 'a', index: 'sec', tenant: 'beta' });
    const raw = await post('/services/collector/raw?index=other', 'line', splunk(T.idx));
    expect(raw.json).toMatchObject({ code: 7 });
  });

  it('an empty array is no data (code 5)', async () => {
    const r = await post('/services/collector/event', '[]');
    expect(r.json).toMatchObject({ text: 'No data', code: 5 });
  });
});

describe('raw endpoint and the plain-text collector style', () => {
  it('lines without a timestamp merge into one event (Splunk\'s [default]), blank lines skipped, metadata from the query', async () => {
    const before = await count();
    const r = await post('/services/collector/raw?sourcetype=fw:traffic&source=syslog&host=fw1&index=net', 'line one\r\nline two\n\n\nline three\n');
    expect(r.json).toEqual({ text: 'Success', code: 0 });
    expect(await count()).toBe(before + 1);
    const got = await newest(1);
    expect(got.map((e) => e.event)).toEqual(['line one\nline two\nline three']);
    expect(got[0]).toMatchObject({ endpoint: 'raw', sourcetype: 'fw:traffic', source: 'syslog', host: 'fw1', index: 'net', module: 'fw' });
  });

  it('/raw/1.0 with text/plain and a Bearer token (the vendor plain-text style)', async () => {
    const r = await post('/services/collector/raw/1.0', 'a\nb', { authorization: `Bearer ${T.us}`, 'content-type': 'text/plain' });
    expect(r.json).toEqual({ text: 'Success', code: 0 });
    expect((await newest(1)).map((e) => e.event)).toEqual(['a\nb']);
  });

  it('lines longer than TRUNCATE (10000) are cut', async () => {
    await post('/services/collector/raw', 'x'.repeat(12_000));
    expect((await newest(1))[0].event).toHaveLength(10_000);
  });
});

describe('authentication', () => {
  const body = '{"event":"auth"}';
  it('no credential: 401 code 2', async () => {
    const r = await post('/services/collector/event', body, {});
    expect([r.status, r.json.code, r.json.text]).toEqual([401, 2, 'Token is required']);
  });
  it.each(['Splunk', 'Token abc', 'Basic !!!', `Basic ${Buffer.from('nocolon').toString('base64')}`])('malformed %j: 401 code 3', async (h) => {
    const r = await post('/services/collector/event', body, { authorization: h });
    expect([r.status, r.json.code, r.json.text]).toEqual([401, 3, 'Invalid authorization']);
  });
  it('unknown token: 403 code 4; disabled token: 403 code 1', async () => {
    const u = await post('/services/collector/event', body, splunk('99999999-9999-4999-8999-999999999999'));
    expect([u.status, u.json]).toEqual([403, { text: 'Invalid token', code: 4 }]);
    const d = await post('/services/collector/event', body, splunk(T.off));
    expect([d.status, d.json.code, d.json.text]).toEqual([403, 1, 'Token disabled']);
  });
  it('Basic with the token as password, Bearer, and lower-case scheme all work', async () => {
    const basic = `Basic ${Buffer.from(`anyuser:${T.us}`).toString('base64')}`;
    for (const authorization of [basic, `Bearer ${T.us}`, `splunk ${T.us.toUpperCase()}`]) {
      expect((await post('/services/collector/event', body, { authorization })).json).toEqual({ text: 'Success', code: 0 });
    }
  });
  it('query token: wins over the header; unknown 403 code 4 first; not allowed 400 code 16; allowed works', async () => {
    const unknown = await post('/services/collector/event?token=99999999-9999-4999-8999-999999999999', body, splunk(T.us));
    expect([unknown.status, unknown.json.code]).toEqual([403, 4]);
    const notAllowed = await post(`/services/collector/event?token=${T.us}`, body, splunk(T.us));
    expect([notAllowed.status, notAllowed.json]).toEqual([400, { text: 'Query string authorization is not enabled', code: 16, detail: expect.any(String) }]);
    const ok = await post(`/services/collector/event?token=${T.query}`, body, {});
    expect(ok.json).toEqual({ text: 'Success', code: 0 });
  });
});

describe('channels and indexer acknowledgment', () => {
  const ch = 'B3C0D1E2-0000-4000-8000-00000000A11C';
  it('ack token without a channel: 400 code 10; a malformed channel: 400 code 11', async () => {
    const r = await post('/services/collector/event', '{"event":1}', splunk(T.ack));
    expect([r.status, r.json.code, r.json.text]).toEqual([400, 10, 'Data channel is missing']);
    const m = await post('/services/collector/event?channel=not-a-guid', '{"event":1}', splunk(T.ack));
    expect([m.status, m.json.code, m.json.text]).toEqual([400, 11, 'Invalid data channel']);
    const m2 = await post('/services/collector/event', '{"event":1}', { ...splunk(T.us), 'x-splunk-request-channel': 'zzz' });
    expect(m2.json.code).toBe(11);
  });

  it('ackIds count per channel from 0; an id reads true once, then false; other channels read false', async () => {
    const other = '11111111-0000-4000-8000-000000000000';
    const h = { ...splunk(T.ack), 'x-splunk-request-channel': ch };
    const a0 = await post('/services/collector/event', '{"event":"a0"}', h);
    const a1 = await post(`/services/collector/raw?channel=${ch}`, 'a1', splunk(T.ack));
    const b0 = await post(`/services/collector/event?channel=${other}`, '{"event":"b0"}', splunk(T.ack));
    expect([a0.json, a1.json, b0.json]).toEqual([
      { text: 'Success', code: 0, ackId: 0 }, { text: 'Success', code: 0, ackId: 1 }, { text: 'Success', code: 0, ackId: 0 },
    ]);
    const q = (c: string, acks: unknown) => post(`/services/collector/ack?channel=${c}`, JSON.stringify({ acks }), splunk(T.ack));
    expect((await q(ch, [0, 1, 2])).json).toEqual({ acks: { 0: true, 1: true, 2: false } });
    expect((await q(ch, [0, 1])).json).toEqual({ acks: { 0: false, 1: false } });
    expect((await q('22222222-0000-4000-8000-000000000000', [0])).json).toEqual({ acks: { 0: false } });
    expect((await q(other, [0])).json).toEqual({ acks: { 0: true } });
    expect((await q(other, 'x')).json).toMatchObject({ code: 6 });
  });

  it('ack with a token without useAck: 400 code 14 (checked before the channel); GET /ack is 405', async () => {
    const r = await post('/services/collector/ack', '{"acks":[0]}');
    expect([r.status, r.json.code, r.json.text]).toEqual([400, 14, 'ACK is disabled']);
    const g = await call(s.url, 'GET', '/services/collector/ack', { host: US, headers: splunk(T.ack) });
    expect(g.status).toBe(405);
  });

  it('an ack token needs no channel on /ack? It does: 400 code 10', async () => {
    const r = await post('/services/collector/ack', '{"acks":[0]}', splunk(T.ack));
    expect([r.status, r.json.code]).toEqual([400, 10]);
  });

  it('channel_cookie sets a sticky cookie with the channel', async () => {
    const r = await post(`/services/collector/event?channel=${ch}&channel_cookie=lb`, '{"event":1}', splunk(T.us));
    expect(r.headers['set-cookie']).toBe(`lb=${ch}`);
  });
});

describe('health, mint, unknown paths', () => {
  it('health: 200 code 17 without auth (the Authorization header is ignored), also on a non-region host', async () => {
    for (const path of ['/services/collector/health', '/services/collector/health/1.0']) {
      const r = await call(s.url, 'GET', path, { host: US, headers: { authorization: 'garbage' } });
      expect([r.status, r.json]).toEqual([200, { text: 'HEC is healthy', code: 17 }]);
    }
    const local = await call(s.url, 'GET', '/services/collector/health', { host: 'localhost' });
    expect(local.json).toEqual({ text: 'HEC is healthy', code: 17 });
  });
  it('health ?token=: unknown 400 code 21, disabled 400 code 22, valid 200', async () => {
    const u = await call(s.url, 'GET', '/services/collector/health?token=99999999-9999-4999-8999-999999999999', { host: US });
    expect([u.status, u.json.code, u.json.text]).toEqual([400, 21, 'Invalid token']);
    const d = await call(s.url, 'GET', `/services/collector/health?token=${T.off}`, { host: US });
    expect([d.status, d.json.code, d.json.text]).toEqual([400, 22, 'Token disabled']);
    const ok = await call(s.url, 'GET', `/services/collector/health?token=${T.us}`, { host: US });
    expect(ok.json.code).toBe(17);
  });
  it('mint and s2s are out of scope: empty body code 5, junk code 6', async () => {
    expect((await post('/services/collector/mint', undefined)).json.code).toBe(5);
    expect((await post('/services/collector/s2s', 'junk')).json.code).toBe(6);
  });
  it.each(['/nope', '/services/collector/1.0', '/services/collector/event/2.0'])('unknown path %s: 404 HEC-style JSON', async (p) => {
    const r = await post(p, '{"event":1}');
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ text: 'The requested URL was not found on this server.', code: 404 });
    expect(r.headers['content-type']).toBe('application/json; charset=UTF-8');
  });
});

describe('shutting down', () => {
  it('while closing, HEC answers 503 code 23 and health says so too', async () => {
    s.app.sim.setShuttingDown(true);
    try {
      const r = await post('/services/collector/event', '{"event":1}');
      expect([r.status, r.json.code, r.json.text]).toEqual([503, 23, 'Server is shutting down']);
      const h = await call(s.url, 'GET', '/services/collector/health', { host: US });
      expect([h.status, h.json.code]).toEqual([503, 23]);
    } finally {
      s.app.sim.setShuttingDown(false);
    }
  });
});
