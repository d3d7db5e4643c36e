import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseIntIn, parseRate, parseStartTime, resolveTarget } from '../../../../src/tools/loadgen/parse.ts';
import { buildPayloads, payloadFor } from '../../../../src/tools/loadgen/payloads.ts';

describe('option parsers', () => {
  it('durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5m')).toBe(90_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('7')).toBe(7_000);
    expect(() => parseDuration('soon', '--duration')).toThrow(/--duration 'soon' is not a duration/);
    expect(() => parseDuration('0s')).toThrow(/greater than zero/);
    expect(() => parseDuration('-1s')).toThrow(/not a duration/);
  });

  it('rates', () => {
    expect(parseRate('200/s')).toBe(200);
    expect(parseRate('200')).toBe(200);
    expect(parseRate('600/m')).toBe(10);
    expect(parseRate('3600/h')).toBe(1);
    expect(() => parseRate('fast')).toThrow(/rate 'fast' is not a rate/);
    expect(() => parseRate('0/s')).toThrow(/greater than zero/);
  });

  it('whole numbers in a range', () => {
    expect(parseIntIn('10', '--connections', 1, 100)).toBe(10);
    expect(() => parseIntIn('0', '--connections', 1, 100)).toThrow(/--connections must be from 1 to 100, got 0/);
    expect(() => parseIntIn('2.5', '--batch', 1, 100)).toThrow(/--batch '2.5' is not a whole number/);
  });

  it('start times', () => {
    expect(parseStartTime('now', 1234)).toBe(1234);
    expect(parseStartTime('1767225600')).toBe(1_767_225_600_000);
    expect(parseStartTime('1767225600000')).toBe(1_767_225_600_000);
    expect(parseStartTime('2026-01-01T00:00:00Z')).toBe(1_767_225_600_000);
    expect(() => parseStartTime('yesterday')).toThrow(/not 'now', an epoch time or an ISO 8601 date/);
  });

  it('targets: the HEC event path is appended only when the URL has none', () => {
    expect(resolveTarget('http://127.0.0.1:8088').href).toBe('http://127.0.0.1:8088/services/collector/event');
    expect(resolveTarget('https://ingestor-us.localhost:8443/').href).toBe('https://ingestor-us.localhost:8443/services/collector/event');
    expect(resolveTarget('http://[::1]:9000/services/collector/event/1.0?index=main').href).toBe('http://[::1]:9000/services/collector/event/1.0?index=main');
    expect(() => resolveTarget('127.0.0.1:8088')).toThrow(/must be http:\/\/ or https:\/\/|is not a URL/);
    expect(() => resolveTarget('ftp://127.0.0.1/')).toThrow(/must be http:\/\/ or https:\/\//);
    expect(() => resolveTarget('http://u:p@127.0.0.1/')).toThrow(/must not carry credentials/);
  });
});

describe('buildPayloads', () => {
  it('--events with a remainder: full batches cycled from the pool, then one short batch', () => {
    const set = buildPayloads({ profile: 'firewall', seed: 1, batch: 100, gzip: false, pool: 4, maxEvents: 1_050 });
    expect(set.requestLimit).toBe(11);
    expect(set.full).toHaveLength(4);
    const sizes = Array.from({ length: 11 }, (_, i) => payloadFor(set, i)!.events);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1_050);
    expect(sizes.at(-1)).toBe(50);
    expect(payloadFor(set, 11)).toBeNull();
    expect(payloadFor(set, 4)).toBe(payloadFor(set, 0));
    expect(payloadFor(set, 10)!.body.toString().split('\n')).toHaveLength(50);
  });

  it('fewer events than a batch: one short batch', () => {
    const set = buildPayloads({ profile: 'mixed', seed: 1, batch: 100, gzip: false, maxEvents: 30 });
    expect(set.requestLimit).toBe(1);
    expect(set.full).toHaveLength(0);
    expect(payloadFor(set, 0)!.events).toBe(30);
  });

  it('without --events the pool cycles forever', () => {
    const set = buildPayloads({ profile: 'mixed', seed: 1, batch: 10, gzip: false, pool: 3 });
    expect(set.requestLimit).toBe(Infinity);
    expect(payloadFor(set, 1_000_000)).toBe(set.full[1_000_000 % 3]);
  });

  it('gzip bodies are compressed once, up front, and inflate to the plain batch', () => {
    const plain = buildPayloads({ profile: 'web-gateway', seed: 8, batch: 100, gzip: false, pool: 2 });
    const gz = buildPayloads({ profile: 'web-gateway', seed: 8, batch: 100, gzip: true, pool: 2 });
    expect(gunzipSync(gz.full[1].body).equals(plain.full[1].body)).toBe(true);
    expect(gz.full[1].rawBytes).toBe(plain.full[1].body.length);
    expect(gz.full[1].body.length).toBeLessThan(plain.full[1].body.length / 3);
  });
});
