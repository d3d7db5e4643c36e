import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { configFile, HEC_TOKEN, removeDir, startServe, tempDir, type ServeProcess } from '../helpers/serve-process.ts';

/**
 * Global memory bounds and events per request (issue 13 items 4 and 6), against `serve` in its own process:
 * its memory (VmRSS / VmHWM) is its own. Bounded: a few seconds each. SIM_HEAVY=1 runs the 1 GB bombs.
 */
const HEAVY = process.env.SIM_HEAVY === '1';
const US = 'ingestor-us.xdr.trendmicro.com';
const MB = 1024 * 1024;

const agent = new Agent({ connections: 128, keepAliveTimeout: 1000, bodyTimeout: 60_000, headersTimeout: 60_000 });
async function post(url: string, path: string, body: Buffer | string, headers: Record<string, string> = {}) {
  const r = await request(`${url}${path}`, { method: 'POST', dispatcher: agent, body, headers: { host: US, authorization: `Splunk ${HEC_TOKEN}`, ...headers } });
  const text = await r.body.text();
  let json: any;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: r.statusCode, json, text };
}

const procs: ServeProcess[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop('SIGKILL')));
  for (const d of dirs) removeDir(d);
  await agent.close();
});

async function serve(limits: Record<string, number>, workers: number): Promise<ServeProcess> {
  const dir = tempDir('sim-limits-');
  dirs.push(dir);
  const p = await startServe(['--config', configFile(dir, limits), '--ingest-workers', String(workers), '--store', 'none'], dir);
  procs.push(p);
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each([2, 0])('global memory bound, ingest workers %i', (workers) => {
  it(`concurrent gzip bombs: 503 code 9 past the bound, peak bounded, memory back after`, async () => {
    const n = HEAVY ? 40 : 16;
    const size = HEAVY ? 1024 * MB : 200 * MB;
    const s = await serve({ maxDecompressedBytes: size, maxInflightDecodedBytes: 1024 * MB, maxInflightBytes: 256 * MB }, workers);
    // a normal request first: the baseline is a server that has done work
    expect((await post(s.url, '/services/collector/event', '{"event":{"action":"allowed"}}')).status).toBe(200);
    await sleep(300);
    const base = s.memory().rss;
    const bomb = gzipSync(Buffer.alloc(size), { level: 1 });
    const answers = await Promise.all(Array.from({ length: n }, () => post(s.url, '/services/collector/event', bomb, { 'content-encoding': 'gzip' })));
    const { peak } = s.memory();
    const byStatus: Record<string, number> = {};
    for (const a of answers) byStatus[`${a.status}/${a.json?.code}`] = (byStatus[`${a.status}/${a.json?.code}`] ?? 0) + 1;
    // every bomb is answered in HEC JSON: refused as busy (503 code 9) or decoded and found not JSON (400 code 6)
    for (const a of answers) expect([400, 503]).toContain(a.status);
    expect(byStatus['503/9']).toBeGreaterThan(0);
    // the service answers a normal client meanwhile and after
    expect((await post(s.url, '/services/collector/event', '{"event":{"action":"allowed"}}')).status).toBe(200);
    // memory back near the baseline after the load goes (V8 and malloc give it back over a few seconds)
    const loadGone = Date.now();
    let after = s.memory().rss;
    // up to 10 s (15 s heavy): with other test files loading both cores, an idle ingest thread's collector ran late
    // and one full run saw 813 MB still held at 4 s; alone the memory is back within 1.5 s
    for (let i = 0; i < (HEAVY ? 60 : 40) && after > base + 100 * MB; i++) {
      await sleep(250);
      after = s.memory().rss;
    }
    const fig = { workers, bombs: n, decompressedEach: size / MB, baseMB: Math.round(base / MB), peakMB: Math.round(peak / MB), afterMB: Math.round(after / MB), afterSeconds: (Date.now() - loadGone) / 1000, answers: byStatus };
    console.log(`[reliability] gzip bombs ${JSON.stringify(fig)}`);
    // without a global bound this was n × (decompressed + text): 16 × 400 MB = 6.4 GB
    expect(peak - base).toBeLessThan(2.5 * 1024 * MB);
    // the ingest threads' malloc arenas keep part of it (docs/reliability.md: MALLOC_ARENA_MAX=2 in the container)
    expect(after - base).toBeLessThan((HEAVY ? 1024 : 400) * MB);
  }, 120_000);
});

describe.each([2, 0])('events per request and /raw amplification, ingest workers %i', (workers) => {
  it('30 MB of "a\\n" (15.7 million lines) to /raw: 413 at once, the process lives, nothing stored', async () => {
    const s = await serve({ maxEventsPerRequest: 100_000 }, workers);
    const body = Buffer.from('a\n'.repeat(15 * MB));
    const r = await post(s.url, '/services/collector/raw', body);
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ text: 'Content too large', code: 413 });
    expect(r.json.detail).toMatch(/more than 100000 events/);
    const gz = await post(s.url, '/services/collector/raw', gzipSync(body), { 'content-encoding': 'gzip' });
    expect(gz.status).toBe(413);
    // /event: the same bound
    const ev = await post(s.url, '/services/collector/event', '{"event":1}\n'.repeat(100_001));
    expect(ev.status).toBe(413);
    expect((await post(s.url, '/services/collector/event', '{"event":1}\n'.repeat(100_000))).status).toBe(200);
    expect((await post(s.url, '/services/collector/raw', 'a line\nanother\n')).status).toBe(200);
    expect(s.child.exitCode).toBeNull();
    const stats = await request(`${s.url}/admin/v1/stats`, { dispatcher: agent, headers: { authorization: 'Bearer reliability-admin-token' } });
    // 'a line\nanother\n' is one event: lines without a timestamp merge under Splunk's defaults (docs/raw-events.md)
    expect(((await stats.body.json()) as { totals: { events: number } }).totals.events).toBe(100_000 + 1);
  }, 60_000);
});

describe('queue depth and bytes on the wire', () => {
  it('past maxQueuedRequests requests in ingest, 503 code 9 at once; every other request is stored', async () => {
    const s = await serve({ maxQueuedRequests: 2 }, 1);
    const batch = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ event: { user: `u${i}`, src_ip: '10.0.0.1', action: 'allowed' } })).join('\n');
    const answers = await Promise.all(Array.from({ length: 24 }, () => post(s.url, '/services/collector/event', batch)));
    const busy = answers.filter((a) => a.status === 503);
    const ok = answers.filter((a) => a.status === 200);
    expect(busy.length + ok.length).toBe(24);
    expect(busy.length).toBeGreaterThan(0);
    expect(ok.length).toBeGreaterThan(0);
    for (const b of busy) expect(b.json).toMatchObject({ text: 'Server is busy', code: 9 });
    const stats = await request(`${s.url}/admin/v1/stats`, { dispatcher: agent, headers: { authorization: 'Bearer reliability-admin-token' } });
    expect(((await stats.body.json()) as { totals: { events: number } }).totals.events).toBe(ok.length * 5000);
  }, 60_000);

  it('a body past the bytes in flight: 503 code 9 before it is read (Content-Length) or as it comes (chunked)', async () => {
    const s = await serve({ maxInflightBytes: 1 * MB, maxBodyBytes: 8 * MB }, 1);
    const big = Buffer.alloc(2 * MB, 0x20);
    const r = await post(s.url, '/services/collector/event', big);
    expect(r.status).toBe(503);
    expect(r.json).toMatchObject({ code: 9 });
    const chunks = () => Readable.from((function* () { for (let i = 0; i < 32; i++) yield Buffer.alloc(64 * 1024, 0x20); })());
    const c = await request(`${s.url}/services/collector/event`, { method: 'POST', dispatcher: agent, body: chunks(), headers: { host: US, authorization: `Splunk ${HEC_TOKEN}` } }).then(async (x) => ({ status: x.statusCode, json: await x.body.json() as any }), (err) => ({ status: 0, json: { err: String(err) } }));
    // the server answers 503 as soon as the budget is passed; a client still sending may see the connection close instead
    if (c.status !== 0) {
      expect(c.status).toBe(503);
      expect(c.json).toMatchObject({ code: 9 });
    }
    // a body past maxBodyBytes is 413 (it can never fit), not 503
    // (headers only: the server answers without reading the body, a client still sending would see EPIPE)
    const u = new URL(s.url);
    const head = await new Promise<string>((resolve) => {
      const c = connect({ host: u.hostname, port: Number(u.port) }, () => c.write(`POST /services/collector/event HTTP/1.1\r\nHost: ${US}\r\nAuthorization: Splunk ${HEC_TOKEN}\r\nContent-Length: ${9 * MB}\r\n\r\n`));
      let got = '';
      c.on('data', (d) => { got += d; if (got.includes('}')) { c.destroy(); resolve(got); } });
      c.on('error', () => resolve(got));
      c.on('close', () => resolve(got));
    });
    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    // the budget was given back: a normal request passes
    expect((await post(s.url, '/services/collector/event', '{"event":"after"}')).status).toBe(200);
    // and /metrics says so (nothing held, nothing admitted once answered)
    const m = await (await request(`${s.url}/metrics`, { dispatcher: agent })).body.text();
    expect(m).toMatch(/^ingestor_sim_inflight_bytes\{kind="wire"\} 0$/m);
    expect(m).toMatch(/^ingestor_sim_inflight_bytes\{kind="decoded"\} 0$/m);
    expect(m).toMatch(/^ingestor_sim_admitted_requests 0$/m);
  }, 60_000);
});
