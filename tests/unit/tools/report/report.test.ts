import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Accounting } from '../../../../src/tools/loadgen/accounting.ts';
import { decodeHistogram, latencySummary } from '../../../../src/tools/loadgen/histogram.ts';
import { buildReport, type RunMeta } from '../../../../src/tools/report/build.ts';
import { mergeReports, readReport } from '../../../../src/tools/report/merge.ts';
import { percentileCurve, renderHtml } from '../../../../src/tools/report/html.ts';
import { formatSummary } from '../../../../src/tools/report/summary.ts';
import { escapeXml, lineChart, niceStep } from '../../../../src/tools/report/svg.ts';
import type { LoadReport } from '../../../../src/tools/report/types.ts';

const meta: RunMeta = { target: 'http://127.0.0.1:8088/services/collector/event', hostHeader: null, region: null, profile: 'firewall', seed: 1, batch: 100, gzip: false, rate: null, connections: 2, pipelining: 1 };

/** A report whose requests took exactly the given latencies (ms), all answered 200, spread over `seconds`. */
function reportOf(latenciesMs: number[], startedAtMs: number, seconds: number, over: Partial<RunMeta> = {}): LoadReport {
  const acc = new Accounting(0, 5);
  let nextTick = 1000;
  latenciesMs.forEach((l, i) => {
    const end = ((i + 1) / latenciesMs.length) * seconds * 1000;
    for (; end > nextTick; nextTick += 1000) acc.tick(nextTick);
    acc.response(end - l, end - l, end, 200, 0, 100, 1_000);
  });
  for (; nextTick <= seconds * 1000; nextTick += 1000) acc.tick(nextTick);
  return buildReport({ acc, startedAtMs, durationSec: seconds, stopReason: 'duration' }, { ...meta, ...over });
}

describe('mergeReports', () => {
  it('merging two reports equals one histogram holding both sets of values', () => {
    const a = Array.from({ length: 400 }, (_, i) => 1 + (i % 50) * 0.37);
    const b = Array.from({ length: 250 }, (_, i) => 20 + (i % 40) * 3.1);
    const ra = reportOf(a, 1_000_000, 4);
    const rb = reportOf(b, 1_000_000, 4);
    const both = reportOf([...a, ...b], 1_000_000, 4);
    const m = mergeReports([ra, rb], ['a.json', 'b.json']);
    const hm = decodeHistogram(m.histogram);
    const hb = decodeHistogram(both.histogram);
    expect(hm.totalCount).toBe(650);
    for (const p of [0, 10, 50, 90, 99, 99.9, 100]) expect(hm.getValueAtPercentile(p)).toBe(hb.getValueAtPercentile(p));
    // the same figures as the single histogram read back from its report (encoding keeps 3 significant
    // digits, so a report's own exact max may differ from the decoded one in the 4th digit)
    expect(m.latencyMs).toEqual(latencySummary(hb));
    expect(m.latencyMs.max).toBeCloseTo(both.latencyMs.max, 0);
    expect(m.requests).toBe(650);
    expect(m.events).toBe(65_000);
    expect(m.bytesSent).toBe(650_000);
    expect(m.statusCodes).toEqual({ 200: 650 });
    expect(m.connections).toBe(4);
    expect(m.stopReason).toBe('merged');
    expect(m.sources?.map((s) => s.file)).toEqual(['a.json', 'b.json']);
    // concurrent runs over the same 4 s: the rates add up
    expect(m.durationSec).toBe(4);
    expect(m.eventsPerSec).toBeCloseTo(ra.eventsPerSec + rb.eventsPerSec, 1);
    // timelines align second by second, and each merged second holds both runs' values
    expect(m.timeline.map((p) => p.t)).toEqual([1, 2, 3, 4]);
    expect(m.timeline.reduce((s, p) => s + p.requests, 0)).toBe(650);
    expect(decodeHistogram(m.timeline[0].histogram).totalCount).toBe(ra.timeline[0].requests + rb.timeline[0].requests);
  });

  it('runs one after another cover the wall-clock window from the first start to the last end', () => {
    const ra = reportOf([5, 6, 7], 1_000_000, 2);
    const rb = reportOf([8, 9], 1_003_000, 2);
    const m = mergeReports([ra, rb]);
    expect(m.durationSec).toBe(5);
    expect(m.requestsPerSec).toBe(1);
    expect(m.timeline.map((p) => p.t)).toEqual([1, 2, 4, 5]);
  });

  it('adds error maps key by key, and marks mixed settings', () => {
    const acc1 = new Accounting(0, 5);
    acc1.response(0, 0, 10, 503, 9, 100, 10);
    acc1.transportError('ECONNRESET', 100, 10);
    const acc2 = new Accounting(0, 5);
    acc2.response(0, 0, 10, 503, 9, 100, 10);
    acc2.response(0, 0, 10, 400, 6, 100, 10);
    const r1 = buildReport({ acc: acc1, startedAtMs: 0, durationSec: 1, stopReason: 'duration' }, meta);
    const r2 = buildReport({ acc: acc2, startedAtMs: 0, durationSec: 1, stopReason: 'duration' }, { ...meta, profile: 'mixed', rate: 10 });
    const m = mergeReports([r1, r2]);
    expect(m.errors).toBe(4);
    expect(m.errorsByStatus).toEqual({ 400: 1, 503: 2 });
    expect(m.errorsByHecCode).toEqual({ 6: 1, 9: 2 });
    expect(m.errorsByTransport).toEqual({ ECONNRESET: 1 });
    expect(m.profile).toBe('firewall+mixed');
    expect(m.model).toBe('closed');
  });
});

describe('readReport', () => {
  const dir = mkdtempSync(join(tmpdir(), 'report-'));
  const write = (name: string, data: unknown) => {
    const f = join(dir, name);
    writeFileSync(f, typeof data === 'string' ? data : JSON.stringify(data));
    return f;
  };

  it('reads back what a run wrote', () => {
    const r = reportOf([1, 2, 3], 5_000, 1);
    expect(readReport(write('ok.json', r))).toEqual(r);
  });

  it('names the file and each bad path', () => {
    const r = reportOf([1, 2, 3], 5_000, 1);
    expect(() => readReport(write('text.json', 'not json'))).toThrow(/text\.json is invalid:\s+- is not JSON/);
    expect(() => readReport(join(dir, 'missing.json'))).toThrow(/missing\.json is invalid:\s+- cannot be read/);
    expect(() => readReport(write('kind.json', { ...r, kind: 'autocannon' }))).toThrow(/kind\.json is invalid[\s\S]*\/kind/);
    expect(() => readReport(write('neg.json', { ...r, requests: -1, histogram: 42 }))).toThrow(/\/requests[\s\S]*\/histogram/);
    expect(() => readReport(write('hist.json', { ...r, histogram: 'AAAA' }))).toThrow(/hist\.json is invalid[\s\S]*\/histogram/);
    const badPoint = { ...r, timeline: r.timeline.map((p, i) => (i === 0 ? { ...p, histogram: 'QUJD' } : p)) };
    expect(() => readReport(write('tl.json', badPoint))).toThrow(/\/timeline\/0\/histogram/);
    expect(() => readReport(write('count.json', { ...r, requests: 7 }))).toThrow(/\/histogram: holds 3 values but the report counts 7 responses/);
  });
});

describe('summary and HTML', () => {
  it('the summary names every figure', () => {
    const text = formatSummary(reportOf([10, 20, 30, 40], 0, 2));
    expect(text).toContain('requests      4 (4 ok, 0 failed)   2.0 req/s');
    expect(text).toContain('events        400 accepted of 400 sent   200.0 events/s');
    expect(text).toMatch(/latency\s+p50 20\.0 ms {2}p90 40\.0 ms {2}p99 40\.0 ms {2}p99\.9 40\.0 ms {2}max 40\.0 ms/);
    expect(text).toContain('status codes  200×4');
    expect(text).not.toContain('late starts');
    const open = formatSummary(reportOf([10], 0, 1, { rate: 5 }));
    expect(open).toContain('open model, 5 req/s arrival rate');
    expect(open).toMatch(/late starts\s+0/);
  });

  it('the HTML page is self-contained, with a latency-over-time chart and a percentile plot', () => {
    const r = reportOf(Array.from({ length: 2_000 }, (_, i) => 1 + (i % 100)), 0, 5);
    r.target = 'http://127.0.0.1/<script>';
    const html = renderHtml(r);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toContain('Latency over time');
    expect(html).toContain('Latency by percentile');
    expect(html).toContain('99.9%');
    expect(html).not.toMatch(/<script|src="http|href="http/);
    expect(html).toContain('&lt;script&gt;');
  });

  it('the percentile curve rises to the maximum', () => {
    const curve = percentileCurve(reportOf(Array.from({ length: 1_000 }, (_, i) => i + 1), 0, 1));
    for (let i = 1; i < curve.length; i++) expect(curve[i][1]).toBeGreaterThanOrEqual(curve[i - 1][1]);
    expect(curve[0][1]).toBeCloseTo(1, 1);
    expect(curve.at(-1)![1]).toBeCloseTo(1000, -1);
    expect(curve.at(-1)![0]).toBe(3);
  });

  it('svg helpers', () => {
    expect(niceStep(97, 5)).toBe(20);
    expect(niceStep(0.9, 6)).toBe(0.2);
    expect(escapeXml(`<a href="x">&'`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
    const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', color: '#000', points: [[0, 1], [1, 3]] }] });
    expect(svg).toMatch(/<path d="M[\d.]+,[\d.]+ L[\d.]+,[\d.]+"/);
  });
});
