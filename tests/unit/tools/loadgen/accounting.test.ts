import { describe, expect, it } from 'vitest';
import { Accounting } from '../../../../src/tools/loadgen/accounting.ts';
import { decodeHistogram } from '../../../../src/tools/loadgen/histogram.ts';

describe('Accounting', () => {
  it('late starts: only beyond the tolerance; the largest delay is kept', () => {
    const acc = new Accounting(0, 5);
    expect(acc.started(100, 104)).toBe(false);
    expect(acc.started(100, 105)).toBe(false);
    expect(acc.started(100, 106)).toBe(true);
    expect(acc.started(200, 450)).toBe(true);
    expect(acc.lateStarts).toBe(2);
    expect(acc.maxStartDelayMs).toBe(250);
  });

  it('latency counts from the intended start, service time from the actual start', () => {
    const acc = new Accounting(0, 5);
    acc.response(0, 300, 320, 200, 0, 10, 100);
    expect(acc.latency.maxValue).toBeGreaterThanOrEqual(319_000);
    expect(acc.service.maxValue).toBeLessThan(21_000);
    expect(acc.latencySummary().max).toBeCloseTo(320, 0);
  });

  it('2xx with a non-zero HEC code is not a failure; non-2xx is, by status and code', () => {
    const acc = new Accounting(0, 5);
    acc.response(0, 0, 1, 200, 24, 10, 100); // "approaching capacity" is still a success
    acc.response(0, 0, 1, 429, 26, 10, 100);
    acc.response(0, 0, 1, 502, null, 10, 100);
    expect(acc.requestsOk).toBe(1);
    expect(acc.events).toBe(10);
    expect(acc.eventsSent).toBe(30);
    expect(acc.errors).toBe(2);
    expect({ ...acc.errorsByStatus }).toEqual({ 429: 1, 502: 1 });
    expect({ ...acc.errorsByHecCode }).toEqual({ 24: 1, 26: 1 });
    expect({ ...acc.hecCodes }).toEqual({ 24: 1, 26: 1 });
  });

  it('the timeline: one point per tick; a short final stub folds into the last point', () => {
    const acc = new Accounting(0, 5);
    acc.response(0, 0, 500, 200, 0, 10, 100);
    acc.tick(1000);
    acc.response(900, 900, 1100, 200, 0, 10, 100);
    acc.finish(1100);
    expect(acc.timeline).toHaveLength(1);
    expect(acc.timeline[0]).toMatchObject({ t: 1.1, requests: 2, events: 20 });
    expect(decodeHistogram(acc.timeline[0].histogram).totalCount).toBe(2);
    acc.response(1100, 1100, 1200, 200, 0, 10, 100);
    acc.finish(1400);
    expect(acc.timeline).toHaveLength(2);
    expect(acc.timeline[1]).toMatchObject({ t: 1.4, requests: 1 });
  });
});
