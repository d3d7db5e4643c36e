import { encodeHistogram, latencySummary } from '../loadgen/histogram.ts';
import type { RunOutcome } from '../loadgen/runner.ts';
import { REPORT_KIND, REPORT_VERSION, type LoadReport } from './types.ts';

/** What the run was asked to do (the parts of the report the runner does not know). */
export type RunMeta = Pick<LoadReport,
  'target' | 'hostHeader' | 'region' | 'profile' | 'seed' | 'batch' | 'gzip' | 'rate' | 'connections' | 'pipelining'>;

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
const plain = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })));

/** Turns the runner's counters into the plain result object that every output (text, JSON, HTML) prints. */
export function buildReport(outcome: RunOutcome, meta: RunMeta): LoadReport {
  const { acc, durationSec } = outcome;
  const d = durationSec > 0 ? durationSec : 1e-9;
  return {
    kind: REPORT_KIND,
    version: REPORT_VERSION,
    target: meta.target,
    hostHeader: meta.hostHeader,
    region: meta.region,
    profile: meta.profile,
    seed: meta.seed,
    batch: meta.batch,
    gzip: meta.gzip,
    model: meta.rate === null ? 'closed' : 'open',
    rate: meta.rate,
    connections: meta.connections,
    pipelining: meta.pipelining,
    startedAt: new Date(outcome.startedAtMs).toISOString(),
    startedAtMs: outcome.startedAtMs,
    durationSec: round(durationSec, 3),
    stopReason: outcome.stopReason,
    requests: acc.requests,
    requestsOk: acc.requestsOk,
    events: acc.events,
    eventsSent: acc.eventsSent,
    bytesSent: acc.bytesSent,
    errors: acc.errors,
    errorsByStatus: plain(acc.errorsByStatus),
    errorsByHecCode: plain(acc.errorsByHecCode),
    errorsByTransport: plain(acc.errorsByTransport),
    statusCodes: plain(acc.statusCodes),
    hecCodes: plain(acc.hecCodes),
    lateStarts: acc.lateStarts,
    lateToleranceMs: acc.lateToleranceMs,
    maxStartDelayMs: round(acc.maxStartDelayMs, 3),
    dropped: acc.dropped,
    aborted: acc.aborted,
    requestsPerSec: round(acc.requests / d, 2),
    eventsPerSec: round(acc.events / d, 2),
    mbPerSec: round(acc.bytesSent / d / 1e6, 3),
    latencyMs: latencySummary(acc.latency),
    serviceTimeMs: latencySummary(acc.service),
    histogram: encodeHistogram(acc.latency),
    serviceHistogram: encodeHistogram(acc.service),
    histogramUnit: 'us',
    timeline: acc.timeline,
    ...(outcome.acks ? { acks: outcome.acks } : {}),
  };
}
