/**
 * The npm HEC clients, configured as their READMEs (and Splunk's docs) show — `https://localhost:<port>`, no
 * host tricks — against the emulator over HTTPS: splunk-logging 0.11.1 and winston-splunk-httplogger 3.1.8
 * (with winston 3.19.0). Any host on the shared port is routed by the token's region. What was stored is read
 * from the admin API: count, time, host, source, sourcetype, index. Both clients skip certificate checks by
 * default (needle with strictSSL false), as they do against Splunk's own self-signed certificate.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultClassifier } from '../../src/pipeline/ingest/classifier.ts';
import { startTls, type TlsStarted } from '../helpers/service.ts';

const require = createRequire(import.meta.url);
type Cb = (err: Error | null, resp: { statusCode: number; headers: Record<string, string> }, body: any) => void;
interface SplunkLoggerLike {
  requestOptions: { headers?: Record<string, string> };
  error: (err: Error & { code?: number }, ctx: unknown) => void;
  send(payload: unknown, cb?: Cb): void;
}
const SplunkLogger = require('splunk-logging').Logger as new (cfg: Record<string, unknown>) => SplunkLoggerLike;
const winston = require('winston') as typeof import('winston');
const SplunkStreamEvent = require('winston-splunk-httplogger') as new (cfg: Record<string, unknown>) => import('winston').transport & { server: SplunkLoggerLike };

const ADMIN = 'npm-clients-admin';
const T_JP = '0a0a0a0a-0000-4000-8000-0000000000a1';
const T_ACK = '0a0a0a0a-0000-4000-8000-0000000000a2';
const T_WINSTON = '0a0a0a0a-0000-4000-8000-0000000000a3';
const CHANNEL = 'cafecafe-0000-4000-8000-000000000001';
const ACK_DELAY_MS = 600;

let s: TlsStarted;
let port: string;
const newest = async (region: string, n: number) => (await s.call('GET', `/admin/v1/events?region=${region}&limit=${n}`, { headers: { authorization: `Bearer ${ADMIN}` } })).events as any[];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  s = await startTls('npm-clients', {
    adminToken: ADMIN,
    tenants: [{ id: 'acme' }],
    tokens: [
      { token: T_JP, name: 'node-app', tenant: 'acme', region: 'jp' },
      { token: T_ACK, name: 'node-ack', tenant: 'acme', region: 'sg', useAck: true },
      { token: T_WINSTON, name: 'winston', tenant: 'acme', region: 'us' },
    ],
    indexes: ['main', 'app_logs'],
    faults: { sg: { ack: { delay: { kind: 'fixed', ms: ACK_DELAY_MS } } } },
  }, { ingestWorkers: 0 }, defaultClassifier());
  port = s.port;
}, 60_000);
afterAll(async () => { await s?.close(); });

function send(logger: SplunkLoggerLike, payload: unknown): Promise<{ status: number; headers: Record<string, string>; body: any; error: (Error & { code?: number }) | null }> {
  return new Promise((resolve, reject) => {
    let error: (Error & { code?: number }) | null = null;
    logger.error = (e) => { error = e; };
    logger.send(payload, (err, resp, body) => (err ? reject(err) : resolve({ status: resp.statusCode, headers: resp.headers, body, error })));
  });
}

describe('splunk-logging 0.11.1 at https://localhost:<port>', () => {
  it('batches of 3 to /event/1.0, routed by the token (jp): count, time, host, source, sourcetype, index as sent', async () => {
    const logger = new SplunkLogger({ token: T_JP, url: `https://localhost:${port}`, maxBatchCount: 3 });
    const t0 = Date.now() / 1000;
    const q = logger as unknown as { send(p: unknown): void };
    q.send({ message: { action: 'allowed', src_ip: '10.1.2.3' }, severity: 'info', metadata: { host: 'web-01', source: 'app.js', sourcetype: 'node:app', index: 'app_logs' } });
    q.send({ message: 'second', severity: 'warn', metadata: { host: 'web-01', source: 'app.js', sourcetype: 'node:app', index: 'app_logs', time: 1767323045.25 } });
    const r = await send(logger, { message: 'third', severity: 'error', metadata: { host: 'web-02', source: 'app.js', sourcetype: 'node:app' } });
    expect([r.status, r.body, r.headers['x-ingestor-region'], r.error]).toEqual([200, { text: 'Success', code: 0 }, 'jp', null]);
    const got = (await newest('jp', 3)).reverse();
    expect(got).toHaveLength(3);
    expect(got.map((e) => [e.host, e.source, e.sourcetype, e.index, e.endpoint])).toEqual([
      ['web-01', 'app.js', 'node:app', 'app_logs', 'event'], ['web-01', 'app.js', 'node:app', 'app_logs', 'event'], ['web-02', 'app.js', 'node:app', 'main', 'event'],
    ]);
    expect(got.map((e) => e.event.severity)).toEqual(['info', 'warn', 'error']);
    expect(got[0].time).toBeGreaterThanOrEqual(Math.floor(t0));
    expect(got[0].time).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    expect(got[1].time).toBe(1767323045.25);
    expect(new Set(got.map((e) => e.receivedAt)).size).toBe(1); // one request
  });

  it('with an ack channel: the ackId reads false until the region\'s indexing delay has passed, then true once', async () => {
    const logger = new SplunkLogger({ token: T_ACK, url: `https://localhost:${port}` });
    logger.requestOptions.headers = { 'X-Splunk-Request-Channel': CHANNEL };
    const r = await send(logger, { message: 'acked', severity: 'info' });
    const sentAt = Date.now();
    expect([r.status, r.body.code, r.headers['x-ingestor-region']]).toEqual([200, 0, 'sg']);
    const ackId = r.body.ackId as number;
    const poll = async () => {
      const p = await s.call('POST', `/services/collector/ack?channel=${CHANNEL}`, {
        headers: { authorization: `Splunk ${T_ACK}` }, body: JSON.stringify({ acks: [ackId] }),
      });
      return (p as { acks: Record<string, boolean> }).acks[String(ackId)];
    };
    expect(await poll()).toBe(false);
    let trueAt = 0;
    for (let i = 0; i < 100 && !trueAt; i++) {
      if (await poll()) trueAt = Date.now();
      else await sleep(20);
    }
    expect(trueAt).toBeGreaterThan(0);
    expect(trueAt - sentAt).toBeGreaterThanOrEqual(ACK_DELAY_MS - 100); // the delay counts from the commit, before the answer
    expect(await poll()).toBe(false);
    expect((await newest('sg', 1))[0]).toMatchObject({ event: { message: 'acked', severity: 'info' }, source: 'http:node-ack', sourcetype: 'httpevent', index: 'main', host: '127.0.0.1' });
  });
});

describe('winston-splunk-httplogger 3.1.8 (winston 3.19.0), host localhost as its defaults', () => {
  const transport = (splunk: Record<string, unknown>) => new SplunkStreamEvent({ splunk: { token: T_WINSTON, host: 'localhost', port: Number(port), ...splunk } });
  const logWith = (t: InstanceType<typeof SplunkStreamEvent>, level: string, msg: string, meta: Record<string, unknown>) =>
    new Promise<(Error & { code?: number }) | null>((resolve) => {
      let error: (Error & { code?: number }) | null = null;
      t.server.error = (e) => { error = e; };
      t.once('logged', () => resolve(error));
      const logger = winston.createLogger({ transports: [t] });
      logger.log(level, msg, meta);
    });

  it("its default index 'winston-index' does not exist here: 400 code 7 'Incorrect index', as Splunk answers, and nothing is stored", async () => {
    const before = (await newest('us', 1)).length;
    const err = await logWith(transport({}), 'info', 'to a missing index', { user: 'alice' });
    expect(err).toMatchObject({ message: 'Incorrect index', code: 7 });
    expect((await newest('us', 5)).length).toBe(before);
  });

  it('with an index that exists: stored with its defaults (source winston, sourcetype winston-splunk-logger) and {message:{msg,meta},severity}', async () => {
    const t0 = Date.now() / 1000;
    const err = await logWith(transport({ index: 'app_logs' }), 'warn', 'disk almost full', { user: 'alice', src_ip: '192.0.2.9' });
    expect(err).toBeNull();
    const [e] = await newest('us', 1);
    expect(e).toMatchObject({
      event: { message: { msg: 'disk almost full', meta: { user: 'alice', src_ip: '192.0.2.9' } }, severity: 'warn' },
      source: 'winston', sourcetype: 'winston-splunk-logger', index: 'app_logs', host: '127.0.0.1', region: 'us', endpoint: 'event',
    });
    expect(e.time).toBeGreaterThanOrEqual(Math.floor(t0));
    expect(e.time).toBeLessThanOrEqual(Date.now() / 1000 + 1);
  });
});
