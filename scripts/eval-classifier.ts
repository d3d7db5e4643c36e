/**
 * npm run eval:classifier [-- --file FILE ...] [--json] [--all-misses]
 * Scores the compiled matcher against labeled real field names (default: ../shared/fixtures/fields-visible.jsonl
 * and tests/fixtures/heldout-fields.jsonl).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { getDefaultMatcher } from '../src/classify/index.ts';
import { projectRoot } from '../src/config/schema.ts';
import { evaluate, readLabeledFields } from '../src/eval/classifier-eval.ts';

const GOALS = { itemPrecision: 0.98, itemRecall: 0.95, categoryAccuracy: 0.97 };
const { values } = parseArgs({
  options: { file: { type: 'string', multiple: true }, json: { type: 'boolean' }, 'all-misses': { type: 'boolean' } },
});
const files = values.file ?? [`${projectRoot}../shared/fixtures/fields-visible.jsonl`, `${projectRoot}tests/fixtures/heldout-fields.jsonl`];
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
if (values.json) {
  process.stdout.write(`${JSON.stringify(results.map(({ misses, ...r }) => ({ ...r, misses: misses.length })), null, 1)}\n`);
} else {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  for (const r of results) {
    const mark = (v: number, g: number) => (v >= g ? 'ok' : 'BELOW GOAL');
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
}
