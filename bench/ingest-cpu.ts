/**
 * CPU per event of one request's ingest, stage by stage, in one thread (`node --import tsx bench/ingest-cpu.ts
 * [build dir] [--seconds 2] [--rounds 5] [--rows bare,none,store] [--undeclared flag|drop|keep]`): the load generator's mixed 100-event bodies (as bench:http sends them)
 * through
 *   bare     UTF-8 decode, split on newlines, JSON.parse of each line (bench:http's bare target's work)
 *   none     ingest() toward a store that only counts (decode, parse, classify, filter, count: an ingest thread's
 *            work toward the none store)
 *   store    ingest() toward the default store (decode, parse with the canonical text, classify, filter, pack)
 * The rows take turns for `--rounds` rounds (the order reversed every other round); each figure is the median of
 * its rounds, in µs of this thread's CPU per event (process.cpuUsage: nothing else runs here), and ÷ bare.
 * No HTTP, no threads, no store: what a change to the pipeline saves, without bench:http's noise. The build dir
 * (default dist, a compiled build) lets two builds be compared (`cp -r dist dist-before` before a change).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { seconds: { type: 'string', default: '2' }, rounds: { type: 'string', default: '5' }, rows: { type: 'string', default: 'bare,none,store' }, undeclared: { type: 'string', default: 'flag' } } });
const dir = pathToFileURL(resolve(positionals[0] ?? 'dist')).href;
const seconds = Number(values.seconds);
const rounds = Math.max(1, Number(values.rounds));
const { ingest } = await import(`${dir}/pipeline/ingest/ingest.js`) as typeof import('../src/pipeline/ingest/ingest.ts');
const { defaultClassifier } = await import(`${dir}/pipeline/ingest/classifier.js`) as typeof import('../src/pipeline/ingest/classifier.ts');
const { VerdictList } = await import(`${dir}/store/verdicts.js`) as typeof import('../src/store/verdicts.ts');
const { FieldTally } = await import(`${dir}/store/stats.js`) as typeof import('../src/store/stats.ts');
const { verdictNumber } = await import(`${dir}/pipeline/filter/index.js`) as typeof import('../src/pipeline/filter/index.ts');
const { DEFAULT_LIMITS } = await import(`${dir}/config/config.js`) as typeof import('../src/config/config.ts');
const { RawRules } = await import(`${dir}/pipeline/parse/linebreak.js`) as typeof import('../src/pipeline/parse/linebreak.ts');
const { buildPayloads } = await import(`${dir}/tools/loadgen/payloads.js`) as typeof import('../src/tools/loadgen/payloads.ts');

const classifier = defaultClassifier();
if (!['keep', 'flag', 'drop'].includes(values.undeclared)) throw new Error(`--undeclared keep|flag|drop, not '${values.undeclared}'`);
const policy = classifier.compilePolicy(classifier.matcher, { undeclared: values.undeclared as 'keep' | 'flag' | 'drop' });
const bodies = buildPayloads({ profile: 'mixed', seed: 1, batch: 100, gzip: false, pool: 64 }).full.map((p) => p.body);
const rules = new RawRules();
const job = { kind: 'event' as const, encoding: undefined, receivedAt: 1_700_000_000_000, tenant: 't', tokenModule: null, defaults: { host: 'h', source: 's', sourcetype: 'httpevent', index: 'main' }, allowedIndexes: null };
const base = { limits: DEFAULT_LIMITS, rules, matcher: classifier.matcher, apply: classifier.applyPolicy, policy, budgets: null };
const list = new VerdictList(verdictNumber);
const tally = new FieldTally();
let sink = 0;

type Row = 'bare' | 'none' | 'store';
const run: Record<Row, (body: Buffer) => Promise<number>> = {
  bare: async (body) => {
    let n = 0;
    for (const line of body.toString('utf8').split('\n')) {
      if (line.length === 0) continue;
      JSON.parse(line);
      n++;
    }
    return n;
  },
  none: async (body) => {
    const r = await ingest({ ...job, body }, { ...base, tally, text: false });
    tally.take(0);
    let n = 0;
    for (let i = 1; i < r.counted!.length; i += 4) n += r.counted![i] as number;
    return n;
  },
  store: async (body) => {
    const r = await ingest({ ...job, body }, { ...base, verdicts: list });
    sink += r.batch!.columns.byteLength;
    return r.batch!.events;
  },
};

/** One row for `seconds`: its CPU µs per event. */
async function measure(row: Row): Promise<number> {
  const f = run[row];
  const c0 = process.cpuUsage();
  const end = performance.now() + seconds * 1000;
  let events = 0;
  let i = 0;
  while (performance.now() < end) events += await f(bodies[i++ % bodies.length]);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / events;
}

const rows = values.rows.split(',') as Row[];
for (const r of rows) if (!(r in run)) throw new Error(`unknown row '${r}' (bare, none, store)`);
for (const r of rows) await measure(r); // warm-up: every row's code optimised before the first measured round
const figures: Record<Row, number[]> = { bare: [], none: [], store: [] };
for (let k = 0; k < rounds; k++) {
  for (const r of k % 2 === 0 ? rows : [...rows].reverse()) figures[r].push(await measure(r));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const bare = figures.bare.length ? median(figures.bare) : NaN;
process.stdout.write(`${positionals[0] ?? 'dist'}: mixed 100-event bodies, undeclared ${values.undeclared}, ${rounds} rounds of ${seconds} s, CPU µs per event (median, range) and ÷ bare\n`);
for (const r of rows) {
  const m = median(figures[r]);
  process.stdout.write(`  ${r.padEnd(6)} ${m.toFixed(3)}  (${Math.min(...figures[r]).toFixed(3)}–${Math.max(...figures[r]).toFixed(3)})  ${(m / bare).toFixed(3)}\n`);
}
if (sink < 0) process.stdout.write('');
