import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SimError } from '../../../errors/sim-error.ts';

// Only what defining the options needs is imported above, so that `report --help` loads no more than
// `ingestor-sim --help` does; reading (Ajv), merging (the HDR histogram) and rendering reports are imported
// when a sub-command runs (tests/unit/tools/cli/help-imports.test.ts).
const reports = () => Promise.all([import('../../report/merge.ts'), import('../../report/html.ts'), import('../../report/summary.ts')])
  .then(([merge, html, summary]) => ({ ...merge, ...html, ...summary }));

function writeOut(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new SimError('SIM_ERR_CLI_FAILED', { detail: `cannot write ${file}: ${(err as Error).message}` });
  }
}

export function register(program: Command): void {
  const report = program.command('report').description('Work with the JSON reports of `ingestor-sim load --json`');
  report.command('merge')
    .description('Merge reports from several machines or runs: counters add up, latency histograms are added (exact percentiles)')
    .argument('<files...>', 'two or more reports written by `load --json`')
    .option('--json <file>', 'write the merged report as JSON')
    .option('--html <file>', 'write the merged report as a self-contained HTML page')
    .action(async (files: string[], flags: { json?: string; html?: string }) => {
      if (files.length < 2) throw new SimError('SIM_ERR_USAGE', { detail: 'report merge needs at least two report files' });
      const { mergeReports, readReport, formatSummary, renderHtml } = await reports();
      // a bad report is a SIM_ERR_CONFIG_INVALID: exit 2
      const merged = mergeReports(files.map((f) => readReport(f)), files);
      process.stdout.write(formatSummary(merged));
      if (flags.json) writeOut(flags.json, JSON.stringify(merged, null, 2) + '\n');
      if (flags.html) writeOut(flags.html, renderHtml(merged));
    });
  report.command('show')
    .description('Print the summary of one report, and optionally render it as HTML')
    .argument('<file>', 'a report written by `load --json`')
    .option('--html <file>', 'write it as a self-contained HTML page')
    .action(async (file: string, flags: { html?: string }) => {
      const { readReport, formatSummary, renderHtml } = await reports();
      const r = readReport(file);
      process.stdout.write(formatSummary(r));
      if (flags.html) writeOut(flags.html, renderHtml(r));
    });
}
