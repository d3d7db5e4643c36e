/**
 * CPU per event of a region's default store alone (`node --import tsx bench/store-cpu.ts [build dir] [requests]`):
 * mixed 100-event requests are ingested first (decode, parse, classify, filter, pack: ingest(), in this thread,
 * not measured), then appended to a SqliteStore (fsync=batch, a temp dir), 10 at a time, and the process's CPU
 * (user + system, every thread: this one's append and replies, the writer thread's log writes, index and
 * fdatasync) is divided by the events. No HTTP, no ingest threads: what a change to the store costs or saves,
 * without the noise of the rest. The build dir (default dist) is a compiled build, so that two builds compare
 * (`cp -r dist dist-before` before a change); run each a few times, alternating.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = pathToFileURL(resolve(process.argv[2] ?? 'dist')).href;
const requests = Number(process.argv[3] ?? 1500);
const { ingest } = await import(`${dir}/pipeline/ingest/ingest.js`) as typeof import('../src/pipeline/ingest/ingest.ts');
const { defaultClassifier } = await import(`${dir}/pipeline/ingest/classifier.js`) as typeof import('../src/pipeline/ingest/classifier.ts');
const { VerdictList } = await import(`${dir}/store/verdicts.js`) as typeof import('../src/store/verdicts.ts');
const { SqliteStore } = await import(`${dir}/store/sqlite.js`) as typeof import('../src/store/sqlite.ts');
const { verdictNumber } = await import(`${dir}/pipeline/filter/index.js`) as typeof import('../src/pipeline/filter/index.ts');
const { DEFAULT_LIMITS } = await import(`${dir}/config/config.js`) as typeof import('../src/config/config.ts');
const { RawRules } = await import(`${dir}/pipeline/parse/linebreak.js`) as typeof import('../src/pipeline/parse/linebreak.ts');
const { buildPayloads } = await import(`${dir}/tools/loadgen/payloads.js`) as typeof import('../src/tools/loadgen/payloads.ts');

const classifier = defaultClassifier();
const policy = classifier.compilePolicy(classifier.matcher, { undeclared: 'flag' });
const bodies = buildPayloads({ profile: 'mixed', seed: 1, batch: 100, gzip: false, pool: 64 }).full.map((p) => p.body);
const list = new VerdictList(verdictNumber);
const rules = new RawRules();
const job = { kind: 'event' as const, encoding: undefined, receivedAt: 1_700_000_000_000, tenant: 't', tokenModule: null, defaults: { host: 'h', source: 's', sourcetype: 'httpevent', index: 'main' }, allowedIndexes: null };
const batches: Array<NonNullable<Awaited<ReturnType<typeof ingest>>['batch']>> = [];
for (let i = 0; i < requests; i++) {
  const r = await ingest({ ...job, body: bodies[i % bodies.length] }, { limits: DEFAULT_LIMITS, rules, matcher: classifier.matcher, apply: classifier.applyPolicy, policy, budgets: null, verdicts: list });
  if (r.batch !== null) batches.push(r.batch);
}

const data = mkdtempSync(join(tmpdir(), 'store-cpu-'));
const store = new SqliteStore('us', data, { fsync: 'batch' });
let events = 0;
let next = 0;
const started = Date.now();
const cpu0 = process.cpuUsage();
await Promise.all(Array.from({ length: 10 }, async () => {
  while (next < batches.length) {
    const b = batches[next++];
    await store.append(b);
    events += b.events;
  }
}));
await store.close();
const cpu = process.cpuUsage(cpu0);
const ms = Date.now() - started;
rmSync(data, { recursive: true, force: true });
process.stdout.write(`${process.argv[2] ?? 'dist'}: store ${((cpu.user + cpu.system) / events).toFixed(2)} µs CPU/event (user ${(cpu.user / events).toFixed(2)}, system ${(cpu.system / events).toFixed(2)}), ${Math.round((events / ms) * 1000)} events/s, ${store.commits} commits\n`);
