import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildPayloads } from '../../../../src/tools/loadgen/payloads.ts';
import { hecCodeOf, runLoad, type RunOptions } from '../../../../src/tools/loadgen/runner.ts';
import { resolveTarget } from '../../../../src/tools/loadgen/parse.ts';
import { buildReport } from '../../../../src/tools/report/build.ts';
import { decodeHistogram } from '../../../../src/tools/loadgen/histogram.ts';
import { startHecServer, type HecServer } from '../../../helpers/hec-server.ts';

let server: HecServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function options(url: string, over: Partial<RunOptions> & { maxEvents?: number; batch?: number; gzip?: boolean } = {}): RunOptions {
  const { maxEvents, batch = 100, gzip = false, ...rest } = over;
  return {
    target: resolveTarget(url),
    token: 'test-token',
    payloads: buildPayloads({ profile: 'mixed', seed: 7, batch, gzip, pool: 8, maxEvents }),
    gzip,
    connections: 4,
    pipelining: 1,
    timeoutMs: 10_000,
    lateToleranceMs: 5,
    drainTimeoutMs: 5_000,
    ...rest,
  };
}

const meta = { target: 'x', hostHeader: null, region: null, profile: 'mixed', seed: 7, batch: 100, gzip: false, rate: null, connections: 4, pipelining: 1 };

describe('runLoad against a real HEC-ish server on loopback', () => {
  it('closed model with --events: the report counts exactly what the server received', async () => {
    server = await startHecServer({ token: 'test-token' });
    const out = await runLoad(options(server.url, { maxEvents: 1_234 }));
    const r = buildReport(out, meta);
    expect(out.stopReason).toBe('events');
    expect(server.counts.requests).toBe(13); // 12 full batches of 100 and one of 34
    expect(server.counts.events).toBe(1_234);
    expect(r.requests).toBe(server.counts.requests);
    expect(r.requestsOk).toBe(13);
    expect(r.events).toBe(server.counts.events);
    expect(r.eventsSent).toBe(1_234);
    expect(r.bytesSent).toBe(server.counts.bodyBytes);
    expect(r.errors).toBe(0);
    expect(r.statusCodes).toEqual({ 200: 13 });
    expect(r.hecCodes).toEqual({ 0: 13 });
    expect(decodeHistogram(r.histogram).totalCount).toBe(13);
    expect(r.latencyMs.max).toBeGreaterThanOrEqual(r.latencyMs.p50);
    expect(server.counts.paths).toEqual({ '/services/collector/event': 13 });
    expect(server.counts.authorizations).toEqual({ 'Splunk test-token': 13 });
    expect(server.counts.maxConcurrent).toBeLessThanOrEqual(4);
  });

  it('sends gzip bodies built before the run, and the Host header it is given', async () => {
    server = await startHecServer();
    const out = await runLoad(options(server.url, { maxEvents: 500, gzip: true, hostHeader: 'ingestor-jp.xdr.trendmicro.com' }));
    expect(server.counts.gzipRequests).toBe(5);
    expect(server.counts.events).toBe(500);
    expect(server.counts.hosts).toEqual({ 'ingestor-jp.xdr.trendmicro.com': 5 });
    expect(out.acc.bytesSent).toBe(server.counts.bodyBytes);
  });

  it('counts errors by HTTP status and by HEC code, apart from successes', async () => {
    server = await startHecServer({
      failWhen: (i) => (i % 4 === 1 ? { status: 503, code: 9, text: 'Server is busy' } : i % 4 === 2 ? { status: 400, code: 6, text: 'Invalid data format' } : null),
    });
    const r = buildReport(await runLoad(options(server.url, { maxEvents: 2_000, connections: 1 })), meta);
    expect(r.requests).toBe(20);
    expect(r.errors).toBe(10);
    expect(r.errorsByStatus).toEqual({ 400: 5, 503: 5 });
    expect(r.errorsByHecCode).toEqual({ 6: 5, 9: 5 });
    expect(r.hecCodes).toEqual({ 0: 10, 6: 5, 9: 5 });
    expect(r.events).toBe(server.counts.events);
    expect(r.events).toBe(1_000);
    expect(r.eventsSent).toBe(2_000);
  });

  it('a wrong token shows up as 403 / HEC code 4', async () => {
    server = await startHecServer({ token: 'right' });
    const r = buildReport(await runLoad(options(server.url, { maxEvents: 300, token: 'wrong' })), meta);
    expect(r.errorsByStatus).toEqual({ 403: 3 });
    expect(r.errorsByHecCode).toEqual({ 4: 3 });
    expect(r.requestsOk).toBe(0);
    expect(r.events).toBe(0);
  });

  it('counts transport errors by code when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = buildReport(await runLoad(options(`http://127.0.0.1:${port}`, { maxEvents: 300, connections: 1 })), meta);
    expect(r.requests).toBe(3);
    expect(r.errors).toBe(3);
    expect(r.errorsByTransport).toEqual({ ECONNREFUSED: 3 });
    expect(decodeHistogram(r.histogram).totalCount).toBe(0);
  });

  it('closed model with a duration keeps every connection busy and stops on time', async () => {
    server = await startHecServer({ delayMs: 20 });
    const out = await runLoad(options(server.url, { durationMs: 600, connections: 3 }));
    expect(out.stopReason).toBe('duration');
    expect(server.counts.maxConcurrent).toBe(3);
    expect(out.acc.requests).toBe(server.counts.requests);
    expect(out.durationSec).toBeGreaterThanOrEqual(0.6);
    expect(out.durationSec).toBeLessThan(5);
    expect(out.acc.timeline.length).toBeGreaterThanOrEqual(1);
    expect(out.acc.timeline.reduce((a, p) => a + p.requests, 0)).toBe(out.acc.requests);
  });

  it('pipelining sends several requests per connection', async () => {
    server = await startHecServer();
    const out = await runLoad(options(server.url, { maxEvents: 4_000, connections: 2, pipelining: 4 }));
    expect(out.acc.requestsOk).toBe(40);
    expect(server.counts.events).toBe(4_000);
  });

  it('an abort stops the run early and keeps what it has', async () => {
    server = await startHecServer({ delayMs: 10 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const out = await runLoad(options(server.url, { durationMs: 20_000, connections: 2, signal: controller.signal }));
    expect(out.stopReason).toBe('interrupted');
    expect(out.durationSec).toBeLessThan(5);
    expect(out.acc.requests).toBeGreaterThan(0);
    expect(out.acc.requests).toBe(server.counts.requests);
  });

  it('requests still in flight when the drain period ends are cut off and counted as aborted', async () => {
    server = await startHecServer({ delayMs: 3_000 });
    const out = await runLoad(options(server.url, { durationMs: 200, connections: 2, drainTimeoutMs: 300 }));
    expect(out.acc.aborted).toBe(2);
    expect(out.acc.requests).toBe(0);
    expect(out.acc.errors).toBe(0);
    expect(out.durationSec).toBeLessThan(2);
  });

  it('refuses an unbounded run', async () => {
    await expect(runLoad(options('http://127.0.0.1:9'))).rejects.toThrow(/always bounded/);
  });
});

describe('open model: coordinated omission', () => {
  it('a server that stalls 200 ms per request at 1 connection and 20 arrivals/s: latency counts from arrival, late starts counted', async () => {
    server = await startHecServer({ delayMs: 200 });
    // 10 arrivals, 50 ms apart; each takes ~200 ms on the single connection, so request k starts ~150·k ms late
    const out = await runLoad(options(server.url, { rate: 20, maxEvents: 1_000, connections: 1 }));
    const r = buildReport(out, { ...meta, rate: 20, connections: 1 });
    expect(r.requests).toBe(10);
    expect(r.requestsOk).toBe(10);
    expect(server.counts.maxConcurrent).toBe(1);
    expect(r.lateStarts).toBeGreaterThanOrEqual(9);
    // service time stays near the stall; corrected latency grows with the queue: the last arrival
    // (at 450 ms) finishes after ~10 × 200 ms, so it waited ~1.55 s
    expect(r.serviceTimeMs.p50).toBeGreaterThanOrEqual(195);
    expect(r.serviceTimeMs.max).toBeLessThan(1_000);
    expect(r.latencyMs.max).toBeGreaterThan(1_400);
    expect(r.latencyMs.max).toBeGreaterThan(r.serviceTimeMs.max * 4);
    expect(r.latencyMs.p50).toBeGreaterThan(r.serviceTimeMs.p50 * 2);
    expect(r.maxStartDelayMs).toBeGreaterThan(1_200);
  });

  it('arrivals still waiting at the end of the duration are dropped, not sent late', async () => {
    server = await startHecServer({ delayMs: 200 });
    const out = await runLoad(options(server.url, { rate: 20, durationMs: 500, connections: 1 }));
    // 10 arrivals in 500 ms, ~3 can start before the end; the rest are dropped
    expect(out.stopReason).toBe('duration');
    expect(out.acc.dropped).toBeGreaterThan(4);
    expect(out.acc.requests + out.acc.dropped).toBe(10);
    expect(server.counts.requests).toBe(out.acc.requests);
  });

  it('with spare connections nothing is late and requests follow the arrival rate', async () => {
    server = await startHecServer();
    const out = await runLoad(options(server.url, { rate: 50, durationMs: 1_000, connections: 4, lateToleranceMs: 50 }));
    expect(out.acc.requests).toBeGreaterThanOrEqual(48);
    expect(out.acc.requests).toBeLessThanOrEqual(50);
    expect(out.acc.lateStarts).toBe(0);
    expect(out.acc.dropped).toBe(0);
  });
});

describe('hecCodeOf', () => {
  it('reads the code of a HEC reply and nothing else', () => {
    expect(hecCodeOf('{"text":"Success","code":0}')).toBe(0);
    expect(hecCodeOf('{"text":"Invalid token","code":4}')).toBe(4);
    expect(hecCodeOf('<html>bad gateway</html>')).toBeNull();
    expect(hecCodeOf('{"code":"x"}')).toBeNull();
    expect(hecCodeOf('{not json')).toBeNull();
    expect(hecCodeOf('')).toBeNull();
  });
});
