import type { LatencyMs, LoadReport } from './types.ts';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const num = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number) => `${num(n, n < 10 ? 2 : 1)} ms`;

function counts(r: Record<string, number>): string {
  const e = Object.entries(r);
  return e.length === 0 ? 'none' : e.map(([k, v]) => `${k}×${int(v)}`).join(', ');
}

function latencyLine(label: string, l: LatencyMs): string {
  return `${label.padEnd(13)} p50 ${ms(l.p50)}  p90 ${ms(l.p90)}  p99 ${ms(l.p99)}  p99.9 ${ms(l.p999)}  max ${ms(l.max)}`;
}

/** The readable summary printed at the end of a run (or of a merge). */
export function formatSummary(r: LoadReport): string {
  const lines: string[] = [];
  const how = r.model === 'open'
    ? `open model, ${num(r.rate ?? 0, (r.rate ?? 0) % 1 === 0 ? 0 : 2)} req/s arrival rate, up to ${r.connections} connection(s)`
    : `closed model, ${r.connections} connection(s)`;
  lines.push(`ingestor-sim load: ${r.target}${r.hostHeader ? ` (Host: ${r.hostHeader})` : ''}`);
  if (r.sources) lines.push(`  merged from ${r.sources.length} report(s): ${r.sources.map((s) => s.file ?? s.target).join(', ')}`);
  lines.push(`  ${how}, pipelining ${r.pipelining}; ${r.profile} events, ${r.batch}/batch${r.gzip ? ', gzip' : ''}, seed ${r.seed}`);
  const why = r.stopReason === 'interrupted' ? 'interrupted (partial results)' : r.stopReason === 'events' ? 'event count reached' : r.stopReason === 'merged' ? 'merged' : 'duration reached';
  lines.push(`  ran ${num(r.durationSec, 2)} s from ${r.startedAt}; stopped: ${why}`);
  lines.push('');
  lines.push(`requests      ${int(r.requests)} (${int(r.requestsOk)} ok, ${int(r.errors)} failed)   ${num(r.requestsPerSec)} req/s`);
  lines.push(`events        ${int(r.events)} accepted of ${int(r.eventsSent)} sent   ${num(r.eventsPerSec)} events/s`);
  lines.push(`bytes sent    ${num(r.bytesSent / 1e6, 2)} MB   ${num(r.mbPerSec, 2)} MB/s`);
  lines.push(latencyLine(r.model === 'open' ? 'latency' : 'latency', r.latencyMs));
  if (r.model === 'open') {
    lines.push(latencyLine('service time', r.serviceTimeMs));
    lines.push(`              (latency counts from each request's arrival time; service time from when it was sent)`);
    lines.push(`late starts   ${int(r.lateStarts)} (started > ${num(r.lateToleranceMs, 0)} ms after arrival; max start delay ${ms(r.maxStartDelayMs)})   dropped ${int(r.dropped)}`);
  }
  if (r.acks) {
    lines.push(`acks          ${int(r.acks.acked)} of ${int(r.acks.requested)} read true, ${int(r.acks.pending)} never (channel ${r.acks.channel}, ${int(r.acks.polls)} polls${r.acks.pollErrors ? `, ${int(r.acks.pollErrors)} failed` : ''})`);
    lines.push(latencyLine('ack latency', r.acks.latencyMs));
    lines.push('              (from each request\'s arrival to the poll that read its ack true)');
  }
  lines.push(`status codes  ${counts(r.statusCodes)}`);
  lines.push(`HEC codes     ${counts(r.hecCodes)}`);
  if (r.errors > 0) {
    lines.push(`errors        by status: ${counts(r.errorsByStatus)}; by HEC code: ${counts(r.errorsByHecCode)}; transport: ${counts(r.errorsByTransport)}`);
  }
  if (r.aborted > 0) lines.push(`aborted       ${int(r.aborted)} request(s) still in flight when the drain period ended`);
  return lines.join('\n') + '\n';
}

/** The one-line live progress shown on a terminal once a second. */
export function formatProgress(s: { elapsedSec: number; requests: number; errors: number; lateStarts: number; intervalRequestsPerSec: number; intervalEventsPerSec: number; intervalP99Ms: number }, model: 'open' | 'closed'): string {
  return `${num(s.elapsedSec, 0).padStart(4)} s  ${int(s.intervalRequestsPerSec).padStart(7)} req/s  ${int(s.intervalEventsPerSec).padStart(9)} events/s  p99 ${ms(s.intervalP99Ms).padStart(10)}  requests ${int(s.requests)}  errors ${int(s.errors)}${model === 'open' ? `  late ${int(s.lateStarts)}` : ''}`;
}
