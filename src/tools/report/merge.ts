import { SchemaError, readJsonFile, validateAgainst } from '../../config/schema.ts';
import { decodeHistogram, encodeHistogram, latencySummary, newHistogram, percentileMs, usToMs, type Histogram } from '../loadgen/histogram.ts';
import type { LoadReport, ReportSource, TimelinePoint } from './types.ts';

/** Reads and checks one --json report; errors name the file and each bad path. */
export function readReport(file: string): LoadReport {
  const report = validateAgainst<LoadReport>('load-report', readJsonFile(file), `load report ${file}`);
  for (const [what, h] of [['histogram', report.histogram], ['serviceHistogram', report.serviceHistogram]] as const) {
    try {
      const decoded = decodeHistogram(h);
      if (what === 'histogram' && decoded.totalCount !== countWithLatency(report)) {
        throw new Error(`holds ${decoded.totalCount} values but the report counts ${countWithLatency(report)} responses`);
      }
    } catch (err) {
      throw new SchemaError(`load report ${file}`, [`/${what}: ${(err as Error).message}`]);
    }
  }
  report.timeline.forEach((p, i) => {
    try {
      decodeHistogram(p.histogram);
    } catch (err) {
      throw new SchemaError(`load report ${file}`, [`/timeline/${i}/histogram: ${(err as Error).message}`]);
    }
  });
  return report;
}

/** Responses (not transport errors) are what the latency histogram holds. */
function countWithLatency(r: LoadReport): number {
  let transport = 0;
  for (const v of Object.values(r.errorsByTransport)) transport += v;
  return r.requests - transport;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

const same = <T>(xs: T[]): T | undefined => (xs.every((x) => x === xs[0]) ? xs[0] : undefined);
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const sorted = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })));

/**
 * Merges reports from several machines (or runs) into one: counters add up, the latency histograms
 * are added value by value (so percentiles are exact, not averaged), the timelines are aligned on the
 * wall clock second by second, and rates are totals over the wall-clock window the runs cover.
 */
export function mergeReports(reports: LoadReport[], files: string[] = []): LoadReport {
  if (reports.length === 0) throw new RangeError('nothing to merge');
  const latency = newHistogram();
  const service = newHistogram();
  for (const r of reports) {
    latency.add(decodeHistogram(r.histogram));
    service.add(decodeHistogram(r.serviceHistogram));
  }
  const start = Math.min(...reports.map((r) => r.startedAtMs));
  const end = Math.max(...reports.map((r) => r.startedAtMs + r.durationSec * 1000));
  const durationSec = Math.max(0, (end - start) / 1000);
  const sum = (f: (r: LoadReport) => number) => reports.reduce((a, r) => a + f(r), 0);
  const maps = ['errorsByStatus', 'errorsByHecCode', 'errorsByTransport', 'statusCodes', 'hecCodes'] as const;
  const merged = Object.fromEntries(maps.map((m) => {
    const into: Record<string, number> = {};
    for (const r of reports) addCounts(into, r[m]);
    return [m, sorted(into)];
  })) as Pick<LoadReport, (typeof maps)[number]>;
  const requests = sum((r) => r.requests);
  const events = sum((r) => r.events);
  const bytesSent = sum((r) => r.bytesSent);
  const d = durationSec > 0 ? durationSec : 1e-9;
  const models = same(reports.map((r) => r.model));
  const sources: ReportSource[] = reports.flatMap((r, i) => r.sources ?? [{
    ...(files[i] ? { file: files[i] } : {}), target: r.target, startedAt: r.startedAt, requests: r.requests, events: r.events,
  }]);
  return {
    kind: reports[0].kind,
    version: reports[0].version,
    target: same(reports.map((r) => r.target)) ?? [...new Set(reports.map((r) => r.target))].join(', '),
    hostHeader: same(reports.map((r) => r.hostHeader)) ?? null,
    region: same(reports.map((r) => r.region)) ?? null,
    profile: same(reports.map((r) => r.profile)) ?? [...new Set(reports.map((r) => r.profile))].join('+'),
    seed: reports[0].seed,
    batch: same(reports.map((r) => r.batch)) ?? Math.round(sum((r) => r.eventsSent) / Math.max(1, requests)),
    gzip: reports.every((r) => r.gzip),
    model: models ?? 'closed',
    rate: models === 'open' ? round(sum((r) => r.rate ?? 0), 3) : null,
    connections: sum((r) => r.connections),
    pipelining: Math.max(...reports.map((r) => r.pipelining)),
    startedAt: new Date(start).toISOString(),
    startedAtMs: start,
    durationSec: round(durationSec, 3),
    stopReason: 'merged',
    requests,
    requestsOk: sum((r) => r.requestsOk),
    events,
    eventsSent: sum((r) => r.eventsSent),
    bytesSent,
    errors: sum((r) => r.errors),
    ...merged,
    lateStarts: sum((r) => r.lateStarts),
    lateToleranceMs: Math.max(...reports.map((r) => r.lateToleranceMs ?? 0)),
    maxStartDelayMs: Math.max(...reports.map((r) => r.maxStartDelayMs ?? 0)),
    dropped: sum((r) => r.dropped),
    aborted: sum((r) => r.aborted),
    requestsPerSec: round(requests / d, 2),
    eventsPerSec: round(events / d, 2),
    mbPerSec: round(bytesSent / d / 1e6, 3),
    latencyMs: latencySummary(latency),
    serviceTimeMs: latencySummary(service),
    histogram: encodeHistogram(latency),
    serviceHistogram: encodeHistogram(service),
    histogramUnit: 'us',
    timeline: mergeTimelines(reports, start),
    sources,
  };
}

/** Aligns each report's per-second points on the wall clock (whole seconds from the earliest start). */
function mergeTimelines(reports: LoadReport[], start: number): TimelinePoint[] {
  const buckets = new Map<number, { requests: number; events: number; errors: number; h: Histogram }>();
  for (const r of reports) {
    for (const p of r.timeline) {
      // a point closes a ~1 s interval; the nearest whole second since the earliest start names it
      const second = Math.max(1, Math.round((r.startedAtMs + p.t * 1000 - start) / 1000));
      let b = buckets.get(second);
      if (!b) buckets.set(second, b = { requests: 0, events: 0, errors: 0, h: newHistogram() });
      b.requests += p.requests;
      b.events += p.events;
      b.errors += p.errors;
      b.h.add(decodeHistogram(p.histogram));
    }
  }
  return [...buckets.entries()].sort(([a], [b]) => a - b).map(([t, b]) => ({
    t,
    requests: b.requests,
    events: b.events,
    errors: b.errors,
    p50Ms: percentileMs(b.h, 50),
    p99Ms: percentileMs(b.h, 99),
    maxMs: b.h.totalCount ? usToMs(b.h.maxValue) : 0,
    histogram: encodeHistogram(b.h),
  }));
}
