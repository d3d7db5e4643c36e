/**
 * CPU per event of classify, filter and count on the mixed traffic, one or more builds compared
 * (`node --import tsx bench/classify-mixed.ts [build dir …] [--rounds 5] [--seconds 0.5] [--rows classify,filter,sink,count]`;
 * default build: dist). The events: the load generator's mixed 100-event bodies (8 sourcetypes of 4 modules, ~22
 * fields per event; buildPayloads profile mixed, seed 1, pool 64, as bench:http and bench/ingest-cpu.ts send them),
 * each body parsed just before its events are timed (untimed: its events are in the cache, as in an ingest thread).
 * Rows, each event with its sourcetype's module:
 *   classify   moduleForSourcetype + classifyEvent
 *   filter     the same + applyPolicy (policy undeclared: flag)
 *   sink       the same + applyPolicy into a VerdictSink that keeps nothing: the none store's filtering without its
 *              tally (builds from 1fd709d on; an older applyPolicy takes the sink for a numbers array and lists the verdicts)
 *   count      countRecord into a FieldTally, begin … 100 events … end + take: an ingest thread's work per event
 *              toward the none store, after JSON.parse (the `none` row of bench/ingest-cpu.ts less decode and parse)
 * Each (build, round) runs in a fresh child process (this script with `--child DIR`), the builds taking turns, the
 * order reversed every other round, so that a change in the machine's load favours no build; in a child every row
 * is warmed up, then measured for `--seconds` three times, and the child reports its middle figure. A row's figure
 * is the median over rounds, in µs of CPU per event (process.cpuUsage: nothing else runs in the child), with its
 * range; with two builds or more, each build's ratio to the first, per round (median and range).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '0.5' }, rows: { type: 'string', default: 'classify,filter,sink,count' }, child: { type: 'string' } },
});
const ROWS = ['classify', 'filter', 'sink', 'count'] as const;
type RowName = (typeof ROWS)[number];
const rows = values.rows.split(',') as RowName[];
for (const r of rows) if (!(ROWS as readonly string[]).includes(r)) throw new Error(`no row '${r}' (rows: ${ROWS.join(', ')})`);
const seconds = Number(values.seconds);

async function child(dirArg: string): Promise<Record<string, number>> {
  const dir = pathToFileURL(resolve(dirArg)).href;
  const { defaultClassifier } = await import(`${dir}/pipeline/ingest/classifier.js`) as typeof import('../src/pipeline/ingest/classifier.ts');
  const { buildPayloads } = await import(`${dir}/tools/loadgen/payloads.js`) as typeof import('../src/tools/loadgen/payloads.ts');
  const { FieldTally } = await import(`${dir}/store/stats.js`) as typeof import('../src/store/stats.ts');
  const { countRecord } = await import(`${dir}/pipeline/ingest/pipeline.js`) as typeof import('../src/pipeline/ingest/pipeline.ts');
  const { parseEventBatch } = await import(`${dir}/pipeline/parse/envelope.js`) as typeof import('../src/pipeline/parse/envelope.ts');
  const c = defaultClassifier();
  const policy = c.compilePolicy(c.matcher, { undeclared: 'flag' });
  const bodies = buildPayloads({ profile: 'mixed', seed: 1, batch: 100, gzip: false, pool: 64 }).full.map((p) => p.body.toString('utf8'));
  const parse = (t: string) => {
    const r = parseEventBatch(t, { maxDepth: 32, maxEventBytes: 1e6 }, { allowedIndexes: null, defaultIndex: 'main', canonical: false });
    if (!('events' in r)) throw new Error('a mixed body did not parse');
    return r.events;
  };
  type Env = ReturnType<typeof parse>[number];
  const tally = new FieldTally();
  const rc = { receivedAt: 0, tenant: 't', tokenModule: null, endpoint: 'event' as const, defaults: { host: 'h', source: 's', sourcetype: 'httpevent', index: 'main' }, matcher: c.matcher, policy, apply: c.applyPolicy };
  const moduleOf = (st: string | undefined): string | null => c.matcher.moduleForSourcetype(st ?? 'httpevent')?.id ?? null;
  let sink = 0;
  let k = 0;
  const keepsNothing = { addVerdict(): void {} };
  const fns: Record<RowName, (e: Env) => void> = {
    classify: (e) => { sink += c.matcher.classifyEvent(e.event, moduleOf(e.sourcetype), e.sourcetype).length; },
    filter: (e) => {
      const m = moduleOf(e.sourcetype);
      const cl = c.matcher.classifyEvent(e.event, m, e.sourcetype);
      sink += c.applyPolicy(policy, e.event, cl, { module: m, sourcetype: e.sourcetype }).dropped;
    },
    sink: (e) => {
      const m = moduleOf(e.sourcetype);
      const cl = c.matcher.classifyEvent(e.event, m, e.sourcetype);
      sink += c.applyPolicy(policy, e.event, cl, { module: m, sourcetype: e.sourcetype }, keepsNothing).dropped;
    },
    count: (e) => {
      if (k === 0) tally.begin();
      countRecord(e, rc, tally);
      if (++k === 100) { k = 0; tally.end(); sink += tally.take(0).events; }
    },
  };
  // each body parsed just before its events are timed, as an ingest thread parses then counts a request's events:
  // the events are in the cache, as there (events parsed long before and read again cost ~1.6 x as much)
  const once = (f: (e: Env) => void, s: number): number => {
    const end = performance.now() + s * 1000;
    let n = 0;
    let us = 0;
    for (let b = 0; performance.now() < end; b = (b + 1) % bodies.length) {
      const envs = parse(bodies[b]);
      const c0 = process.cpuUsage();
      for (let i = 0; i < envs.length; i++) f(envs[i]);
      const u = process.cpuUsage(c0);
      us += u.user + u.system;
      n += envs.length;
    }
    return us / n;
  };
  for (const r of rows) once(fns[r], 0.3);
  const out: Record<string, number> = {};
  for (const r of rows) {
    const xs = [once(fns[r], seconds), once(fns[r], seconds), once(fns[r], seconds)].sort((a, b) => a - b);
    out[r] = xs[1];
  }
  if (sink === -1) process.stdout.write('');
  return out;
}

if (values.child !== undefined) {
  process.stdout.write(`${JSON.stringify(await child(values.child))}\n`);
  process.exit(0);
}

const builds = positionals.length > 0 ? positionals : ['dist'];
const rounds = Math.max(1, Number(values.rounds));
const self = fileURLToPath(import.meta.url);
/** figures[build][row]: one per round. */
const figures = builds.map(() => Object.fromEntries(rows.map((r) => [r, [] as number[]])) as Record<RowName, number[]>);
for (let k = 0; k < rounds; k++) {
  const order = builds.map((_, i) => i);
  if (k % 2 === 1) order.reverse();
  for (const b of order) {
    const p = spawnSync(process.execPath, [...process.execArgv, self, '--child', builds[b], '--seconds', String(seconds), '--rows', rows.join(',')], { encoding: 'utf8' });
    if (p.status !== 0) throw new Error(`${builds[b]}: exit ${p.status ?? p.signal}: ${p.stderr}`);
    const got = JSON.parse(p.stdout.trim().split('\n').pop()!) as Record<RowName, number>;
    for (const r of rows) figures[b][r].push(got[r]);
  }
  process.stderr.write(`round ${k + 1} of ${rounds} done\n`);
}
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const span = (xs: readonly number[]) => `${Math.min(...xs).toFixed(3)}–${Math.max(...xs).toFixed(3)}`;
process.stdout.write(`mixed 100-event bodies; ${rounds} rounds, a fresh process per build and round; CPU µs per event, median (range)${builds.length > 1 ? `; ÷ ${builds[0]} per round` : ''}\n`);
for (const r of rows) {
  for (let b = 0; b < builds.length; b++) {
    const xs = figures[b][r];
    let line = `  ${r.padEnd(9)} ${builds[b].padEnd(14)} ${median(xs).toFixed(3)}  (${span(xs)})`;
    if (b > 0) {
      const ratios = xs.map((x, i) => x / figures[0][r][i]);
      line += `  ${median(ratios).toFixed(3)} (${span(ratios)})`;
    }
    process.stdout.write(`${line}\n`);
  }
}
