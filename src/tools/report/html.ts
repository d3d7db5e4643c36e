import { decodeHistogram, percentileMs, usToMs } from '../loadgen/histogram.ts';
import { escapeXml, lineChart, type Tick } from './svg.ts';
import { formatSummary } from './summary.ts';
import type { LoadReport } from './types.ts';

/** Percentile curve points: x = log10(1 / (1 - p)), the HdrHistogram plotter's axis, up to what the count supports. */
export function percentileCurve(report: LoadReport): Array<[number, number]> {
  const h = decodeHistogram(report.histogram);
  if (h.totalCount === 0) return [];
  const points: Array<[number, number]> = [];
  const maxX = Math.max(1, Math.min(5, Math.log10(h.totalCount)));
  for (let i = 0; i <= maxX * 20; i++) {
    const x = i / 20;
    const p = 100 * (1 - 10 ** -x);
    points.push([x, percentileMs(h, p)]);
  }
  points.push([maxX, usToMs(h.maxValue)]);
  return points;
}

const PCT_TICKS: Tick[] = [
  { value: 0, label: '0%' }, { value: 1, label: '90%' }, { value: 2, label: '99%' },
  { value: 3, label: '99.9%' }, { value: 4, label: '99.99%' }, { value: 5, label: '99.999%' },
];

/** A self-contained HTML page (inline CSS and SVG, no scripts): summary, latency over time, percentiles. */
export function renderHtml(report: LoadReport): string {
  const tl = report.timeline;
  const curve = percentileCurve(report);
  const maxX = curve.length ? curve[curve.length - 1][0] : 1;
  const latencyOverTime = lineChart({
    title: 'Latency over time',
    xLabel: 'seconds since start',
    yLabel: 'latency (ms)',
    series: [
      { name: 'p50', color: '#2b7bb9', points: tl.filter((p) => p.requests > 0).map((p) => [p.t, p.p50Ms]) },
      { name: 'p99', color: '#e07b00', points: tl.filter((p) => p.requests > 0).map((p) => [p.t, p.p99Ms]) },
      { name: 'max', color: '#c0392b', points: tl.filter((p) => p.requests > 0).map((p) => [p.t, p.maxMs]) },
    ],
  });
  const throughput = lineChart({
    title: 'Throughput over time',
    xLabel: 'seconds since start',
    yLabel: 'per second',
    series: [
      { name: 'events/s', color: '#27ae60', points: tl.map((p, i) => [p.t, p.events / Math.max(1e-3, p.t - (i ? tl[i - 1].t : 0))]) },
      { name: 'errors/s', color: '#c0392b', points: tl.map((p, i) => [p.t, p.errors / Math.max(1e-3, p.t - (i ? tl[i - 1].t : 0))]) },
    ],
    height: 240,
  });
  const percentiles = lineChart({
    title: 'Latency by percentile',
    xLabel: 'percentile',
    yLabel: 'latency (ms)',
    series: [{ name: 'latency', color: '#8e44ad', points: curve }],
    xTicks: PCT_TICKS.filter((t) => t.value <= Math.ceil(maxX)),
  });
  const l = report.latencyMs;
  const rows: Array<[string, string]> = [
    ['requests', `${report.requests} (${report.requestsOk} ok, ${report.errors} failed)`],
    ['events accepted / sent', `${report.events} / ${report.eventsSent}`],
    ['requests/s', String(report.requestsPerSec)],
    ['events/s', String(report.eventsPerSec)],
    ['MB/s', String(report.mbPerSec)],
    ['latency p50 / p90 / p99 / p99.9 / max (ms)', `${l.p50} / ${l.p90} / ${l.p99} / ${l.p999} / ${l.max}`],
    ['late starts / dropped', `${report.lateStarts} / ${report.dropped}`],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ingestor-sim load report: ${escapeXml(report.target)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:820px}table{border-collapse:collapse}td{border-bottom:1px solid #ddd;padding:3px 10px}pre{background:#f6f6f6;padding:10px;overflow:auto;font-size:12px}svg{display:block;margin:16px 0}</style>
</head><body>
<h1>ingestor-sim load report</h1>
<table>${rows.map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td>${escapeXml(v)}</td></tr>`).join('')}</table>
${latencyOverTime}
${throughput}
${percentiles}
<h2>Summary</h2>
<pre>${escapeXml(formatSummary(report))}</pre>
</body></html>
`;
}
