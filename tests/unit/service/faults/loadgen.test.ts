/**
 * The load generator (src/tools/loadgen runLoad, as `ingestor-sim load` uses it) sees the injected faults: the share of
 * 503 code 9 answers within tolerance of the configured rate, and latency at least the injected latency.
 * Bounded: 600 requests, 8 connections, one minute at most. Lower bounds only (no timing upper bounds on 2 noisy cores).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPayloads } from '../../../../src/tools/loadgen/payloads.ts';
import { runLoad } from '../../../../src/tools/loadgen/runner.ts';
import { start, T, US, type Started } from '../../../helpers/service.ts';

let s: Started;
beforeAll(async () => {
  s = await start(undefined, { store: 'none' });
});
afterAll(async () => {
  await s?.close();
});

const N = 600;

describe('faults seen by the load generator', () => {
  it('error rate 0.2 (busy) and uniform latency 10-30 ms', async () => {
    s.app.faults.set('us', { error: { rate: 0.2, answer: 'busy' }, latency: { kind: 'uniform', minMs: 10, maxMs: 30 }, seed: 2026 });
    const out = await runLoad({
      target: new URL(`${s.url}/services/collector/event`),
      token: T.us,
      hostHeader: US,
      payloads: buildPayloads({ profile: 'firewall', seed: 1, batch: 1, gzip: false, maxEvents: N }),
      gzip: false,
      connections: 8,
      pipelining: 1,
      durationMs: 60_000,
      timeoutMs: 10_000,
      lateToleranceMs: 1000,
      drainTimeoutMs: 5000,
    });
    const acc = out.acc;
    expect(out.stopReason).toBe('events');
    expect(acc.requests).toBe(N);
    const busy = acc.statusCodes['503'] ?? 0;
    const ok = acc.statusCodes['200'] ?? 0;
    expect(busy + ok).toBe(N);
    expect(acc.hecCodes['9']).toBe(busy);
    // binomial sd at n=600, p=0.2 is 0.016: ±0.06 is ~3.7 sd
    expect(Math.abs(busy / N - 0.2)).toBeLessThan(0.06);
    // every request waited at least the injected minimum; the median at least the injected median (20 ms) less
    // sampling error (sd of the median of 600 uniform draws is ~0.4 ms)
    expect(acc.service.minNonZeroValue).toBeGreaterThanOrEqual(10_000);
    expect(acc.service.getValueAtPercentile(50)).toBeGreaterThanOrEqual(18_000);
    const view = s.app.faults.view('us');
    expect(view.decisions).toBe(N);
    s.app.faults.clear('us');
  });
});
