import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, call, start, splunk, T, testConfigFile, US, type Started } from '../helpers/service.ts';

let s: Started;
beforeAll(async () => {
  s = await start(testConfigFile({ limits: { maxBodyBytes: 64 * 1024, maxDecompressedBytes: 256 * 1024, maxDepth: 20 } }));
});
afterAll(async () => { await s.close(); });

const post = (body: string | Buffer | undefined, headers: Record<string, string> = {}, path = '/services/collector/event') =>
  call(s.url, 'POST', path, { host: US, headers: { ...splunk(T.us), ...headers }, body });
const newest = async () => (await call(s.url, 'GET', '/admin/v1/events?region=us&limit=1', { headers: { authorization: `Bearer ${ADMIN}` } })).json.events[0];
const count = async () => (await call(s.url, 'GET', '/admin/v1/stats', { headers: { authorization: `Bearer ${ADMIN}` } })).json.regions.us.events as number;

describe('gzip', () => {
  it('accepts Content-Encoding: gzip on /event and /raw', async () => {
    const r = await post(gzipSync('{"event":{"z":1}}\n{"event":{"z":2}}'), { 'content-encoding': 'gzip' });
    expect(r.json).toEqual({ text: 'Success', code: 0 });
    expect((await newest()).event).toEqual({ z: 2 });
    const raw = await post(gzipSync('g1\ng2'), { 'content-encoding': 'gzip' }, '/services/collector/raw');
    expect(raw.json.code).toBe(0);
    expect((await newest()).event).toBe('g1\ng2'); // no timestamps: one merged event (Splunk's [default])
  });

  it('truncated gzip: 400 code 6 with a clear detail, nothing stored', async () => {
    const before = await count();
    const z = gzipSync(JSON.stringify({ event: 'x'.repeat(5000) }));
    const r = await post(z.subarray(0, z.length - 10), { 'content-encoding': 'gzip' });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ text: 'Invalid data format', code: 6 });
    expect(r.json.detail).toMatch(/gzip body cannot be decompressed: unexpected end of file/);
    expect(r.headers['x-sim-error']).toBe('SIM_ERR_HEC_GZIP_INVALID');
    expect(await count()).toBe(before);
  });

  it('not gzip at all under Content-Encoding: gzip: 400 code 6', async () => {
    const r = await post('{"event":1}', { 'content-encoding': 'gzip' });
    expect([r.status, r.json.code]).toEqual([400, 6]);
  });

  it('gzip bomb: a small body that inflates past maxDecompressedBytes is 413 with a clear body', async () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const r = await post(bomb, { 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ code: 413 });
    expect(r.json.detail).toMatch(/decompresses to more than 262144 bytes/);
    expect(r.headers['x-sim-error']).toBe('SIM_ERR_HTTP_DECOMPRESSED_TOO_LARGE');
  });

  it('deflate and other encodings: 415', async () => {
    const r = await post('{"event":1}', { 'content-encoding': 'deflate' });
    expect(r.status).toBe(415);
    expect(r.json.detail).toMatch(/deflate.*not supported/);
  });
});

describe('limits and malformed bodies', () => {
  it('a body over maxBodyBytes: 413 with a clear body', async () => {
    const r = await post(JSON.stringify({ event: 'y'.repeat(70 * 1024) }));
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ text: 'Content too large', code: 413 });
    expect(r.json.detail).toMatch(/larger than 65536 bytes/);
  });

  it('deep nesting beyond maxDepth: 400 code 6 naming the event; the prefix is stored', async () => {
    const before = await count();
    const deep = `{"event":${'['.repeat(50)}1${']'.repeat(50)}}`;
    const r = await post(`{"event":"shallow"}${deep}`);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 6, 'invalid-event-number': 1 });
    expect(r.json.detail).toMatch(/deeper than 20 levels/);
    expect(await count()).toBe(before + 1);
    const wayDeep = '{"event":' + '{"a":'.repeat(20000) + '1' + '}'.repeat(20001);
    const r2 = await post(wayDeep.slice(0, 60 * 1024));
    expect([r2.status, r2.json.code]).toEqual([400, 6]);
  });

  it('__proto__ and constructor keys are stored as data and pollute nothing', async () => {
    const body = '{"event":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"ok":1},"fields":{"__proto__":"p"}}';
    const r = await post(body);
    expect(r.json).toEqual({ text: 'Success', code: 0 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    const e = await newest();
    expect(Object.getOwnPropertyNames(e.event).sort()).toEqual(['__proto__', 'constructor', 'ok']);
    expect(Object.prototype.hasOwnProperty.call(e.event, '__proto__')).toBe(true);
    // and the server process itself: a fresh request still works and no injected property appears
    const again = await post('{"event":{"polluted":"no?"}}');
    expect(again.json.code).toBe(0);
  });

  it('invalid UTF-8: 400 code 6 naming the byte', async () => {
    const bad = Buffer.concat([Buffer.from('{"event":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const r = await post(bad);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ text: 'Invalid data format', code: 6 });
    expect(r.json.detail).toMatch(/not valid UTF-8 \(at byte 13\)/);
    const raw = await post(Buffer.from([0x61, 0xff, 0x0a]), {}, '/services/collector/raw');
    expect(raw.json.code).toBe(6);
  });

  it('valid UTF-8 with a BOM and multi-byte characters is fine', async () => {
    const r = await post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"event":"Zürich – 東京 🙂"}')]));
    expect(r.json.code).toBe(0);
    expect((await newest()).event).toBe('Zürich – 東京 🙂');
  });

  it.each([
    ['an empty body', ''],
    ['a whitespace body', ' \r\n\t '],
  ])('%s: 400 code 5 No data', async (_n, body) => {
    for (const path of ['/services/collector/event', '/services/collector/raw']) {
      const r = await post(body, {}, path);
      expect([r.status, r.json.text, r.json.code]).toEqual([400, 'No data', 5]);
    }
  });

  it('an empty gzip body is no data as well', async () => {
    const r = await post(gzipSync(''), { 'content-encoding': 'gzip' });
    expect(r.json.code).toBe(5);
  });

  it('a Content-Length longer than the body sent is refused without hanging', async () => {
    const net = await import('node:net');
    const port = new URL(s.url).port;
    const reply = await new Promise<string>((resolve) => {
      const c = net.connect(Number(port), '127.0.0.1', () => {
        c.end(`POST /services/collector/event HTTP/1.1\r\nHost: ${US}\r\nAuthorization: Splunk ${T.us}\r\nContent-Length: 100\r\n\r\n{"event":1}`);
      });
      let buf = '';
      c.on('data', (d) => { buf += d; });
      c.on('close', () => resolve(buf));
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
  });
});
