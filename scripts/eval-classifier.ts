/**
 * npm run eval:classifier [-- --file FILE ...] [--json] [--all-misses] [--no-family-out] [--no-realdata]
 * Scores the compiled matcher against labeled real field names (default: ../shared/fixtures/fields-visible.jsonl
 * and tests/fixtures/heldout-fields.jsonl), then
 *   family-out: for each source family of fields-visible.jsonl, every alias equal to one of that family's field
 *     names is removed from a copy of the catalog and the family is scored by a matcher compiled from the copy
 *     (the estimate for a vendor the aliases never saw);
 *   realdata: ../shared/fixtures/realdata/judge.py over this checkout (real events, hand-judged fields).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compileMatcher, getDefaultMatcher, loadCatalog } from '../src/classify/index.ts';
import { projectRoot } from '../src/config/schema.ts';
import { evaluate, familyOut, readLabeledFields, sumRows } from '../src/eval/classifier-eval.ts';

const GOALS = { itemPrecision: 0.98, itemRecall: 0.95, categoryAccuracy: 0.97 };
const FAMILY_OUT_GOALS = { itemAccuracy: 0.90, categoryAccuracy: 0.95 };
const { values } = parseArgs({
  options: {
    file: { type: 'string', multiple: true }, json: { type: 'boolean' }, 'all-misses': { type: 'boolean' },
    'no-family-out': { type: 'boolean' }, 'no-realdata': { type: 'boolean' },
  },
});
const visible = `${projectRoot}../shared/fixtures/fields-visible.jsonl`;
const files = values.file ?? [visible, `${projectRoot}tests/fixtures/heldout-fields.jsonl`];
const matcher = getDefaultMatcher();
const results = [];
for (const f of files) {
  if (!existsSync(f)) {
    process.stderr.write(`eval: ${f} not found\n`);
    process.exitCode = 2;
    continue;
  }
  results.push({ file: f, ...evaluate(matcher, readLabeledFields(f)) });
}
const famRows = !values['no-family-out'] && existsSync(visible)
  ? familyOut(loadCatalog(), readLabeledFields(visible), compileMatcher)
  : [];
const famAll = famRows.length > 0 ? sumRows(famRows) : null;

let realdata: string | null = null;
const judge = `${projectRoot}../shared/fixtures/realdata/judge.py`;
if (!values['no-realdata'] && existsSync(judge)) {
  const p = spawnSync('python3', [judge, projectRoot, '--worst', values['all-misses'] ? '200' : '10'], { encoding: 'utf8', timeout: 600_000 });
  realdata = p.status === 0 ? p.stdout : `judge.py failed (status ${p.status}): ${p.stderr || p.error?.message || ''}`;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
if (values.json) {
  const summary = realdata?.split('\n').find((l) => l.startsWith('realdata:')) ?? null;
  process.stdout.write(`${JSON.stringify({
    sets: results.map(({ misses, ...r }) => ({ ...r, misses: misses.length })),
    familyOut: famRows.map(({ misses, ...r }) => ({ ...r, misses: misses.length })),
    familyOutAll: famAll && { ...famAll, misses: famAll.misses.length },
    realdata: summary,
  }, null, 1)}\n`);
} else {
  const mark = (v: number, g: number) => (v >= g ? 'ok' : 'BELOW GOAL');
  for (const r of results) {
    process.stdout.write(`\n${r.file}\n  ${r.records} labeled fields\n`);
    process.stdout.write(`  item precision   ${pct(r.itemPrecision).padStart(6)}  (${r.correct}/${r.predicted})   goal ${pct(GOALS.itemPrecision)}  ${mark(r.itemPrecision, GOALS.itemPrecision)}\n`);
    process.stdout.write(`  item recall      ${pct(r.itemRecall).padStart(6)}  (${r.found}/${r.expectedItems})   goal ${pct(GOALS.itemRecall)}  ${mark(r.itemRecall, GOALS.itemRecall)}\n`);
    process.stdout.write(`  category accuracy ${pct(r.categoryAccuracy).padStart(5)}  (${r.categoryRight}/${r.records})   goal ${pct(GOALS.categoryAccuracy)}  ${mark(r.categoryAccuracy, GOALS.categoryAccuracy)}\n`);
    const shown = values['all-misses'] ? r.misses : r.misses.slice(0, 40);
    if (shown.length > 0) process.stdout.write(`  misses (${r.misses.length}${shown.length < r.misses.length ? `, first ${shown.length}; --all-misses for all` : ''}):\n`);
    for (const m of shown) {
      process.stdout.write(`    ${String(m.line).padStart(4)} ${m.why.padEnd(11)} ${m.field} [${m.module ?? '-'}]: expected ${JSON.stringify(m.expected.item)} ${m.expected.category}; got ${JSON.stringify(m.got.item)} (${m.got.module ?? '-'}) ${m.got.category} by ${m.got.by}\n`);
    }
  }
  if (famAll) {
    process.stdout.write('\nfamily-out (each family scored with every alias equal to one of its own field names removed)\n');
    process.stdout.write(`  ${'family'.padEnd(44)} ${'fields'.padStart(6)} ${'removed'.padStart(7)} ${'item acc'.padStart(8)} ${'item rec'.padStart(8)} ${'item prec'.padStart(9)} ${'cat acc'.padStart(8)}\n`);
    for (const r of [...famRows, { ...famAll, family: 'ALL', aliasesRemoved: famRows.reduce((a, b) => a + b.aliasesRemoved, 0) }]) {
      process.stdout.write(`  ${r.family.padEnd(44)} ${String(r.records).padStart(6)} ${String(r.aliasesRemoved).padStart(7)} ${pct(r.itemAccuracy).padStart(8)} ${pct(r.itemRecall).padStart(8)} ${pct(r.itemPrecision).padStart(9)} ${pct(r.categoryAccuracy).padStart(8)}\n`);
    }
    process.stdout.write(`  family-out: item acc ${pct(famAll.itemAccuracy)} (goal ${pct(FAMILY_OUT_GOALS.itemAccuracy)} ${mark(famAll.itemAccuracy, FAMILY_OUT_GOALS.itemAccuracy)}), category acc ${pct(famAll.categoryAccuracy)} (goal ${pct(FAMILY_OUT_GOALS.categoryAccuracy)} ${mark(famAll.categoryAccuracy, FAMILY_OUT_GOALS.categoryAccuracy)})\n`);
    const shown = values['all-misses'] ? famAll.misses : famAll.misses.slice(0, 40);
    if (shown.length > 0) process.stdout.write(`  family-out misses (${famAll.misses.length}${shown.length < famAll.misses.length ? `, first ${shown.length}; --all-misses for all` : ''}):\n`);
    for (const m of shown) {
      process.stdout.write(`    ${m.why.padEnd(11)} ${m.field} [${m.module ?? '-'}]: expected ${JSON.stringify(m.expected.item)} ${m.expected.category}; got ${JSON.stringify(m.got.item)} (${m.got.module ?? '-'}) ${m.got.category} by ${m.got.by}\n`);
    }
  }
  if (realdata !== null) {
    process.stdout.write('\nrealdata (../shared/fixtures/realdata/judge.py: real events through `ingestor-sim classify --json`)\n');
    process.stdout.write(realdata.split('\n').map((l) => `  ${l}`).join('\n'));
    process.stdout.write('\n');
  }
}
