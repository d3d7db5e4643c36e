/** The table `verify` prints for people (a separate step from checking, as autocannon does). */
import type { VerifyReport } from './types.ts';

const STEP_ORDER = ['dns', 'tcp', 'tls', 'http'] as const;

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** One cell per step: `ok 1.2ms`, `FAIL 5000ms` or `-` (not run). */
function cell(r: VerifyReport['regions'][number], step: (typeof STEP_ORDER)[number]): string {
  const s = r.steps.find((x) => x.step === step);
  if (!s) return '-';
  const ms = s.ms >= 100 ? Math.round(s.ms).toString() : s.ms.toFixed(1);
  return `${s.ok ? 'ok' : 'FAIL'} ${ms}ms`;
}

/** The table, then the steps of each failed region (of every region with `verbose`), then the fixes. */
export function formatTable(report: VerifyReport, verbose = false): string {
  const header = ['REGION', 'HOST:PORT', 'DNS', 'TCP', 'TLS', 'HTTP', 'VERDICT'];
  const rows = report.regions.map((r) => [r.region, `${r.host}:${r.port}`, ...STEP_ORDER.map((s) => cell(r, s)), r.verdict]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cols: string[]) => cols.map((c, i) => (i === cols.length - 1 ? c : pad(c, widths[i]))).join('  ');
  const out = [line(header), ...rows.map(line)];
  const failed = report.regions.filter((r) => r.verdict !== 'healthy');
  for (const r of report.regions) {
    if (r.verdict === 'healthy' && !verbose) continue;
    out.push('', `${r.region} ${r.host}:${r.port}: ${r.verdict}`);
    for (const s of r.steps) out.push(`  ${s.step.padEnd(4)} ${s.ok ? 'ok  ' : 'FAIL'} ${s.detail}`);
  }
  if (failed.length) {
    out.push('', 'Fix:');
    for (const r of failed) out.push(`  ${r.region}: ${r.fix ?? ''}`);
  }
  out.push('', `${report.regions.length - failed.length} of ${report.regions.length} healthy`);
  return out.join('\n') + '\n';
}
